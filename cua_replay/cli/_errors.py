"""Turn our own errors into one ``Name: message`` line on stderr and an exit status.

The same in every command: 2 when the input could not be read or the command was
used wrongly (no cassette there, a cassette that does not load, a bad setting or
scenario, a missing extra), 1 for anything else the package reports (a replay
that diverged, a run that failed). Bugs still show a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from .. import errors

UNREADABLE = (
    errors.CassetteNotFound,
    errors.CassetteNotWritable,
    errors.InvalidCassette,
    errors.InvalidDomainEntry,
    errors.InvalidSafetyPolicy,
    errors.InvalidSetting,
    errors.InvalidViewport,
    errors.MissingExtra,
    errors.MissingSetting,
    errors.ScenarioError,
)
"""The errors that mean "could not read the input, or bad usage": exit status 2."""


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except errors.CuaReplayError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=2 if isinstance(exc, UNREADABLE) else 1) from None
