"""The SDK's own runner (``AsyncComputerToolset``) drives Chromium through SDKComputerDriver."""

from __future__ import annotations

from openai import AsyncOpenAI
from openai.lib.computer import AsyncComputerToolset

from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.executors.sdk_driver import SDKComputerDriver
from cua_replay.geometry import Viewport
from cua_replay.server import FakeResponsesServer, load_scenario

from ..conftest import BrowserHarness


def test_sdk_toolset_completes_the_form_scenario_on_the_driver(browser: BrowserHarness) -> None:
    scenario = load_scenario("form")
    with FakeResponsesServer("form") as server:

        async def run() -> tuple[str, str | None, str]:
            context = await browser.sandbox.browser.new_context(
                viewport={"width": 1024, "height": 768}
            )
            try:
                await browser.sandbox.site.install(context)
                page = await context.new_page()
                await page.goto(scenario.start_url)
                executor = PlaywrightExecutor(page)
                driver = SDKComputerDriver(executor, Viewport(1024, 768))
                async with AsyncOpenAI(
                    base_url=server.urls.openai_base_url, api_key="sk-test"
                ) as client:
                    response = await AsyncComputerToolset(driver).run(
                        client, {"model": "gpt-5.4", "input": scenario.task}
                    )
                result = await executor.page.locator("#result").text_content()
                return response.output_text, result, executor.current_url
            finally:
                await context.close()

        final, result, url = browser.run(run())
    assert result == scenario.done.text["#result"]
    assert final == scenario.turns[-1].message and url == scenario.done.url
    assert server.state.finished
