"""Find a Chromium for Playwright and launch it headless, offline-friendly, as root.

Lookup order (first hit wins):

1. ``$CUA_REPLAY_CHROMIUM``: a path to a Chrome/Chromium executable. If it is
   set but wrong, that is an error: we never silently use another browser.
2. Playwright's own downloaded browser (``python -m playwright install
   chromium``), if present.
3. The system's: ``/usr/bin/chromium``, then ``chromium``, ``chromium-browser``,
   ``google-chrome`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ChromiumNotFound, InvalidSetting

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

ENV_VAR = "CUA_REPLAY_CHROMIUM"
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

#: Flags for a headless Chromium that runs as root and never phones home.
#: Playwright adds its own defaults and a fresh temporary profile (user-data
#: dir) for every ``launch()``, removed when the browser closes.
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
)

INSTALL_ADVICE = (
    "Install one: `python -m playwright install chromium`, or your OS package "
    "(Debian/Ubuntu: `apt-get install chromium`), or set "
    f"{ENV_VAR}=/path/to/chrome."
)


@dataclass(frozen=True, slots=True)
class ChromiumLocation:
    """Where the browser is and which rule found it (``env``, ``playwright`` or ``system``)."""

    path: Path
    source: str


def playwright_cache_chromium(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Newest Chromium that ``playwright install`` left in its browser cache, if any."""
    configured = environ.get("PLAYWRIGHT_BROWSERS_PATH")
    root = (
        Path(configured)
        if configured and configured != "0"
        else Path.home() / ".cache" / "ms-playwright"
    )
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-win*/chrome.exe",
        "chromium_headless_shell-*/chrome-*/headless_shell",
    )
    found = [p for pattern in patterns for p in root.glob(pattern) if _executable(p)]
    return max(found, key=lambda p: _revision(p.relative_to(root).parts[0]), default=None)


def find_chromium(
    *,
    environ: Mapping[str, str] = os.environ,
    playwright_executable: Callable[[], Path | None] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> ChromiumLocation:
    """Locate a Chromium; raise :class:`ChromiumNotFound` saying how to get one."""
    configured = environ.get(ENV_VAR)
    if configured:
        path = Path(configured).expanduser()
        if not _executable(path):
            raise ChromiumNotFound(
                f"{ENV_VAR}={configured!r} is not an executable file. "
                f"Point it at a Chrome/Chromium binary, or unset it to search. {INSTALL_ADVICE}"
            )
        return ChromiumLocation(path, "env")
    bundled = (playwright_executable or (lambda: playwright_cache_chromium(environ)))()
    if bundled is not None and _executable(bundled):
        return ChromiumLocation(bundled, "playwright")
    for name in SYSTEM_CHROMIUMS:
        hit = name if os.path.isabs(name) and _executable(Path(name)) else which(name)
        if hit:
            return ChromiumLocation(Path(hit), "system")
    raise ChromiumNotFound(
        f"No Chromium found: {ENV_VAR} is unset, Playwright has no downloaded browser, "
        f"and none of {', '.join(SYSTEM_CHROMIUMS)} exists. {INSTALL_ADVICE}"
    )


async def launch_chromium(
    playwright: Playwright, *, headless: bool = True, environ: Mapping[str, str] = os.environ
) -> Browser:
    """Launch the Chromium :func:`find_chromium` picks, with :data:`LAUNCH_ARGS`."""

    def bundled() -> Path | None:
        try:
            return Path(playwright.chromium.executable_path)
        except Exception:  # pragma: no cover - Playwright may refuse when nothing is installed
            return None

    from playwright.async_api import Error as PlaywrightError

    location = find_chromium(environ=environ, playwright_executable=bundled)
    try:
        return await playwright.chromium.launch(
            executable_path=str(location.path), headless=headless, args=list(LAUNCH_ARGS)
        )
    except PlaywrightError as exc:  # e.g. CUA_REPLAY_CHROMIUM=/bin/false: it runs, then exits
        first = next((line for line in str(exc).splitlines() if line.strip()), "")
        raise ChromiumNotFound(
            f"Chromium at {location.path} (found via {location.source}) did not start: "
            f"{first[:200]}. Point {ENV_VAR} at a working Chromium. {INSTALL_ADVICE}"
        ) from None


@dataclass(frozen=True, slots=True)
class BrowserSource:
    """Where a browser comes from: launched here (neither set), a Playwright browser server
    (``endpoint``, ``ws://host:port/``: ``playwright run-server`` or a compatible grid), or
    a Chromium's DevTools port (``cdp``, ``http://host:9222``)."""

    endpoint: str | None = None
    cdp: str | None = None

    def __post_init__(self) -> None:
        if self.endpoint is not None and self.cdp is not None:
            raise InvalidSetting(
                "Pass --browser-endpoint or --cdp-endpoint, not both: one browser per suite run.",
                setting="browser_endpoint",
            )

    @property
    def remote(self) -> str | None:
        return self.endpoint or self.cdp


async def open_browser(
    playwright: Playwright,
    source: BrowserSource,
    *,
    headless: bool = True,
    environ: Mapping[str, str] = os.environ,
) -> Browser:
    """Launch Chromium, or connect to the remote one ``source`` names.

    A connected browser is used only through contexts the caller opens, so the
    fixture site's routing and the domain policy (both installed on the
    context) apply there exactly as on a local one.
    """
    if source.remote is None:
        return await launch_chromium(playwright, headless=headless, environ=environ)
    from playwright.async_api import Error

    try:
        if source.endpoint is not None:
            return await playwright.chromium.connect(source.endpoint)
        return await playwright.chromium.connect_over_cdp(str(source.cdp))
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        flag = "--browser-endpoint" if source.endpoint is not None else "--cdp-endpoint"
        raise ChromiumNotFound(
            f"Cannot connect to the browser at {flag} {source.remote} ({first}). Start one "
            "(`playwright run-server --port 3000 --host 127.0.0.1`, or chromium "
            "--remote-debugging-port=9222) and check the address."
        ) from None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _revision(folder: str) -> int:
    digits = folder.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else -1
