"""Execute validated actions in a real Chromium context through Playwright (async).

Coordinates arrive already clamped and scaled (:mod:`cua_replay.geometry`);
this module only drives the browser. After each action it waits for the page
to settle with a bound, never for a fixed time. The executor starts on one
page and follows the context: a new tab or popup the action opened becomes
current, and when the current page closes its opener does
(:mod:`cua_replay.executors.pages`). Dialogs, downloads and tab changes are
recorded for the loop to :meth:`~PlaywrightExecutor.drain_events`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

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
from ..errors import ExecutorError, InvalidSetting
from .base import PageRecord
from .keyboard import Keyboard
from .pages import COUNTS, DialogPolicy, Effects, PageTracker

if TYPE_CHECKING:
    from playwright.async_api import Page

logger = logging.getLogger(__name__)

# One animation frame and a task later; reports (and resets) the document's
# "navigating away" flag that COUNT_EFFECTS sets, whether the document has loaded,
# and its effect counts (pages.COUNTS): one round trip instead of two.
_NEXT_FRAME = (
    """() => new Promise(r => requestAnimationFrame(() => setTimeout(() => {
  const leaving = window.__cuaLeaving === true;
  window.__cuaLeaving = false;
  r([leaving, document.readyState === "complete", ..."""
    + COUNTS
    + """]);
}, 0)))"""
)

_MOUSE_BUTTONS: dict[str, Literal["left", "right", "middle"]] = {
    "left": "left",
    "right": "right",
    "wheel": "middle",  # the wheel *button*: a middle click, not a scroll
}


class PlaywrightExecutor:
    """Runs actions in the browser context of ``page``, starting on ``page``.

    After an action that opened popups (``target=_blank``, ``window.open``)
    the newest one becomes :attr:`page`, once loaded; a popup that opens
    between actions is followed at the end of the next one. When the current
    page closes, its opener (or else the newest open page) becomes current.
    Build it on the event loop that drives Playwright: it subscribes to events.

    Keyword arguments (every wait is bounded; none is a fixed sleep):

    * ``settle_timeout_ms``: the bound on each wait after an action (a
      navigation committing, the load event, a new tab appearing, downloads
      being saved);
    * ``network_idle_ms``: the bound on waiting for the current page to have
      no request in flight after an action (0 skips it; counted from the
      page's request events, not Playwright's 500 ms-quiet ``networkidle``);
      a page that never idles is logged, not fatal;
    * ``wait_ms``: what a ``wait`` action allows the page to finish what it is
      doing: settle, then network idle bounded by ``wait_ms`` instead of
      ``network_idle_ms``. It returns as soon as the page is idle;
    * ``screenshot_timeout_ms``: the bound on one screenshot attempt;
    * ``dialogs``: ``"dismiss"`` (default) or ``"accept"`` every alert,
      confirm, prompt (accepted with its default text) and beforeunload;
    * ``downloads_dir``: where downloads are saved; a temporary directory is
      created at the first download if None (yours to delete, see
      :attr:`downloads_dir`).
    """

    def __init__(
        self,
        page: Page,
        *,
        settle_timeout_ms: float = 2_000,
        network_idle_ms: float = 500,
        wait_ms: float = 1_000,
        screenshot_timeout_ms: float = 10_000,
        dialogs: DialogPolicy = "dismiss",
        downloads_dir: Path | None = None,
    ) -> None:
        for name, value, minimum in (
            ("settle_timeout_ms", settle_timeout_ms, "positive, e.g. 2000"),
            ("wait_ms", wait_ms, "positive, e.g. 1000"),
            ("screenshot_timeout_ms", screenshot_timeout_ms, "positive, e.g. 10000"),
        ):
            if not value > 0:
                raise InvalidSetting(f"{name}={value!r} must be {minimum}.", setting=name)
        if not network_idle_ms >= 0:
            raise InvalidSetting(
                f"network_idle_ms={network_idle_ms!r} must be 0 (do not wait) or more, e.g. 500.",
                setting="network_idle_ms",
            )
        if dialogs not in get_args(DialogPolicy):
            raise InvalidSetting(
                f"dialogs={dialogs!r} is not a dialog policy; use 'accept' or 'dismiss'.",
                setting="dialogs",
            )
        directory = Path(downloads_dir) if downloads_dir is not None else None
        if directory is not None and directory.exists() and not directory.is_dir():
            raise InvalidSetting(
                f"downloads_dir={str(directory)!r} exists and is not a directory; "
                "pass a directory (it is created if missing) or None for a temporary one.",
                setting="downloads_dir",
            )
        self.settle_timeout_ms = settle_timeout_ms
        self.network_idle_ms = network_idle_ms
        self.wait_ms = wait_ms
        self.screenshot_timeout_ms = screenshot_timeout_ms
        self._pages = PageTracker(
            page,
            dialogs=dialogs,
            downloads_dir=directory,
        )
        self._keyboard = Keyboard(page)
        self._installed = False

    @property
    def page(self) -> Page:
        """The current page: where the next action lands and what screenshots show."""
        return self._pages.current

    @property
    def current_url(self) -> str:
        return self.page.url

    @property
    def dialogs(self) -> DialogPolicy:
        return self._pages.dialogs

    @property
    def downloads_dir(self) -> Path | None:
        """Where downloads are saved; None until the first one if none was given."""
        return self._pages.downloads_dir

    def drain_events(self) -> list[PageRecord]:
        """What pages did since the last call, oldest first, as ``(kind, detail)``.

        ``tab_opened``: ``{url, opener_url}``; ``tab_closed``: ``{url,
        was_current, switched_to}`` (``switched_to`` is the new current URL or
        None); ``dialog``: ``{type, message, default_value, action, url}``;
        ``download``: ``{url, suggested_filename, path, size}`` (plus ``error``,
        with ``path`` and ``size`` None, if it could not be saved).
        """
        return self._pages.drain()

    async def execute(self, action: Action) -> None:
        """Carry ``action`` out, then wait (bounded) for its effects and for the page to settle.

        An action that closes its own page (a button calling ``window.close()``)
        succeeds: the opener becomes current. Any other failure raises.
        """
        from playwright.async_api import Error as PlaywrightError

        if not self._installed:
            await self._pages.install()
            self._installed = True
        page = self.page
        self._pages.arm()
        before = await self._pages.effects(page)
        try:
            await self._perform(page, action)
        except PlaywrightError as exc:
            if not await self._closed_by(page, exc):
                raise
            logger.info("%s closed during a %s action: %s", page.url, action.type, exc.message)
        idle_ms = self.wait_ms if isinstance(action, Wait) else self.network_idle_ms
        after = await self._settle(network_idle_ms=idle_ms)
        await self._await_effects(page, before, after if self.page is page else None)
        await self._follow_popups()

    async def _perform(self, page: Page, action: Action) -> None:
        match action:
            case Click(button="back"):
                await page.go_back(wait_until="commit")
            case Click(button="forward"):
                await page.go_forward(wait_until="commit")
            case Click():
                await self._with_modifiers(action.modifiers, lambda: self._click(action))
            case DoubleClick():
                await self._with_modifiers(action.modifiers, lambda: self._double_click(action))
            case Move():
                await self._with_modifiers(
                    action.modifiers, lambda: page.mouse.move(action.at.x, action.at.y)
                )
            case Scroll():
                await self._with_modifiers(action.modifiers, lambda: self._scroll(action))
            case Drag():
                await self._with_modifiers(action.modifiers, lambda: self._drag(action))
            case Keypress():
                await self._keyboard_for(page).press_chord(action.keys)
            case Type():
                await page.keyboard.type(action.text)
            case Screenshot() | Wait():
                pass

    async def _closed_by(self, page: Page, error: Exception) -> bool:
        """Whether ``error`` only means the action closed ``page`` and another page took over.

        Playwright may report the closed target before the page's close event:
        then wait (bounded) for that event.
        """
        if not page.is_closed() and "closed" in str(error):
            pages = self._pages
            await pages.wait_for(pages.closed, self.settle_timeout_ms, f"closing {page.url}")
        return page.is_closed() and not self.page.is_closed()

    async def screenshot(self) -> bytes:
        """PNG bytes of the current page: one retry, then :class:`ExecutorError`.

        Never returns an earlier screenshot: what the model sees is what the page shows.
        """
        from playwright.async_api import Error as PlaywrightError

        failures: list[PlaywrightError] = []
        for attempt in (1, 2):
            page = self.page  # a close between attempts may have switched pages
            try:
                return await page.screenshot(type="png", timeout=self.screenshot_timeout_ms)
            except PlaywrightError as exc:
                logger.info("screenshot attempt %d of %s failed: %s", attempt, page.url, exc)
                failures.append(exc)
        error = failures[-1]
        reason = (error.message or type(error).__name__).splitlines()[0]
        raise ExecutorError(
            f"Screenshot of url={page.url!r} failed twice; Playwright said: {reason}. "
            "If the page closed or crashed, drain_events() says which tab closed; "
            "open or reload a page before the next screenshot.",
            url=page.url,
        ) from error

    async def settle(self, *, network_idle_ms: float | None = None) -> None:
        """Wait, each step within its bound, for what the action started to finish.

        One animation frame lets handlers run and a navigation begin; if one
        began, wait for it to commit; then for the document's load event; then
        for the network to be idle (``network_idle_ms``, by default the
        executor's). A page that stays busy is logged, not fatal: the
        screenshot shows it.
        """
        await self._settle(network_idle_ms=network_idle_ms)

    async def _settle(self, *, network_idle_ms: float | None = None) -> Effects | None:
        """:meth:`settle`; and the current page's effect counts as its last frame read them,
        when nothing that could change them came after (no navigation, no load or request
        waited for since), else None."""
        from playwright.async_api import Error as PlaywrightError

        pages = self._pages
        leaving, counts = await self._next_frame()
        if pages.navigating:
            await pages.navigation_settled(pages.navigation_mark, self.settle_timeout_ms)
            counts = None
        elif leaving and pages.settled == pages.baseline:  # its request is not seen yet
            await pages.navigation_settled(pages.baseline, self.settle_timeout_ms)
            counts = None
        pages.navigating = False
        try:
            await self.page.wait_for_load_state("load", timeout=self.settle_timeout_ms)
        except PlaywrightError as exc:
            logger.info("page did not load within %s ms: %s", self.settle_timeout_ms, exc)
        idle_ms = self.network_idle_ms if network_idle_ms is None else network_idle_ms
        network = await pages.network_idle(idle_ms)
        if network == "idled":
            _, counts = await self._next_frame()  # let the page handle what just arrived
        elif network == "busy":
            counts = None
        return counts

    async def _next_frame(self) -> tuple[bool, Effects | None]:
        """Let one frame pass: whether the document has started to navigate away, and its
        effect counts (None if it has not loaded yet, or is gone)."""
        from playwright.async_api import Error as PlaywrightError

        # If the document goes away mid-evaluate, a navigation or close is under way.
        with contextlib.suppress(PlaywrightError):
            leaving, loaded, opens, closes, downloads = await self.page.evaluate(_NEXT_FRAME)
            counts = Effects(int(opens), int(closes), int(downloads)) if loaded else None
            return bool(leaving), counts
        return False, None

    async def _await_effects(
        self, page: Page, before: Effects | None, after: Effects | None = None
    ) -> None:
        """Wait (bounded) for the tabs, closes and downloads ``page`` asked for in the action.

        ``after``: ``page``'s counts as settling last read them, if still current.
        """
        pages, bound = self._pages, self.settle_timeout_ms
        if after is None:
            after = await pages.effects(page)
        if before is not None and after is not None:
            if after.opens > before.opens:
                await pages.wait_for(pages.opened, bound, f"a new page from {page.url}")
            if after.closes > before.closes and not page.is_closed():
                await pages.wait_for(pages.closed, bound, f"closing {page.url}")
        asked = before is not None and after is not None and after.downloads > before.downloads
        if asked or pages.download_expected:
            await pages.wait_for(pages.download_started, bound, f"a download from {page.url}")
        await pages.downloads_saved(bound)

    async def _follow_popups(self) -> None:
        """Make the newest popup opened during the action current, once it has loaded."""
        popups = self._pages.take_popups()
        if popups:
            self._pages.switch(popups[-1])
            await self.settle()

    def _keyboard_for(self, page: Page) -> Keyboard:
        if self._keyboard.page is not page:
            self._keyboard = Keyboard(page)
        return self._keyboard

    async def _with_modifiers(
        self, modifiers: tuple[str, ...], effect: Callable[[], Awaitable[None]]
    ) -> None:
        keyboard = self._keyboard_for(self.page)
        await keyboard.hold(modifiers)
        try:
            await effect()
        finally:
            await keyboard.release(modifiers)

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
