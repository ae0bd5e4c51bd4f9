"""``cua-replay demo``: the offline demo on the embedded default."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ..demo import run_demo
from ._errors import reported


def demo(
    screenshot: Annotated[
        Path | None,
        typer.Option("--screenshot", dir_okay=False, help="Save the final screenshot (PNG) here."),
    ] = None,
) -> None:
    """Run scripted wire actions in headless Chromium on the fixture site (offline, no keys)."""
    with reported():
        result = asyncio.run(run_demo(screenshot_path=screenshot, on_step=typer.echo))
    typer.echo(f"demo finished: {len(result.steps)} steps, final page {result.final_url}")
