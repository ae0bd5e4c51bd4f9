"""The SDK's ``ComputerToolset`` (sync and async) over a Playwright driver, end to end.

The toolset is the SDK's own stateless loop (``store: false``, the whole
history each turn, no ``current_url``). The first request carries a screenshot
of the start page, so the report can draw even the first action. Each flavour
records both fake "model versions" on the fake server, then replays offline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cua_replay.record import Recorder, async_recording_client, new_manifest, recording_client
from cua_replay.replay import async_replay_client, replay_client
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario

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
from .toolset_runs import Ran, run_async, run_sync

pytestmark = pytest.mark.browser

REPLAY_URL = "http://replay.invalid/v1"


FLAVOURS: dict[str, tuple[Callable[..., Ran], Callable[..., Any], Callable[..., Any]]] = {
    "sync": (run_sync, recording_client, replay_client),
    "async": (run_async, async_recording_client, async_replay_client),
}


def record(directory: Path, scenario: Scenario, flavour: str) -> Path:
    run, recording, _ = FLAVOURS[flavour]
    recorder = Recorder.open(directory, new_manifest(task=scenario.task, scenario=scenario.name))
    with FakeResponsesServer(scenario) as server:
        ran = run(scenario, recording(recorder.exchange), server.urls.openai_base_url)
    recorder.close()
    assert ran.message == scenario.turns[-1].message
    assert ran.done == scripted(scenario)
    return directory


@pytest.fixture(scope="module", params=sorted(FLAVOURS))
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    flavour = str(request.param)
    root = tmp_path_factory.mktemp("toolset") / flavour
    return (
        record(root / "v1", without_url_expectations(load_scenario(V1)), flavour),
        record(root / "v2", without_url_expectations(load_scenario(V2)), flavour),
    )


def test_show_lists_every_action_the_driver_executed(runs: tuple[Path, Path]) -> None:
    assert_shows(runs[0], scripted(load_scenario(V1)))
    assert_shows(runs[1], scripted(load_scenario(V2)))


def test_report_draws_each_action_on_its_screenshot(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    assert_report_draws_every_action(runs[1], tmp_path / "r.html")


def test_diff_finds_the_planted_differences(runs: tuple[Path, Path]) -> None:
    assert_diff_finds_the_planted_changes(*runs)
    assert_self_diff_is_same(runs[0])


def test_the_recording_replays_fully_offline(runs: tuple[Path, Path]) -> None:
    for directory, scenario in zip(runs, (load_scenario(V1), load_scenario(V2)), strict=True):
        run, _, replaying = FLAVOURS[directory.parent.name]
        http = replaying(directory)
        ran = run(scenario, http, REPLAY_URL)
        assert ran.message == scenario.turns[-1].message
        assert ran.done == scripted(scenario)
        http.replay.check()
