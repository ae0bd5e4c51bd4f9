"""Execute validated actions in a real Chromium page through Playwright (async).

Coordinates arrive already clamped and scaled (:mod:`cua_replay.geometry`);
this module only drives the page. After each action it waits for the page to
settle with a bound, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

from ..actions import (
    Action,
    Click,
    DoubleClick,
    Drag,
    Keypress,
    Move,
    Screenshot,
    Scroll,
    Type,
    Wait,
)
from .keyboard import Keyboard

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page, Request

logger = logging.getLogger(__name__)

_MOUSE_BUTTONS: dict[str, Literal["left", "right", "middle"]] = {
    "left": "left",
    "right": "right",
    "wheel": "middle",  # the wheel *button*: a middle click, not a scroll
}


class PlaywrightExecutor:
    """Runs actions on one Playwright page."""

    def __init__(self, page: Page, *, settle_timeout_ms: float = 2_000) -> None:
        if settle_timeout_ms <= 0:
            raise ValueError(
                f"settle_timeout_ms={settle_timeout_ms!r} must be positive, e.g. 2000."
            )
        self.page = page
        self.settle_timeout_ms = settle_timeout_ms
        self._keyboard = Keyboard(page)
        self._navigating = False
        self._navigated = asyncio.Event()
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_done)
        page.on("framenavigated", self._on_frame_navigated)

    def _on_request(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._navigating = True
            self._navigated.clear()

    def _on_request_done(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._navigated.set()

    def _on_frame_navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self._navigated.set()

    @property
    def current_url(self) -> str:
        return self.page.url

    async def execute(self, action: Action) -> None:
        """Carry ``action`` out, then wait (bounded) for the page to settle."""
        match action:
            case Click(button="back"):
                await self.page.go_back(wait_until="commit")
            case Click(button="forward"):
                await self.page.go_forward(wait_until="commit")
            case Click():
                await self._with_modifiers(action.modifiers, lambda: self._click(action))
            case DoubleClick():
                await self._with_modifiers(action.modifiers, lambda: self._double_click(action))
            case Move():
                await self._with_modifiers(
                    action.modifiers, lambda: self.page.mouse.move(action.at.x, action.at.y)
                )
            case Scroll():
                await self._with_modifiers(action.modifiers, lambda: self._scroll(action))
            case Drag():
                await self._with_modifiers(action.modifiers, lambda: self._drag(action))
            case Keypress():
                await self._keyboard.press_chord(action.keys)
            case Type():
                await self.page.keyboard.type(action.text)
            case Screenshot() | Wait():
                pass
        await self.settle()

    async def screenshot(self) -> bytes:
        return await self.page.screenshot(type="png")

    async def settle(self) -> None:
        """Wait, within ``settle_timeout_ms``, for what the action started to finish.

        One animation frame lets handlers run and a navigation begin; if one
        began, wait for it to commit; then wait for the document's load event.
        A page that stays busy is logged, not fatal: the screenshot shows it.
        """
        from playwright.async_api import Error as PlaywrightError

        # If the document goes away mid-evaluate, a navigation is under way: handled below.
        with contextlib.suppress(PlaywrightError):
            await self.page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
            )
        if self._navigating:
            try:
                await asyncio.wait_for(self._navigated.wait(), self.settle_timeout_ms / 1000)
            except TimeoutError:
                logger.info("navigation did not commit within %s ms", self.settle_timeout_ms)
            self._navigating = False
        try:
            await self.page.wait_for_load_state("load", timeout=self.settle_timeout_ms)
        except PlaywrightError as exc:
            logger.info("page did not load within %s ms: %s", self.settle_timeout_ms, exc)

    async def _with_modifiers(
        self, modifiers: tuple[str, ...], effect: Callable[[], Awaitable[None]]
    ) -> None:
        await self._keyboard.hold(modifiers)
        try:
            await effect()
        finally:
            await self._keyboard.release(modifiers)

    async def _click(self, action: Click) -> None:
        await self.page.mouse.click(action.at.x, action.at.y, button=_MOUSE_BUTTONS[action.button])

    async def _double_click(self, action: DoubleClick) -> None:
        await self.page.mouse.dblclick(action.at.x, action.at.y)

    async def _scroll(self, action: Scroll) -> None:
        await self.page.mouse.move(action.at.x, action.at.y)
        await self.page.mouse.wheel(action.scroll_x, action.scroll_y)

    async def _drag(self, action: Drag) -> None:
        first, *rest = action.path
        await self.page.mouse.move(first.x, first.y)
        await self.page.mouse.down()
        try:
            for point in rest:
                await self.page.mouse.move(point.x, point.y)
        finally:
            await self.page.mouse.up()
