"""Shared helpers for the executor's browser tests: a fresh page, an executor, a click."""

from __future__ import annotations

from typing import Any

from cua_replay.actions import parse_call
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.geometry import Viewport

from ..conftest import BrowserHarness

VIEWPORT = Viewport(1024, 768)


def make_executor(browser: BrowserHarness, page: Any, **options: Any) -> PlaywrightExecutor:
    """A PlaywrightExecutor with ``options``, built on the browser loop."""

    async def build() -> PlaywrightExecutor:
        return PlaywrightExecutor(page, **options)

    return browser.run(build())


def click(browser: BrowserHarness, executor: PlaywrightExecutor, selector: str) -> None:
    """A wire click at the centre of ``selector`` on the executor's current page."""

    async def go() -> None:
        box = await executor.page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not visible on {executor.current_url}"
        x, y = int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)
        wire = {"type": "click", "button": "left", "x": x, "y": y}
        for action in parse_call({"call_id": "call_t", "action": wire}, VIEWPORT):
            await executor.execute(action)

    browser.run(go())


def text(browser: BrowserHarness, executor: PlaywrightExecutor, selector: str) -> str | None:
    """The text of ``selector`` on the executor's current page."""
    result: str | None = browser.run(lambda: executor.page.locator(selector).text_content())
    return result
