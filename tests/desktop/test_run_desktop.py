"""A desktop run end to end: recorded, replayed both ways, reported and diffed.

``cua-replay run --fake desktop_form --computer desktop`` plays the built-in
scenario on the bundled Tk app (cua_replay.executors.xfixture) on a private
Xvfb; a second "model version" of the same task (a detour click and a drag to
another place) is recorded on a display we started, through ``--x-display``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cassette.store import load_cassette
from cua_replay.cli.main import app
from cua_replay.errors import InvalidSetting
from cua_replay.executors.xdisplay import XDisplay
from cua_replay.rerun import replay_cassette
from cua_replay.run import RunOptions, run_task
from cua_replay.server import load_scenario

from ..clients.checks import assert_report_draws_every_action, assert_self_diff_is_same


@pytest.fixture(scope="module")
def runs(xvfb: XDisplay, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("desktop-runs")
    v1, v2 = root / "v1", root / "v2"
    result = CliRunner().invoke(
        app, ["run", "--fake", "desktop_form", "--computer", "desktop", "--record", str(v1)]
    )
    assert result.exit_code == 0, result.output
    assert "scenario done state: reached" in result.output
    assert "page says (status): Hello, Ada Lovelace!" in result.output

    data = load_scenario("desktop_form").model_dump(mode="json")
    data["name"] = "desktop_form_v2"
    data["turns"].insert(
        1,
        {
            "reasoning": "A look at the list first.",
            "actions": [{"type": "click", "button": "left", "x": 600, "y": 120}],
        },
    )
    drag = data["turns"][4]["actions"][0]
    drag["path"][-1] = {"x": 300, "y": 420}  # dropped further right and lower
    data["done"]["text"]["square"] = "200,120"
    scenario = root / "desktop_form_v2.json"
    scenario.write_text(json.dumps(data))
    options = RunOptions(
        fake=str(scenario),
        computer="desktop",
        x_display=xvfb.name,
        environment="ubuntu",
        record=v2,
    )
    outcome = asyncio.run(run_task(options))
    assert outcome.done is True, outcome.page_text
    return v1, v2


def test_the_manifest_says_desktop_and_no_request_carries_a_url(runs: tuple[Path, Path]) -> None:
    v1, v2 = (load_cassette(d) for d in runs)
    assert (v1.manifest.environment, v2.manifest.environment) == ("linux", "ubuntu")
    for cassette in (v1, v2):
        sent = json.dumps([[s.request, s.items] for s in cassette.steps])
        assert '"environment": "' + cassette.manifest.environment in sent  # the tool says so
        assert "current_url" not in sent
        assert all(o.url in (None, "") for s in cassette.steps for o in s.observations)


@pytest.mark.parametrize("executor", ["recorded", "browser"])
def test_a_desktop_recording_replays_offline_and_on_a_desktop(
    runs: tuple[Path, Path], executor: str
) -> None:
    # "browser" is the live executor: for a desktop recording, a private Xvfb and the app.
    for directory in runs:
        result = asyncio.run(replay_cassette(directory, executor=executor))  # type: ignore[arg-type]
        assert result.steps == result.recorded_steps == len(load_cassette(directory).steps)
        assert not result.warnings and not result.mismatches


def test_the_report_draws_every_desktop_action(runs: tuple[Path, Path], tmp_path: Path) -> None:
    assert_report_draws_every_action(runs[0], tmp_path / "report.html")


def test_the_diff_finds_the_second_version_s_changes(runs: tuple[Path, Path]) -> None:
    a, b = runs
    assert_self_diff_is_same(a)
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--format", "json"])
    assert result.exit_code == 1, result.output
    kinds = [pair["kind"] for pair in json.loads(result.output)["pairs"]]
    assert kinds.count("only_b") == 1 and kinds.count("changed") >= 1, kinds


def test_a_display_of_another_size_is_one_clear_error(xvfb: XDisplay) -> None:
    options = RunOptions(
        fake="desktop_form", computer="desktop", x_display=xvfb.name, display=(800, 600)
    )
    with pytest.raises(
        InvalidSetting,
        match=r"is 1024x768 but the run's display is 800x600; pass --display 1024x768",
    ):
        asyncio.run(run_task(options))


@pytest.mark.parametrize("flag", [["--x-display", ":99"], ["--environment", "ubuntu"]])
def test_desktop_flags_need_computer_desktop(flag: list[str]) -> None:
    result = CliRunner().invoke(app, ["run", "--fake", "desktop_form", *flag])
    assert result.exit_code == 2
    assert "needs --computer desktop" in result.output
