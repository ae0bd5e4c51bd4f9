"""``cua-replay diff A B`` and ``cua-replay diff --baseline DIR --candidate DIR``.

Exit status, so CI can gate a model upgrade on it: 0 the runs behave the same
within the tolerances, 1 behaviour differs, 2 an error (a missing or corrupt
cassette, a bad option). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

import typer

from ..cassette.store import load_cassette
from ..diff.compare import DEFAULT_THRESHOLD, DEFAULT_TOLERANCE, DiffOptions, diff_cassettes
from ..diff.folders import diff_folders
from ..diff.model import IgnoreName
from ..diff.render import (
    render_folder_html,
    render_folder_text,
    render_html,
    render_json,
    render_text,
)
from ..errors import CuaReplayError
from ._output import check_output

EXIT_SAME: Final = 0
EXIT_DIFFERENT: Final = 1
EXIT_ERROR: Final = 2
_IGNORABLE: Final[tuple[IgnoreName, ...]] = ("reasoning", "timing", "tokens")


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=EXIT_ERROR)


def _options(tolerance: float, threshold: float, ignore: list[str]) -> DiffOptions:
    unknown = [name for name in ignore if name not in _IGNORABLE]
    if unknown:
        raise _fail(
            f"Error: unknown --ignore value(s) {', '.join(unknown)}; "
            f"choose from {', '.join(_IGNORABLE)}."
        )
    if tolerance < 0:
        raise _fail(f"Error: --tolerance={tolerance:g} is negative; pass pixels, e.g. 8.")
    if not 0 <= threshold <= 1:
        raise _fail(f"Error: --threshold={threshold:g} is outside 0..1 (a fraction of pixels).")
    chosen = frozenset(name for name in _IGNORABLE if name in ignore)
    return DiffOptions(tolerance=tolerance, threshold=threshold, ignore=chosen)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"Error: cannot write {output} ({exc}); pick a writable path.") from None
    typer.echo(f"wrote {output}", err=True)


def diff(
    a: Annotated[Path | None, typer.Argument(help="Cassette A (the baseline).")] = None,
    b: Annotated[Path | None, typer.Argument(help="Cassette B (the candidate).")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A folder of cassettes: pair them by name with --candidate.")
    ] = None,
    candidate: Annotated[
        Path | None, typer.Option(help="The folder to compare to --baseline.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text, json or html.")] = (
        Format.TEXT
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Pixels a pointer action may move and still count as the same.")
    ] = DEFAULT_TOLERANCE,
    ignore: Annotated[
        list[str] | None,
        typer.Option(help="Leave out of the verdict: reasoning, timing or tokens (repeatable)."),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Fraction of pixels the final screenshots may differ by.")
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Diff two runs of the same task; exit 0 same, 1 behaviour differs, 2 error."""
    options = _options(tolerance, threshold, ignore or [])
    folders = baseline is not None or candidate is not None
    if folders and (a is not None or b is not None):
        raise _fail(
            "Error: pass either two cassettes (A B) or --baseline and --candidate, not both."
        )
    try:
        if output is not None:
            check_output(output, "the diff")
        if folders:
            if baseline is None or candidate is None:
                raise _fail("Error: folder mode needs both --baseline DIR and --candidate DIR.")
            folder = diff_folders(baseline, candidate, options)
            if format is Format.JSON:
                text = render_json(folder)
            elif format is Format.HTML:
                text = render_folder_html(folder)
            else:
                text = render_folder_text(folder)
            _emit(text, output)
            ok = folder.different == 0 and folder.errors == 0
            ok = ok and not folder.only_in_baseline and not folder.only_in_candidate
            if folder.errors:
                raise typer.Exit(code=EXIT_ERROR)
            raise typer.Exit(code=EXIT_SAME if ok else EXIT_DIFFERENT)
        if a is None or b is None:
            raise _fail(
                "Error: pass two cassettes (cua-replay diff A B), or --baseline/--candidate."
            )
        left, right = load_cassette(a), load_cassette(b)
        result = diff_cassettes(left, right, options)
        if format is Format.JSON:
            text = render_json(result)
        elif format is Format.HTML:
            text = render_html(result, left, right)
        else:
            text = render_text(result, color=output is None and _is_tty())
        _emit(text, output)
    except CuaReplayError as exc:
        raise _fail(f"{type(exc).__name__}: {exc}") from None
    raise typer.Exit(code=EXIT_SAME if result.same else EXIT_DIFFERENT)


def _is_tty() -> bool:
    return sys.stdout.isatty()
