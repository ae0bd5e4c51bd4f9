"""The run's view: the same trajectory from the loop's record and from the wire alone."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cassette.view import describe, view
from cua_replay.cli.main import app
from cua_replay.server import load_scenario
from tests.cassette.test_replay_transport import record_toolset

FORM = load_scenario("form")
SHIPPED = Path(__file__).parent.parent.parent / "cassettes"


@pytest.fixture(scope="module")
def toolset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SDK's ComputerToolset on the fake server, recorded by the transport only."""
    return record_toolset(tmp_path_factory.mktemp("view") / "form", FORM)


def test_a_transport_only_recording_shows_every_call_the_model_made(toolset: Path) -> None:
    cassette = load_cassette(toolset)
    assert not any(step.actions or step.observations for step in cassette.steps)
    run = view(cassette)
    asked = [
        action["type"]
        for step in cassette.steps
        for item in (step.response or {}).get("output", [])
        if item["type"] == "computer_call"
        for action in item.get("actions") or [item.get("action")]
    ]
    assert asked and [done.action["type"] for done in run.actions] == asked
    assert run.final_message == FORM.turns[-1].message
    # Every call has the screenshot the client answered it with, and the next call was
    # performed on it.
    calls = [call for step in run.steps for call in step.calls]
    assert all(call.after is not None for call in calls)
    for previous, call in itertools.pairwise(calls):
        assert call.before == previous.after


def test_show_lists_the_actions_of_a_transport_only_recording(toolset: Path) -> None:
    result = CliRunner().invoke(app, ["show", str(toolset), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert rows[0]["actions"] and rows[0]["screenshot"]
    assert (
        "(nothing)" not in CliRunner().invoke(app, ["show", str(toolset)]).output.split("says:")[0]
    )


def test_a_self_diff_of_a_transport_only_recording_is_the_same(toolset: Path) -> None:
    result = CliRunner().invoke(app, ["diff", str(toolset), str(toolset)])
    assert result.exit_code == 0, result.output
    assert "same 0" not in result.output


def test_diff_refuses_a_cassette_it_cannot_read_a_run_from(toolset: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "run.json").write_text((toolset / "run.json").read_text())
    lines = (toolset / "steps.jsonl").read_text().splitlines()
    blank = []
    for line in lines:
        record = json.loads(line)
        if record.get("kind") == "step" and isinstance(record.get("response"), dict):
            record["response"]["output"] = []
        blank.append(json.dumps(record))
    (empty / "steps.jsonl").write_text("\n".join(blank) + "\n")
    result = CliRunner().invoke(app, ["diff", str(toolset), str(empty)])
    assert result.exit_code == 2, result.output
    assert "nothing to diff" in result.output


def test_the_loop_record_and_the_describer_agree_for_shipped_cassettes() -> None:
    run = view(load_cassette(SHIPPED / "demo"))
    assert run.actions and all(done.executed for done in run.actions)
    assert describe(run.actions[0].action).split()[0] == run.actions[0].action["type"]


@pytest.mark.parametrize("executor", ["browser", "recorded"])
def test_replay_says_which_command_fits_another_clients_recording(
    toolset: Path, executor: str
) -> None:
    result = CliRunner().invoke(app, ["replay", str(toolset), "--executor", executor])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "recorded from another client's HTTP traffic" in line
    assert f"serve --cassette {toolset}" in line and "replay_client" in line
