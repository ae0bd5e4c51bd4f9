"""Watch every page of one browser context for an executor: tabs, dialogs, downloads, traffic.

:class:`PageTracker` owns which page is *current*. It follows popups (a
``target=_blank`` link, ``window.open``) when the executor asks it to, falls
back to the opener when the current page closes, answers dialogs with one
policy, saves downloads, counts each page's requests in flight, and keeps a
record of all of it for the loop to drain. Everything here runs on the
Playwright event loop, from Playwright's event callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .base import PageEventKind, PageRecord

if TYPE_CHECKING:
    from playwright.async_api import (
        BrowserContext,
        Dialog,
        Download,
        Frame,
        Page,
        Request,
        Response,
    )

logger = logging.getLogger(__name__)

DialogPolicy: TypeAlias = Literal["accept", "dismiss"]

# Counts, per document, what a click or key can make the browser do *after* the
# action returns: open a page (target=_blank links, window.open), close this one
# (window.close that took effect) or start a download (links with `download`);
# and flags a navigation away from this document as it starts.
# Playwright reports those a little later; the executor compares the counts
# before and after an action to know what to wait for. (A navigation answered
# with `Content-Disposition: attachment` is seen from its response instead.)
# Idempotent: several executors on one context may each add it.
COUNT_EFFECTS = """(() => {
  if (window.__cuaOpens !== undefined) return;
  window.__cuaOpens = 0;
  window.__cuaCloses = 0;
  window.__cuaDownloads = 0;
  const open = window.open;
  window.open = function (...args) { window.__cuaOpens++; return open.apply(this, args); };
  const close = window.close;
  window.close = function (...args) {
    const result = close.apply(this, args);
    if (window.closed) window.__cuaCloses++;
    return result;
  };
  // A cross-document navigation this document starts (link, form, location):
  // known here at once, before Playwright sees its request.
  if (window.navigation) window.navigation.addEventListener("navigate", (event) => {
    if (!event.destination.sameDocument && !event.downloadRequest) window.__cuaLeaving = true;
  });
  window.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("a[href]");
    if (!link) return;
    if (link.hasAttribute("download")) window.__cuaDownloads++;
    else if (link.target === "_blank") window.__cuaOpens++;
  }, true);
})()"""

COUNTS = "[window.__cuaOpens || 0, window.__cuaCloses || 0, window.__cuaDownloads || 0]"

# Contexts that already carry COUNT_EFFECTS as an init script.
_INSTALLED: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class Effects:
    """What a document has asked the browser to do so far (see :data:`COUNT_EFFECTS`)."""

    opens: int
    closes: int
    downloads: int


class PageTracker:
    """The pages of ``page.context``, which one is current, and what they did."""

    def __init__(
        self, page: Page, *, dialogs: DialogPolicy, downloads_dir: Path | None = None
    ) -> None:
        self.current = page
        self.context = page.context
        self.dialogs = dialogs
        self.downloads_dir = downloads_dir
        """Where downloads go; a temporary directory is created at the first one if None."""
        self.navigating = False
        """A main-frame navigation request of the current page was seen since ``settled``."""
        self.navigation_mark = 0
        """``settled`` when that request was seen."""
        self.settled = 0
        """How many main-frame navigations of the current page committed or were cancelled."""
        self.baseline = 0
        """``settled`` when the last action began (see :meth:`arm`)."""
        self.navigated = asyncio.Event()
        self.idle = asyncio.Event()
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.download_started = asyncio.Event()
        self.download_expected = False
        """A navigation since :meth:`arm` was answered as an attachment: a download follows."""
        self._records: list[PageRecord] = []
        self._inflight: dict[Page, set[Request]] = {}
        self._openers: dict[Page, Page] = {}
        self._popups: list[Page] = []
        self._saving: set[asyncio.Task[None]] = set()
        self._reserved: set[Path] = set()
        self.context.on("page", self.watch)
        for known in [*self.context.pages, page]:
            self.watch(known)

    # -- what the executor calls ------------------------------------------------------

    async def install(self) -> None:
        """Count effects in every document of the context, from now on and in open pages."""
        from playwright.async_api import Error as PlaywrightError

        if self.context not in _INSTALLED:
            await self.context.add_init_script(COUNT_EFFECTS)
            _INSTALLED.add(self.context)
        for page in self.context.pages:
            try:
                await page.evaluate(COUNT_EFFECTS)
            except PlaywrightError as exc:  # closing or navigating: the init script covers it
                logger.debug("could not count effects on %s: %s", page.url, exc)

    async def effects(self, page: Page) -> Effects | None:
        """The counts of ``page``'s document, or None if it is gone or going."""
        from playwright.async_api import Error as PlaywrightError

        if page.is_closed():
            return None
        try:
            opens, closes, downloads = await page.evaluate(COUNTS)
        except PlaywrightError:
            return None
        return Effects(int(opens), int(closes), int(downloads))

    def arm(self) -> None:
        """Forget earlier signals: what happens from now on belongs to the next action."""
        for signal in (self.opened, self.closed, self.download_started):
            signal.clear()
        self.download_expected = False
        self.baseline = self.settled

    async def wait_for(self, signal: asyncio.Event, timeout_ms: float, what: str) -> None:
        """Wait up to ``timeout_ms`` for ``signal``; log, never raise, if it does not come."""
        try:
            await asyncio.wait_for(signal.wait(), timeout_ms / 1000)
        except TimeoutError:
            logger.info("%s did not happen within %s ms", what, timeout_ms)

    async def navigation_settled(self, since: int, timeout_ms: float) -> None:
        """Wait up to ``timeout_ms`` until a navigation commits or fails after ``since``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while self.settled == since:
            self.navigated.clear()
            try:
                await asyncio.wait_for(self.navigated.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                logger.info("navigation did not commit within %s ms", timeout_ms)
                return

    async def network_idle(self, timeout_ms: float) -> Literal["quiet", "idled", "busy"]:
        """Wait up to ``timeout_ms`` until the current page has no request in flight.

        ``quiet``: nothing was in flight; ``idled``: the last request ended in
        time; ``busy``: requests were still in flight at the bound (logged).
        """
        page = self.current
        if timeout_ms <= 0 or not self._inflight.get(page):
            return "quiet"
        self.idle.clear()
        try:
            await asyncio.wait_for(self.idle.wait(), timeout_ms / 1000)
            return "idled"
        except TimeoutError:
            pending = sorted(r.url for r in self._inflight.get(page, ()))
            logger.info(
                "network not idle after %s ms on %s: %d request(s) in flight, e.g. %s",
                timeout_ms,
                page.url,
                len(pending),
                pending[:3],
            )
            return "busy"

    async def downloads_saved(self, timeout_ms: float) -> None:
        """Wait up to ``timeout_ms`` for downloads being saved; they go on if it runs out."""
        if not self._saving:
            return
        _, pending = await asyncio.wait(set(self._saving), timeout=timeout_ms / 1000)
        if pending:
            logger.info("%d download(s) still saving after %s ms", len(pending), timeout_ms)

    def take_popups(self) -> list[Page]:
        """Popups opened since the last call that are still open, oldest first."""
        popups = [p for p in self._popups if not p.is_closed()]
        self._popups.clear()
        return popups

    def switch(self, page: Page) -> None:
        """Make ``page`` current; navigation state starts afresh."""
        self.current = page
        self.navigating = False
        self.baseline = self.settled
        if not self._inflight.get(page):
            self.idle.set()

    def drain(self) -> list[PageRecord]:
        records, self._records = self._records, []
        return records

    # -- Playwright callbacks -----------------------------------------------------------

    def watch(self, page: Page) -> None:
        """Subscribe to ``page``'s events (once per page)."""
        if page in self._inflight:
            return
        self._inflight[page] = set()
        page.on("request", lambda request: self._on_request(page, request))
        page.on("requestfinished", lambda request: self._on_request_done(page, request, False))
        page.on("requestfailed", lambda request: self._on_request_done(page, request, True))
        page.on("response", self._on_response)
        page.on("framenavigated", self._on_frame_navigated)
        page.on("popup", lambda popup: self._on_popup(page, popup))
        page.on("close", self._on_close)
        page.on("dialog", self._on_dialog)
        page.on("download", self._on_download)

    def _record(self, kind: PageEventKind, detail: dict[str, Any]) -> None:
        self._records.append((kind, detail))

    def _is_main_navigation(self, page: Page, request: Request) -> bool:
        return (
            page is self.current
            and request.is_navigation_request()
            and request.frame == page.main_frame
        )

    def _on_request(self, page: Page, request: Request) -> None:
        self._inflight.setdefault(page, set()).add(request)
        if page is self.current:
            self.idle.clear()
        if self._is_main_navigation(page, request):
            self.navigating = True
            self.navigation_mark = self.settled

    def _on_request_done(self, page: Page, request: Request, failed: bool) -> None:
        inflight = self._inflight.setdefault(page, set())
        inflight.discard(request)
        if page is self.current and not inflight:
            self.idle.set()
        if failed and self._is_main_navigation(page, request):
            self._navigation_settled()

    def _on_response(self, response: Response) -> None:
        disposition = response.headers.get("content-disposition", "")
        if response.request.is_navigation_request() and disposition.lower().startswith(
            "attachment"
        ):
            self.download_expected = True

    def _on_frame_navigated(self, frame: Frame) -> None:
        if frame == self.current.main_frame:
            self._navigation_settled()

    def _navigation_settled(self) -> None:
        self.settled += 1
        self.navigated.set()

    def _on_popup(self, opener: Page, popup: Page) -> None:
        self.watch(popup)
        self._openers[popup] = opener
        self._popups.append(popup)
        self._record("tab_opened", {"url": popup.url, "opener_url": opener.url})
        self.opened.set()

    def _on_close(self, page: Page) -> None:
        if page in self._popups:
            self._popups.remove(page)
        self._inflight[page] = set()
        was_current = page is self.current
        fallback = self._fallback(page) if was_current else None
        if fallback is not None:
            self.switch(fallback)
        self._record(
            "tab_closed",
            {
                "url": page.url,
                "was_current": was_current,
                "switched_to": fallback.url if fallback is not None else None,
            },
        )
        self.closed.set()

    def _fallback(self, closed: Page) -> Page | None:
        """The opener of ``closed`` if it is open, else the newest open page, else None."""
        opener = self._openers.get(closed)
        if opener is not None and not opener.is_closed():
            return opener
        remaining = [p for p in self.context.pages if p is not closed and not p.is_closed()]
        return remaining[-1] if remaining else None

    async def _on_dialog(self, dialog: Dialog) -> None:
        from playwright.async_api import Error as PlaywrightError

        page = dialog.page
        detail: dict[str, Any] = {
            "type": dialog.type,
            "message": dialog.message,
            "default_value": dialog.default_value,
            "action": self.dialogs,
            "url": page.url if page is not None else "",
        }
        try:
            if self.dialogs == "dismiss":
                await dialog.dismiss()
                if dialog.type == "beforeunload" and page is self.current:
                    self._navigation_settled()  # staying: the navigation is cancelled
            elif dialog.type == "prompt":
                await dialog.accept(dialog.default_value)  # as if OK was pressed untouched
            else:
                await dialog.accept()
        except PlaywrightError as exc:  # another listener answered it first
            logger.info("dialog %r was not %sed here: %s", dialog.message, self.dialogs, exc)
            return
        self._record("dialog", detail)

    def _on_download(self, download: Download) -> None:
        self.download_started.set()
        target = self._reserve(download.suggested_filename)
        task = asyncio.get_running_loop().create_task(self._save(download, target))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    def _reserve(self, suggested: str) -> Path:
        """A free path for ``suggested`` in the downloads directory: ``name (1).ext`` on clashes."""
        if self.downloads_dir is None:
            self.downloads_dir = Path(tempfile.mkdtemp(prefix="cua-replay-downloads-"))
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        name = Path(suggested).name
        if name in ("", ".", ".."):
            name = "download"
        stem, suffix = Path(name).stem, Path(name).suffix
        target, n = self.downloads_dir / name, 0
        while target in self._reserved or target.exists():
            n += 1
            target = self.downloads_dir / f"{stem} ({n}){suffix}"
        self._reserved.add(target)
        return target

    async def _save(self, download: Download, target: Path) -> None:
        from playwright.async_api import Error as PlaywrightError

        detail: dict[str, Any] = {
            "url": download.url,
            "suggested_filename": download.suggested_filename,
            "path": None,
            "size": None,
        }
        try:
            await download.save_as(target)
            detail["path"] = str(target)
            detail["size"] = target.stat().st_size
        except (PlaywrightError, OSError) as exc:
            logger.warning("download of %s could not be saved to %s: %s", download.url, target, exc)
            detail["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self._record("download", detail)
