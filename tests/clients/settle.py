"""Wait until a click's navigation, if it started one, has loaded: then screenshot.

A driver screenshots right after its action. When a click follows a link, the
old page is still loaded (so ``wait_for_load_state`` returns at once) until the
new one commits; a screenshot then shows the old page on one run and the new
one on the next, and a replay rightly reports the difference. These helpers
note main-frame navigation requests and wait for a started navigation to load:
conditions, not sleeps.
"""

from __future__ import annotations

import contextlib
from typing import Any

from playwright.async_api import Error as AsyncError
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Error as SyncError
from playwright.sync_api import Page

TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
"""By two frames after a click, the browser has asked for the page a link leads to."""


class Navigations:
    """Counts main-frame navigations requested and committed on one page."""

    def __init__(self, page: Page | AsyncPage) -> None:
        self.requested = 0
        self.committed = 0
        self.main = page.main_frame
        page.on("request", self._request)
        page.on("framenavigated", self._navigated)

    def _request(self, request: Any) -> None:
        if request.is_navigation_request() and request.frame == self.main:
            self.requested += 1

    def _navigated(self, frame: Any) -> None:
        if frame == self.main:
            self.committed += 1

    @property
    def pending(self) -> bool:
        return self.committed < self.requested


def settle(page: Page, navigations: Navigations) -> None:
    with contextlib.suppress(SyncError):  # the page navigated away while we waited
        page.evaluate(TWO_FRAMES)
    while navigations.pending:
        page.wait_for_event("framenavigated")
    page.wait_for_load_state()


async def async_settle(page: AsyncPage, navigations: Navigations) -> None:
    with contextlib.suppress(AsyncError):
        await page.evaluate(TWO_FRAMES)
    while navigations.pending:
        await page.wait_for_event("framenavigated")
    await page.wait_for_load_state()
