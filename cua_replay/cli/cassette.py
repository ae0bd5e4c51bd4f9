"""``cua-replay show | verify | gc``: look at a cassette, check it, and clean it, from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..cassette.gc import collect
from ..cassette.store import Cassette, load_cassette
from ..cassette.verify import format_size
from ..cassette.verify import verify as check
from ..cassette.view import describe, view
from ..errors import CassetteNotFound, InvalidSetting
from ._errors import reported

_MESSAGE_CHARS = 100

Directory = Annotated[Path, typer.Argument(help="The cassette directory (holding run.json).")]


def show(
    directory: Directory,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per step instead (for scripts).")
    ] = False,
) -> None:
    """Show what a recorded run did, step by step: actions, safety, URL, timing, tokens."""
    with reported():
        cassette = load_cassette(directory)
    rows = step_rows(cassette)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    console = Console(highlight=False, soft_wrap=False)
    for label, value in summary(cassette):
        console.print(f"[bold]{label + ':':<11}[/] {escape(value)}")
    table = Table(show_lines=False, pad_edge=False)
    for name, justify in (
        ("step", "right"),
        ("what the model did", "left"),
        ("safety", "left"),
        ("url after", "left"),
        ("ms", "right"),
        ("tokens in/out", "right"),
        ("screenshot", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            str(row["step"]),
            escape("\n".join(_did(row))),
            escape("\n".join(_safety(record) for record in row["safety"])),
            escape(row["url"] or ""),
            f"{row['latency_ms']:.0f}",
            _tokens(row),
            (row["screenshot"] or "")[7:19],
        )
    console.print(table)
    stop = cassette.stop
    if stop is not None and stop.final_message:
        console.print(f"[bold]final message:[/] {escape(stop.final_message)}", soft_wrap=True)


def verify(
    directory: Directory,
    secret: Annotated[
        list[str] | None,
        typer.Option(help="A value that must not occur anywhere in the cassette; repeatable."),
    ] = None,
    pattern: Annotated[
        list[str] | None,
        typer.Option(help="A regular expression that must not match anywhere; repeatable."),
    ] = None,
) -> None:
    """Check a cassette: format, blobs and their hashes, leaked secrets (exit 1 on a finding)."""
    try:
        report = check(directory, secrets=secret or (), patterns=pattern or ())
    except (CassetteNotFound, InvalidSetting) as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    for finding in report.findings:
        typer.echo(f"FAIL {finding}")
    for note in report.notes:
        typer.echo(f"note {note}")
    counts = f"{report.steps} steps, {report.blobs} blobs, {report.files} files scanned"
    if report.ok:
        typer.echo(f"ok: {directory} ({counts})")
        return
    typer.echo(f"{len(report.findings)} finding(s) in {directory} ({counts})")
    raise typer.Exit(code=1)


def gc(
    directory: Annotated[
        Path, typer.Argument(help="A cassette directory, or a directory of cassettes.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what would be removed.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Also collect cassettes still marked 'recording' (none being written)."
        ),
    ] = False,
) -> None:
    """Remove blobs no step refers to and temporary files crashes left behind.

    Only files proven to be the cassette's own are removed (a blob whose bytes hash to its
    name, a temporary file named as cua-replay names them); anything else is kept and listed.
    """
    with reported():
        planned = collect(directory, dry_run=True, force=force)
        sizes = {path: path.stat().st_size for path in planned.removed if path.exists()}
        done = planned if dry_run else collect(directory, force=force)
    removed = done.removed
    for path in removed:
        typer.echo(f"{'would remove' if dry_run else 'removed'} {path} ({sizes.get(path, 0)} B)")
    for path, why in done.skipped:
        typer.echo(f"skipped {path}: {why} (not proven to be this cassette's; left alone)")
    total = format_size(sum(sizes.get(path, 0) for path in removed))
    if not removed:
        typer.echo(f"nothing to remove in {directory}")
    elif dry_run:
        typer.echo(f"would remove {len(removed)} file(s), {total}; run without --dry-run to do it")
    else:
        typer.echo(f"removed {len(removed)} file(s), {total} freed")


# -- what show prints ------------------------------------------------------------------


def summary(cassette: Cassette) -> list[tuple[str, str]]:
    """The manifest as ``(label, value)`` lines, filled in from the first request if absent."""
    manifest = cassette.manifest
    first = cassette.steps[0].request if cassette.steps else {}
    tool = next(
        (t for t in first.get("tools") or [] if isinstance(t, dict) and "display_width" in t), {}
    )
    display = manifest.display or (
        (tool["display_width"], tool["display_height"]) if "display_height" in tool else None
    )
    endpoint = manifest.endpoint
    where = endpoint.provider + (f" {endpoint.host}" if endpoint.host else "")
    if endpoint.api_version:
        where += f" (api-version {endpoint.api_version})"
    stop = cassette.stop
    status = manifest.status + (f", stopped: {stop.reason}" if stop is not None else "")
    if stop is not None and stop.detail:
        status += f" ({stop.detail})"
    if cassette.torn:
        status += ", last line torn (crash)"
    versions = ", ".join(f"{k} {v}" for k, v in manifest.versions.items() if k != "python")
    return [
        ("task", manifest.task or "(not recorded)"),
        ("model", manifest.model or str(first.get("model") or "(not recorded)")),
        ("tool", manifest.tool or str(tool.get("type") or "(not recorded)")),
        ("endpoint", where + (f", scenario {manifest.scenario}" if manifest.scenario else "")),
        ("display", f"{display[0]}x{display[1]}" if display else "(not recorded)"),
        ("steps", str(len(cassette.steps))),
        ("status", status),
        ("recorded", f"{manifest.created_at or '?'} by {manifest.recorder} ({versions})"),
        ("format", f"v{manifest.format_version}"),
    ]


def step_rows(cassette: Cassette) -> list[dict[str, Any]]:
    """One JSON-ready summary per step: what ``show`` prints, and what ``--json`` emits."""
    rows: list[dict[str, Any]] = []
    url: str | None = None
    for step in view(cassette).steps:
        usage = step.usage
        # A step that ran nothing (the final message) leaves the page where it was.
        url = step.url_after or url
        after = [call.after for call in step.calls if call.after is not None]
        rows.append(
            {
                "step": step.step,
                "actions": [describe(done.action) for done in step.actions],
                "message": step.message,
                "error": step.error,
                "safety": [
                    {
                        "codes": [str(c.get("code")) for c in record.checks],
                        "approved": record.approved,
                        "decided_by": record.decided_by,
                        "reason": record.reason,
                    }
                    for record in step.safety
                ],
                "url": url,
                "latency_ms": step.latency_ms,
                "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens"),
                "screenshot": str(after[-1].get("$blob")) if after else None,
            }
        )
    return rows


def _did(row: dict[str, Any]) -> list[str]:
    lines = list(row["actions"])
    if row["message"]:
        text = " ".join(str(row["message"]).split())
        if len(text) > _MESSAGE_CHARS:
            text = text[: _MESSAGE_CHARS - 3] + "..."
        lines.append(f"says: {text}")
    if row["error"]:
        lines.append(f"error: {row['error']}")
    return lines or ["(nothing)"]


def _safety(check: dict[str, Any]) -> str:
    verdict = "acknowledged" if check["approved"] else "denied"
    return f"{', '.join(check['codes'])}: {verdict} by {check['decided_by']}"


def _tokens(row: dict[str, Any]) -> str:
    if row["input_tokens"] is None and row["output_tokens"] is None:
        return ""
    return f"{row['input_tokens'] or 0}/{row['output_tokens'] or 0}"
