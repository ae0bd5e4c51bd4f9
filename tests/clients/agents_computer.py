"""The OpenAI Agents SDK's computer-use agent, written the way its docs show.

``LocalPlaywrightComputer`` follows the Agents SDK's ``examples/tools/computer_use.py``
(an ``AsyncComputer`` over Playwright); the only changes are marked CHANGED: it
launches the project's Chromium (``cua_replay.browser.find_chromium``) headless,
serves the offline fixture site (``cua_replay.site.FixtureSite``) instead of the
web, ``screenshot`` waits for a navigation a click started (``settle.py``), and
``wait`` does not sleep.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from agents import (
    Agent,
    AsyncComputer,
    Button,
    ComputerTool,
    Environment,
    ModelSettings,
    Runner,
    RunResult,
    set_default_openai_api,
    set_default_openai_client,
    set_tracing_disabled,
)
from openai import AsyncOpenAI
from playwright.async_api import Browser, Page, Playwright, async_playwright

from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.site import FixtureSite

from .settle import Navigations, async_settle

CUA_KEY_TO_PLAYWRIGHT_KEY = {
    "/": "Divide",
    "\\": "Backslash",
    "alt": "Alt",
    "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight",
    "arrowup": "ArrowUp",
    "backspace": "Backspace",
    "capslock": "CapsLock",
    "cmd": "Meta",
    "ctrl": "Control",
    "delete": "Delete",
    "end": "End",
    "enter": "Enter",
    "esc": "Escape",
    "home": "Home",
    "insert": "Insert",
    "option": "Alt",
    "pagedown": "PageDown",
    "pageup": "PageUp",
    "shift": "Shift",
    "space": " ",
    "super": "Meta",
    "tab": "Tab",
    "win": "Meta",
}


class LocalPlaywrightComputer(AsyncComputer):
    """A computer, implemented using a local Playwright browser."""

    def __init__(self, start_url: str) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._start_url = start_url  # CHANGED: the fixture site's page, not bing.com

    async def _get_browser_and_page(self) -> tuple[Browser, Page]:
        width, height = self.dimensions
        # CHANGED: the project's Chromium, headless, with its launch arguments.
        launch_args = [f"--window-size={width},{height}", *LAUNCH_ARGS]
        browser = await self.playwright.chromium.launch(
            executable_path=str(find_chromium().path), headless=True, args=launch_args
        )
        context = await browser.new_context()
        await FixtureSite().install(context)  # CHANGED: the offline fixture site
        page = await context.new_page()
        await page.set_viewport_size({"width": width, "height": height})
        await page.goto(self._start_url)
        return browser, page

    async def __aenter__(self) -> LocalPlaywrightComputer:
        self._playwright = await async_playwright().start()
        self._browser, self._page = await self._get_browser_and_page()
        self.navigations = Navigations(self._page)  # CHANGED: see screenshot()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._browser:
            await self._browser.close()
        if self._playwright:
            await self._playwright.stop()

    @property
    def playwright(self) -> Playwright:
        assert self._playwright is not None
        return self._playwright

    @property
    def page(self) -> Page:
        assert self._page is not None
        return self._page

    @property
    def environment(self) -> Environment:
        return "browser"

    @property
    def dimensions(self) -> tuple[int, int]:
        return (1024, 768)

    async def screenshot(self) -> str:
        # CHANGED: wait for a navigation a click started (the example screenshots at
        # once, which shows the old page or the new one depending on timing).
        await async_settle(self.page, self.navigations)
        png_bytes = await self.page.screenshot(full_page=False)
        return base64.b64encode(png_bytes).decode("utf-8")

    async def click(self, x: int, y: int, button: Button = "left") -> None:
        playwright_button: Literal["left", "middle", "right"] = "left"
        if button in ("left", "right", "middle"):
            playwright_button = button  # type: ignore[assignment]
        await self.page.mouse.click(x, y, button=playwright_button)

    async def double_click(self, x: int, y: int) -> None:
        await self.page.mouse.dblclick(x, y)

    async def scroll(self, x: int, y: int, scroll_x: int, scroll_y: int) -> None:
        await self.page.mouse.move(x, y)
        await self.page.evaluate(f"window.scrollBy({scroll_x}, {scroll_y})")

    async def type(self, text: str) -> None:
        await self.page.keyboard.type(text)

    async def wait(self) -> None:
        pass  # CHANGED: the example sleeps a second; the fixture site is static

    async def move(self, x: int, y: int) -> None:
        await self.page.mouse.move(x, y)

    async def keypress(self, keys: list[str]) -> None:
        mapped_keys = [CUA_KEY_TO_PLAYWRIGHT_KEY.get(key.lower(), key) for key in keys]
        for key in mapped_keys:
            await self.page.keyboard.down(key)
        for key in reversed(mapped_keys):
            await self.page.keyboard.up(key)

    async def drag(self, path: list[tuple[int, int]]) -> None:
        if not path:
            return
        await self.page.mouse.move(path[0][0], path[0][1])
        await self.page.mouse.down()
        for px, py in path[1:]:
            await self.page.mouse.move(px, py)
        await self.page.mouse.up()


async def run_agent(
    client: AsyncOpenAI, *, model: str, task: str, start_url: str, acknowledge: bool = True
) -> RunResult:
    """One run of the computer-use agent, the model answered through ``client``.

    Tracing is off: the Agents SDK would otherwise export traces to the real
    service whatever the client's base URL.
    """
    set_tracing_disabled(True)
    set_default_openai_client(client, use_for_tracing=False)
    set_default_openai_api("responses")
    acknowledged: list[Any] = []

    def on_safety_check(data: Any) -> bool:
        acknowledged.append(data.safety_check.code)
        return acknowledge

    async with LocalPlaywrightComputer(start_url) as computer:
        agent = Agent(
            name="Browser user",
            instructions="You are a helpful agent.",
            tools=[ComputerTool(computer, on_safety_check=on_safety_check)],
            model=model,
            model_settings=ModelSettings(truncation="auto"),
        )
        return await Runner.run(agent, task, max_turns=20)
