"""``cua-replay doctor``: say which Chromium will be used, or how to get one."""

from __future__ import annotations

import typer

from ..browser import find_chromium
from ._errors import reported


def doctor() -> None:
    """Find the Chromium that Playwright will drive (exit 1 with install advice if none)."""
    with reported():
        location = find_chromium()
    typer.echo(f"chromium: {location.path} (found via {location.source})")
