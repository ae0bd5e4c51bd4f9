"""A hand-written chained loop with the plain SDK: ``previous_response_id``, GA ``computer`` tool.

The loop a team writes from the API reference: send the task with a first
screenshot, carry out each call's ``actions``, answer with a screenshot, the
page's ``current_url`` and the acknowledged safety checks, chained on the
previous response. It runs the diff scenarios unchanged (the fake server checks
the URLs it reports), is recorded by ``recording_client``, and replays offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import OpenAI
from playwright.sync_api import sync_playwright

from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.record import Recorder, new_manifest, recording_client
from cua_replay.replay import replay_client
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario

from .checks import (
    V1,
    V2,
    assert_diff_finds_the_planted_changes,
    assert_report_draws_every_action,
    assert_self_diff_is_same,
    assert_shows,
    scripted,
    shown,
)
from .playwright_driver import PlaywrightDriver, route_fixture_site

pytestmark = pytest.mark.browser

REPLAY_URL = "http://replay.invalid/v1"


def chained_loop(client: OpenAI, driver: PlaywrightDriver, task: str) -> str:
    """Run ``task`` to the model's final message; every request chains on the last response."""
    first = driver.screenshot()
    response = client.responses.create(
        model="gpt-5.4",
        tools=[{"type": "computer"}],
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": task},
                    {"type": "input_image", "image_url": first["image_url"], "detail": "auto"},
                ],
            }
        ],
    )
    while calls := [item for item in response.output if item.type == "computer_call"]:
        outputs: list[Any] = []
        for call in calls:
            for action in call.actions or []:
                getattr(driver, action.type)(action)
            shot = driver.screenshot()
            outputs.append(
                {
                    "type": "computer_call_output",
                    "call_id": call.call_id,
                    "output": {"type": "computer_screenshot", "image_url": shot["image_url"]},
                    "current_url": driver.page.url,
                    "acknowledged_safety_checks": [
                        {"id": check.id, "code": check.code, "message": check.message}
                        for check in call.pending_safety_checks
                    ],
                }
            )
        response = client.responses.create(
            model="gpt-5.4",
            previous_response_id=response.id,
            tools=[{"type": "computer"}],
            input=outputs,
        )
    return response.output_text


def run(scenario: Scenario, http_client: httpx2.Client, base_url: str) -> tuple[str, list[str]]:
    with (
        sync_playwright() as playwright,
        OpenAI(base_url=base_url, api_key="sk-test", http_client=http_client) as client,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
        )
        try:
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            route_fixture_site(context)
            page = context.new_page()
            page.goto(scenario.start_url)
            driver = PlaywrightDriver(page)
            message = chained_loop(client, driver, scenario.task)
        finally:
            browser.close()
    return message, driver.done


def record(directory: Path, scenario: Scenario) -> Path:
    recorder = Recorder.open(directory, new_manifest(task=scenario.task, scenario=scenario.name))
    with FakeResponsesServer(scenario) as server:
        message, done = run(
            scenario, recording_client(recorder.exchange), server.urls.openai_base_url
        )
    recorder.close()
    assert message == scenario.turns[-1].message
    assert done == scripted(scenario)
    return directory


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("chained")
    return record(root / "v1", load_scenario(V1)), record(root / "v2", load_scenario(V2))


def test_show_lists_every_action_the_loop_executed(runs: tuple[Path, Path]) -> None:
    assert_shows(runs[0], scripted(load_scenario(V1)))
    assert_shows(runs[1], scripted(load_scenario(V2)))


def test_show_has_the_urls_the_loop_reported(runs: tuple[Path, Path]) -> None:

    urls = [row["url"] for row in shown(runs[1]) if row["actions"]]
    assert urls[0] == "https://shop.example/review.html"
    assert urls[-1] == "https://shop.example/form.html"


def test_report_draws_each_action_on_its_screenshot(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    assert_report_draws_every_action(runs[1], tmp_path / "r.html")


def test_diff_finds_the_planted_differences(runs: tuple[Path, Path]) -> None:
    assert_diff_finds_the_planted_changes(*runs)
    assert_self_diff_is_same(runs[1])


def test_the_recording_replays_fully_offline(runs: tuple[Path, Path]) -> None:
    for directory, scenario in zip(runs, (load_scenario(V1), load_scenario(V2)), strict=True):
        http = replay_client(directory)
        message, done = run(scenario, http, REPLAY_URL)
        assert message == scenario.turns[-1].message
        assert done == scripted(scenario)
        http.replay.check()
