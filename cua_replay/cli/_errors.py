"""Turn our own errors into ``Name: message`` on stderr and exit 1; let bugs show a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import CuaReplayError


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except CuaReplayError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=1) from None
