"""The SDK's ``ComputerToolset`` (sync and async) over a Playwright driver, end to end.

The toolset is the SDK's own stateless loop (``store: false``, the whole
history each turn, no ``current_url``). The first request carries a screenshot
of the start page, so the report can draw even the first action. Each flavour
records both fake "model versions" on the fake server, then replays offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.lib.computer import AsyncComputerToolset, ComputerToolset
from playwright.async_api import async_playwright
from playwright.sync_api import sync_playwright

from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.record import Recorder, async_recording_client, new_manifest, recording_client
from cua_replay.replay import async_replay_client, replay_client
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from cua_replay.site import FixtureSite

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
from .playwright_driver import AsyncPlaywrightDriver, PlaywrightDriver, route_fixture_site

pytestmark = pytest.mark.browser

REPLAY_URL = "http://replay.invalid/v1"
VIEWPORT = {"width": 1024, "height": 768}


@dataclass
class Ran:
    message: str
    done: list[str]


def params(scenario: Scenario, screenshot: dict[str, str]) -> dict[str, Any]:
    """The task with a screenshot of the start page, for the GA ``computer`` tool."""
    content = [
        {"type": "input_text", "text": scenario.task},
        {"type": "input_image", "image_url": screenshot["image_url"], "detail": "original"},
    ]
    return {
        "model": "gpt-5.4",
        "input": [{"role": "user", "content": content}],
        "store": False,
    }


def run_sync(scenario: Scenario, http_client: httpx2.Client, base_url: str) -> Ran:
    with (
        sync_playwright() as playwright,
        OpenAI(base_url=base_url, api_key="sk-test", http_client=http_client) as client,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            route_fixture_site(context)
            page = context.new_page()
            page.goto(scenario.start_url)
            driver = PlaywrightDriver(page)
            response = ComputerToolset(driver).run(
                client,
                params(scenario, driver.screenshot()),  # type: ignore[arg-type]
                approve_safety_checks=lambda call: True,
            )
        finally:
            browser.close()
    return Ran(response.output_text, driver.done)


def run_async(scenario: Scenario, http_client: httpx2.AsyncClient, base_url: str) -> Ran:
    async def run() -> Ran:
        async with (
            async_playwright() as playwright,
            AsyncOpenAI(base_url=base_url, api_key="sk-test", http_client=http_client) as client,
        ):
            browser = await playwright.chromium.launch(
                executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
            )
            try:
                context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                await FixtureSite().install(context)
                page = await context.new_page()
                await page.goto(scenario.start_url)
                driver = AsyncPlaywrightDriver(page)

                async def approve(call: Any) -> bool:
                    return True

                response = await AsyncComputerToolset(driver).run(
                    client,
                    params(scenario, await driver.screenshot()),  # type: ignore[arg-type]
                    approve_safety_checks=approve,
                )
            finally:
                await browser.close()
        return Ran(response.output_text, driver.done)

    return asyncio.run(run())


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
