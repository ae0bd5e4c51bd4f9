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
    """Run the fake model's demo scenario in headless Chromium (offline, no API key)."""
    with reported():
        result = asyncio.run(run_demo(screenshot_path=screenshot, on_step=typer.echo))
    typer.echo(f"demo finished: {result.responses} responses, final page {result.final_url}")
