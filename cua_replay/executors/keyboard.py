"""Press mapped keys in a Chromium page, including keys Playwright's layout lacks.

Playwright's keyboard knows the US layout only; F13-F24 and non-ASCII
characters (``é``) go straight to Chromium over CDP ``Input.dispatchKeyEvent``
with the modifier state we hold, so every name :func:`cua_replay.keys.map_keys`
returns can be pressed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..keys import EXTRA_KEYS, PLAYWRIGHT_KEYS, KeyStroke, chord, is_modifier

if TYPE_CHECKING:
    from playwright.async_api import CDPSession, Page

_CDP_MODIFIER_BITS = {"Alt": 1, "Control": 2, "Meta": 4, "Shift": 8}


class Keyboard:
    """Key strokes for one page; tracks held modifiers for the CDP path."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._cdp: CDPSession | None = None
        self._held: list[str] = []

    @property
    def page(self) -> Page:
        return self._page

    async def press_chord(self, keys: tuple[str, ...] | list[str]) -> None:
        """Press mapped ``keys`` together; see :func:`cua_replay.keys.chord`."""
        strokes = chord(keys)
        try:
            for stroke in strokes:
                await self.stroke(stroke)
        finally:
            for key in reversed(self._held):  # never leave a modifier stuck after an error
                await self._page.keyboard.up(key)
            self._held.clear()

    async def hold(self, keys: tuple[str, ...]) -> None:
        """Hold ``keys`` down (modifiers for a pointer action)."""
        for key in keys:
            await self.stroke(KeyStroke("down", key))

    async def release(self, keys: tuple[str, ...]) -> None:
        for key in reversed(keys):
            await self.stroke(KeyStroke("up", key))

    async def stroke(self, stroke: KeyStroke) -> None:
        key = stroke.key
        if key in PLAYWRIGHT_KEYS:
            if stroke.kind == "down":
                await self._page.keyboard.down(key)
                if is_modifier(key):
                    self._held.append(key)
            else:
                await self._page.keyboard.up(key)
                if key in self._held:
                    self._held.remove(key)
            return
        await self._dispatch_cdp(stroke)

    async def _dispatch_cdp(self, stroke: KeyStroke) -> None:
        if self._cdp is None:
            self._cdp = await self._page.context.new_cdp_session(self._page)
        key = stroke.key
        modifiers = 0
        for held in self._held:
            modifiers |= _CDP_MODIFIER_BITS.get(PLAYWRIGHT_KEYS.get(held, ""), 0)
        params: dict[str, Any] = {"key": key, "modifiers": modifiers}
        if key in EXTRA_KEYS:
            params |= {"code": key, "windowsVirtualKeyCode": EXTRA_KEYS[key]}
            params["type"] = "rawKeyDown" if stroke.kind == "down" else "keyUp"
        else:
            params["type"] = "keyDown" if stroke.kind == "down" else "keyUp"
            if stroke.kind == "down":
                params |= {"text": key, "unmodifiedText": key}
        await self._cdp.send("Input.dispatchKeyEvent", params)
