"""Several conversations in one cassette are kept apart: show, report and diff never interleave.

One recording client carries four conversations of the same task at once, their
requests taken in turn (A1 B1 C1 D1 A2 B2 ...): two chained on
``previous_response_id`` and two stateless (the whole history each turn,
``store: false``). Each conversation sends screenshots of its own colour, so a
screenshot paired with another conversation's call would show. The same four
run one after the other make a second cassette, which must diff as the same run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from PIL import Image
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cassette.view import conversations, view
from cua_replay.cli.main import app
from cua_replay.record import Recorder, new_manifest, recording_client
from cua_replay.server import FakeResponsesServer, load_scenario
from tests.clients.checks import V1, scripted, shown, without_url_expectations
from tests.server.images import data_url

SCENARIO = without_url_expectations(load_scenario(V1))
CHAINED = [True, True, False, False]
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]


def screen(colour: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "PNG")
    return data_url(out.getvalue())


def conversation(client: OpenAI, number: int) -> Iterator[None]:
    """One run of the task, a request per turn; yields after each request."""
    image, chained = screen(COLOURS[number]), CHAINED[number]
    tools: list[Any] = [{"type": "computer"}]
    history: list[Any] = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": SCENARIO.task},
                {"type": "input_image", "image_url": image, "detail": "original"},
            ],
        }
    ]
    response = client.responses.create(model="gpt-5.4", tools=tools, input=history, store=chained)
    yield
    while calls := [item for item in response.output if item.type == "computer_call"]:
        outputs: list[Any] = [
            {
                "type": "computer_call_output",
                "call_id": call.call_id,
                "output": {"type": "computer_screenshot", "image_url": image},
                "acknowledged_safety_checks": [
                    check.model_dump() for check in call.pending_safety_checks
                ],
            }
            for call in calls
        ]
        if chained:
            response = client.responses.create(
                model="gpt-5.4", tools=tools, previous_response_id=response.id, input=outputs
            )
        else:
            history += [item.model_dump(exclude_none=True) for item in response.output]
            history += outputs
            response = client.responses.create(
                model="gpt-5.4", tools=tools, input=history, store=False
            )
        yield
    assert response.output_text == SCENARIO.turns[-1].message


def record(directory: Path, *, interleaved: bool) -> Path:
    recorder = Recorder.open(directory, new_manifest(task=SCENARIO.task), environ={})
    with (
        FakeResponsesServer(SCENARIO) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as client,
    ):
        runs = [conversation(client, number) for number in range(len(CHAINED))]
        if interleaved:
            while runs:
                for run in list(runs):
                    if next(run, StopIteration) is StopIteration:
                        runs.remove(run)
        else:
            for run in runs:
                for _ in run:
                    pass
    recorder.close()
    return directory


@pytest.fixture(scope="module")
def cassettes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("conversations")
    return record(root / "interleaved", interleaved=True), record(
        root / "one-by-one", interleaved=False
    )


def test_the_requests_really_are_interleaved(cassettes: tuple[Path, Path]) -> None:
    cassette = load_cassette(cassettes[0])
    turns = len(SCENARIO.turns)
    assert len(cassette.steps) == turns * len(CHAINED)
    groups = conversations(cassette)
    assert [[record.step for record in group] for group in groups] == [
        list(range(first, len(cassette.steps) + 1, len(CHAINED)))
        for first in range(1, len(CHAINED) + 1)
    ]


def test_each_conversation_is_paired_with_its_own_screenshots(
    cassettes: tuple[Path, Path],
) -> None:
    cassette = load_cassette(cassettes[0])
    run = view(cassette)
    assert [step.conversation for step in run.steps] == sorted(
        step.conversation for step in run.steps
    )
    assert len(run.conversations) == len(CHAINED)
    for number, steps in enumerate(run.conversations):
        own = json.loads(json.dumps(cassette.request(steps[0].step)["input"]))
        first = own[0]["content"][1]["image_url"]  # this conversation's colour, as stored
        actions = [describe for step in steps for describe in step.actions]
        assert len(actions) == len(scripted(SCENARIO)), number
        for step in steps:
            for call in step.calls:
                assert call.before == first and call.after == first, (number, step.step)


def test_show_lists_each_conversation_whole(cassettes: tuple[Path, Path]) -> None:
    rows = shown(cassettes[0])
    per = len(SCENARIO.turns)
    assert [row["step"] for row in rows] == [
        step for first in range(1, 5) for step in range(first, per * 4 + 1, 4)
    ]
    actions = [action for row in rows for action in row["actions"]]
    assert actions == scripted(SCENARIO) * len(CHAINED)


def test_diff_of_interleaved_and_one_by_one_is_the_same_run(
    cassettes: tuple[Path, Path], tmp_path: Path
) -> None:
    interleaved, one_by_one = cassettes
    result = CliRunner().invoke(
        app, ["diff", str(interleaved), str(one_by_one), "--format", "json"]
    )
    kinds = {pair["kind"] for pair in json.loads(result.output)["pairs"]}
    assert kinds == {"same"}, result.output
    report = CliRunner().invoke(app, ["report", str(interleaved), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "r.html").read_text().count("no screenshot") == 0
