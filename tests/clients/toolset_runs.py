"""The SDK's ``ComputerToolset`` (sync and async) on real Chromium, given a client.

Shared by the client suite (``test_toolset.py``) and the pytest fixture tests
(``tests/plugin/test_client_fixtures.py``), which hand it the plugin's
``cua_openai`` / ``cua_async_openai``. ``style`` is CSS added to the start page
(a test that wants the screens to differ from the recording's).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx2
from openai import AsyncOpenAI, OpenAI
from openai.lib.computer import AsyncComputerToolset, ComputerToolset
from playwright.async_api import async_playwright
from playwright.sync_api import sync_playwright

from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.server import Scenario
from cua_replay.site import FixtureSite

from .playwright_driver import AsyncPlaywrightDriver, PlaywrightDriver, route_fixture_site

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


def toolset_sync(scenario: Scenario, client: OpenAI, *, style: str | None = None) -> Ran:
    """``ComputerToolset(driver).run(client, ...)`` on the scenario's start page."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            route_fixture_site(context)
            page = context.new_page()
            page.goto(scenario.start_url)
            if style:
                page.add_style_tag(content=style)
            driver = PlaywrightDriver(page)
            response = ComputerToolset(driver).run(
                client,
                params(scenario, driver.screenshot()),  # type: ignore[arg-type]
                approve_safety_checks=lambda call: True,
            )
        finally:
            browser.close()
    return Ran(response.output_text, driver.done)


async def toolset_async(
    scenario: Scenario, client: AsyncOpenAI, *, style: str | None = None
) -> Ran:
    """``AsyncComputerToolset(driver).run(client, ...)`` on the scenario's start page."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
        )
        try:
            context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            await FixtureSite().install(context)
            page = await context.new_page()
            await page.goto(scenario.start_url)
            if style:
                await page.add_style_tag(content=style)
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


def run_sync(scenario: Scenario, http_client: httpx2.Client, base_url: str) -> Ran:
    with OpenAI(base_url=base_url, api_key="sk-test", http_client=http_client) as client:
        return toolset_sync(scenario, client)


def run_async(scenario: Scenario, http_client: httpx2.AsyncClient, base_url: str) -> Ran:
    async def run() -> Ran:
        async with AsyncOpenAI(
            base_url=base_url, api_key="sk-test", http_client=http_client
        ) as client:
            return await toolset_async(scenario, client)

    return asyncio.run(run())
