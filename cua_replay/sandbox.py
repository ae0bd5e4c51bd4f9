"""A headless Chromium showing the offline fixture site, as one async context manager.

Used by the demo and the browser tests: launch (see :mod:`cua_replay.browser`),
a context of the given viewport whose every request is served by
:class:`~cua_replay.site.FixtureSite` or aborted, and one page.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    site: FixtureSite
    viewport: Viewport


@asynccontextmanager
async def open_sandbox(
    *,
    width: int = 1024,
    height: int = 768,
    device_scale_factor: float = 1.0,
    site: FixtureSite | None = None,
    environ: Mapping[str, str] = os.environ,
) -> AsyncIterator[Sandbox]:
    """Yield a :class:`Sandbox`; the model's coordinate space follows ``device_scale_factor``."""
    site = site or FixtureSite()
    viewport = (
        Viewport(width, height)
        if device_scale_factor == 1
        else Viewport.hidpi(width, height, device_scale_factor)
    )
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a hard dependency today
        raise ImportError("Playwright drives the browser: pip install 'cua-replay'") from exc
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, environ=environ)
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=device_scale_factor,
                service_workers="block",
            )
            await site.install(context)
            page = await context.new_page()
            yield Sandbox(browser, context, page, site, viewport)
        finally:
            await browser.close()
