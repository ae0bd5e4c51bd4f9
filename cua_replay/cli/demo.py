"""``cua-replay demo``: a whole task offline on the embedded default."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ..demo import run_demo
from ..events import StopReason
from ._errors import reported


def demo(
    screenshot: Annotated[
        Path | None,
        typer.Option("--screenshot", dir_okay=False, help="Save the final screenshot (PNG) here."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", file_okay=False, help="Record the cassette here (default: a new temp folder)."
        ),
    ] = None,
) -> None:
    """Run a task offline (fake model, fixture site, headless Chromium); record it; replay it."""
    with reported():
        result = asyncio.run(run_demo(screenshot_path=screenshot, out=out))
    outcome = result.outcome
    for text in outcome.page_text.values():
        typer.echo(f"page says: {text.strip()}")
    if result.screenshot is not None:
        typer.echo(f"screenshot saved to {result.screenshot}")
    stop = outcome.result.stop
    verdict = "task done" if outcome.done else "task NOT done"
    typer.echo(f"demo finished: {stop.reason.value}, {verdict}, final page {outcome.final_url}")
    typer.echo(f"recorded to {result.cassette}  (cua-replay show {result.cassette})")
    for kind, report in result.replays.items():
        how = "recorded executor, no browser" if kind == "recorded" else "model replayed, browser"
        typer.echo(f"replayed offline ({how}): {report.steps}/{report.recorded_steps} steps match")
    typer.echo(f"report of the run: {result.report}")
    counts = result.diff.counts
    verdict_v = "same" if result.diff.same else "behaviour differs"
    typer.echo(
        f"two model versions of one task (cassettes/model-v1 vs model-v2): {verdict_v}: "
        f"{counts.get('same', 0)} steps the same, "
        f"{counts.get('changed', 0) + counts.get('moved', 0)} changed, "
        f"{counts.get('only_b', 0)} only in v2, {counts.get('only_a', 0)} only in v1"
    )
    typer.echo(f"diff of the model versions: {result.diff_report}")
    if stop.reason is not StopReason.COMPLETED or not outcome.done:
        raise typer.Exit(code=1)
