"""``cua-replay replay DIR``: run a recorded cassette again and say whether it still matches."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import CassetteNotFound, InvalidCassette, InvalidSetting, ReplayMismatch
from ..replay.matchers import DEFAULT_THRESHOLD, MatchPolicy
from ..replay.options import ReplayOptions
from ..rerun import replay_cassette
from ._errors import reported


class ExecutorChoice(StrEnum):
    BROWSER = "browser"
    RECORDED = "recorded"


class MatchChoice(StrEnum):
    STRICT = "strict"
    STRUCTURAL = "structural"
    SEQUENTIAL = "sequential"


def replay(
    directory: Annotated[
        Path, typer.Argument(file_okay=False, help="The cassette directory (holding run.json).")
    ],
    executor: Annotated[
        ExecutorChoice,
        typer.Option(
            help="browser: re-execute the actions in Chromium; recorded: no browser, the "
            "recorded screenshots."
        ),
    ] = ExecutorChoice.BROWSER,
    match: Annotated[
        MatchChoice,
        typer.Option(
            help="strict: every field; structural: what the agent did; sequential: order only, "
            "differences as warnings."
        ),
    ] = MatchChoice.STRUCTURAL,
    threshold: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Fraction of pixels a screenshot may differ in (structural)."
        ),
    ] = DEFAULT_THRESHOLD,
    artifacts: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="Where recorded/live/diff PNGs go (default DIR/mismatch)."
        ),
    ] = None,
    allow_local: Annotated[
        bool,
        typer.Option(
            help="Let the browser open a start page on this machine or a private network "
            "(only for a cassette you trust)."
        ),
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Also let the browser reach HOST (any port) or HOST:PORT, which the recording "
            "never visited; repeatable (only for a cassette you trust)."
        ),
    ] = None,
) -> None:
    """Replay the cassette in DIR offline: exit 0 if it matches, 1 if not, 2 if unreadable."""
    with reported():
        try:
            report = asyncio.run(
                replay_cassette(
                    directory,
                    executor=executor.value,
                    options=ReplayOptions(MatchPolicy.parse(match.value), threshold, artifacts),
                    allow_local=allow_local,
                    allow_hosts=allow_host or (),
                    on_blocked=lambda line: typer.echo(line, err=True),
                )
            )
        except (CassetteNotFound, InvalidCassette, InvalidSetting) as exc:
            typer.echo(f"{type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(code=2) from None
        except ReplayMismatch as exc:
            typer.echo(f"ReplayMismatch: {exc}", err=True)
            raise typer.Exit(code=1) from None
    typer.echo(report.summary())
    typer.echo(
        "replay matches the recording"
        + ("" if report.complete else " as far as the recording goes")
    )
