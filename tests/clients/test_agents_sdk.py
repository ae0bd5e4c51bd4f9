"""The OpenAI Agents SDK's computer-use agent, recorded, replayed offline, shown, reported, diffed.

The agent (``agents_computer.py``: ``Agent`` + ``ComputerTool`` over the docs'
Playwright ``AsyncComputer``) runs with ``Runner.run`` against the fake server,
its traffic teed by ``async_recording_client``; once with a GA model name (the
SDK declares the ``computer`` tool and gets batched ``actions``) and once with
``computer-use-preview`` (``computer_use_preview``, one ``action`` per call).
Each model name runs two fake "model versions" (fixtures/diff/model-v1/v2).
The Agents SDK is stateless here (full history each turn, no ``current_url``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("agents")

from openai import AsyncOpenAI

from cua_replay.record import Recorder, async_recording_client, new_manifest
from cua_replay.replay import async_replay_client
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario

from .agents_computer import run_agent
from .checks import (
    V1,
    V2,
    assert_diff_finds_the_planted_changes,
    assert_report_draws_every_action,
    assert_self_diff_is_same,
    assert_shows,
    scripted,
    without_url_expectations,
)

pytestmark = pytest.mark.browser

MODELS = ["gpt-5.4", "computer-use-preview"]
REPLAY_URL = "http://replay.invalid/v1"


def record_agent(directory: Path, scenario: Scenario, model: str) -> Path:
    recorder = Recorder.open(directory, new_manifest(task=scenario.task, scenario=scenario.name))

    async def run() -> str:
        with FakeResponsesServer(scenario) as server:
            async with AsyncOpenAI(
                base_url=server.urls.openai_base_url,
                api_key="sk-test",
                http_client=async_recording_client(recorder.exchange),
            ) as client:
                result = await run_agent(
                    client, model=model, task=scenario.task, start_url=scenario.start_url
                )
            return str(result.final_output)

    assert asyncio.run(run()) == scenario.turns[-1].message
    recorder.close()
    return directory


@pytest.fixture(scope="module", params=MODELS)
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    model = str(request.param)
    root = tmp_path_factory.mktemp(f"agents-{model}") / model
    return (
        record_agent(root / "v1", without_url_expectations(load_scenario(V1)), model),
        record_agent(root / "v2", without_url_expectations(load_scenario(V2)), model),
    )


def test_show_lists_every_action_the_agent_executed(runs: tuple[Path, Path]) -> None:
    assert_shows(runs[0], scripted(load_scenario(V1)))
    assert_shows(runs[1], scripted(load_scenario(V2)))


def test_report_draws_each_action_on_its_screenshot(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    assert_report_draws_every_action(runs[1], tmp_path / "r.html", first_screen_seen=False)


def test_diff_finds_the_planted_differences(runs: tuple[Path, Path]) -> None:
    assert_diff_finds_the_planted_changes(*runs)
    assert_self_diff_is_same(runs[0])
    assert_self_diff_is_same(runs[1])


async def replay_agent(directory: Path, scenario: Scenario) -> str:
    """The agent once more, the model answered by the cassette in ``directory``: no server."""
    http = async_replay_client(directory)
    async with AsyncOpenAI(base_url=REPLAY_URL, api_key="sk-test", http_client=http) as client:
        result = await run_agent(
            client,
            model=directory.parent.name,
            task=scenario.task,
            start_url=scenario.start_url,
        )
    http.replay.check()
    return str(result.final_output)


def test_the_recording_replays_fully_offline(runs: tuple[Path, Path]) -> None:
    scenario = load_scenario(V2)
    for directory in runs:
        assert asyncio.run(replay_agent(directory, scenario)) == scenario.turns[-1].message
