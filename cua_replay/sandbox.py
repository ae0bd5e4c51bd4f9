"""A headless Chromium showing the offline fixture site, as one async context manager.

Used by the demo and the browser tests: launch (see :mod:`cua_replay.browser`),
a context of the given viewport whose every request is served by
:class:`~cua_replay.site.FixtureSite` or aborted, and one page.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .browser import launch_chromium
from .geometry import Viewport
from .site import FixtureSite

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page


@dataclass(slots=True)
class Sandbox:
    browser: Browser
    context: BrowserContext
    page: Page
    site: FixtureSite | None
    """None when the sandbox shows the live web."""
    viewport: Viewport


@asynccontextmanager
async def open_sandbox(
    *,
    width: int = 1024,
    height: int = 768,
    device_scale_factor: float = 1.0,
    site: FixtureSite | Literal["none"] | None = None,
    headless: bool = True,
    environ: Mapping[str, str] = os.environ,
    browser: Browser | None = None,
) -> AsyncIterator[Sandbox]:
    """Yield a :class:`Sandbox`; the model's coordinate space follows ``device_scale_factor``.

    ``browser`` is one already running (shared by a suite's runs, or connected to
    a remote browser server): the sandbox opens and closes only its own context
    there. Without it, a Chromium is launched for the sandbox and closed after.

    ``site`` is the fixture site (the default), or ``"none"`` for the live web:
    no routing at all, so only a domain policy stands between the page and the
    network.
    """
    served = None if site == "none" else (site or FixtureSite())
    viewport = (
        Viewport(width, height)
        if device_scale_factor == 1
        else Viewport.hidpi(width, height, device_scale_factor)
    )
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a hard dependency today
        raise ImportError("Playwright drives the browser: pip install 'cua-replay'") from exc
    async with AsyncExitStack() as stack:
        if browser is None:
            playwright = await stack.enter_async_context(async_playwright())
            browser = await launch_chromium(playwright, headless=headless, environ=environ)
            stack.push_async_callback(browser.close)
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=device_scale_factor,
            service_workers="block",
            accept_downloads=True,  # the executor saves and records downloads
        )
        stack.push_async_callback(context.close)
        if served is not None:
            await served.install(context)
        page = await context.new_page()
        yield Sandbox(browser, context, page, served, viewport)
