"""``cua-replay report DIR -o report.html``: one self-contained HTML page showing a recorded run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cassette.store import load_cassette
from ..report import render_report
from ..report.timeline import build_timeline
from ._errors import reported
from ._output import check_output

USAGE_ERROR = 2
"""Exit status for a missing cassette or an unwritable output, like click's usage errors."""


def report(
    directory: Annotated[Path, typer.Argument(help="The cassette directory (holding run.json).")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file to write, in an existing directory.",
        ),
    ] = Path("report.html"),
) -> None:
    """Write a visual report of a recorded run: screenshots with each action drawn, per step."""
    with reported():
        check_output(output, "the report")
        cassette = load_cassette(directory)
        page = render_report(cassette)
        # A second pass over the blobs: render_report does not say what it left out.
        unreadable = build_timeline(cassette).missing
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        typer.echo(
            f"Could not write the report to output={output} ({exc}); "
            "pass -o with a writable file path.",
            err=True,
        )
        raise typer.Exit(code=USAGE_ERROR) from None
    size = len(page.encode("utf-8"))
    typer.echo(f"Wrote {output} ({len(cassette.steps)} steps, {size / 1024:,.0f} KiB).")
    if unreadable:
        typer.echo(
            f"InvalidCassette: {len(unreadable)} screenshot(s) of {directory} are missing or "
            "unreadable and are left out of the report; run `cua-replay verify` to see why.",
            err=True,
        )
        raise typer.Exit(code=1)
