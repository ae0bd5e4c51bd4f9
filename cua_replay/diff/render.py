"""Show a diff: a terminal summary (rich), JSON (the :mod:`.model` schema), or HTML.

The HTML is one self-contained file (no network, works from ``file://``): every
differing pair side by side, each side the screenshot the model was looking at
when it chose the action, with the action drawn on it by
:func:`cua_replay.report.overlay.action_svg` (the run report's drawing, so both
views look alike). Screenshots are embedded as data URLs; at most
:data:`MAX_HTML_PAIRS` differing pairs are drawn, so a diff of two unrelated
500-step runs stays a reasonable size.
"""

from __future__ import annotations

import base64
from html import escape
from io import StringIO
from typing import TYPE_CHECKING, Final

from .model import DIFFERENT_KINDS, DiffResult, Element, FolderDiff, Pair

if TYPE_CHECKING:
    from ..cassette.store import Cassette

# Each renderer imports what only it needs (rich for text; Pillow and the report's
# overlay for HTML), so ``cua-replay diff`` starts without the others.

MAX_TEXT_PAIRS: Final = 30
MAX_HTML_PAIRS: Final = 60

_STYLE: Final = {
    "same": "dim",
    "moved": "cyan",
    "changed": "yellow",
    "only_a": "red",
    "only_b": "green",
}
_LABEL: Final = {
    "same": "same",
    "moved": "moved",
    "changed": "changed",
    "only_a": "only in A",
    "only_b": "only in B",
}


def _side(element: Element | None) -> str:
    if element is None:
        return "—"
    return f"step {element.step}: {element.summary}"


def _pair_line(pair: Pair) -> str:
    extra = f"  ({pair.note})" if pair.note else ""
    if pair.kind == "moved" and pair.distance_px is not None:
        extra = f"  ({pair.distance_px:.1f} px)"
    return f"{_LABEL[pair.kind]:<9}  A {_side(pair.a)}  |  B {_side(pair.b)}{extra}"


def render_text(result: DiffResult, *, width: int = 120, color: bool = False) -> str:
    from rich.console import Console
    from rich.markup import escape as rich_escape
    from rich.table import Table

    out = StringIO()
    console = Console(
        file=out, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    say = console.print
    verdict = "[bold green]SAME[/]" if result.same else "[bold red]DIFFERENT[/]"
    say(f"{verdict}  A={rich_escape(result.a)}  B={rich_escape(result.b)}")
    if result.model_a or result.model_b:
        say(f"models: A {result.model_a}  B {result.model_b}")
    counts = "  ".join(f"{_LABEL[k]} {v}" for k, v in result.counts.items())
    say(f"pairs: {counts}  (tolerance {result.options.tolerance:g} px)")
    if result.first_divergence is not None:
        pair = result.pairs[result.first_divergence]
        say(
            f"[bold reverse] first divergence [/] pair {result.first_divergence + 1}: "
            f"[{_STYLE[pair.kind]}]{rich_escape(_pair_line(pair))}[/]"
        )
    shown = [p for p in result.pairs if p.kind in DIFFERENT_KINDS]
    for pair in shown[:MAX_TEXT_PAIRS]:
        say(f"  [{_STYLE[pair.kind]}]{rich_escape(_pair_line(pair))}[/]")
    if len(shown) > MAX_TEXT_PAIRS:
        say(f"  ... and {len(shown) - MAX_TEXT_PAIRS} more (--format json lists them all)")
    table = Table("outcome", "A", "B", "", show_edge=False, pad_edge=False)
    for outcome in result.outcomes:
        mark = "ignored" if outcome.ignored else ("same" if outcome.same else "[red]differs[/]")
        table.add_row(
            outcome.name,
            rich_escape(_short(outcome.a)),
            rich_escape(_short(outcome.b)),
            mark,
        )
    console.print(table)
    return out.getvalue()


def _short(value: object, limit: int = 50) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_json(result: DiffResult | FolderDiff) -> str:
    return result.model_dump_json(indent=2) + "\n"


def render_folder_text(result: FolderDiff, *, width: int = 120, color: bool = False) -> str:
    from rich.console import Console
    from rich.markup import escape as rich_escape

    out = StringIO()
    console = Console(
        file=out, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    say = console.print
    say(
        f"baseline={rich_escape(result.baseline)}  candidate={rich_escape(result.candidate)}: "
        f"[green]{result.same} same[/], [red]{result.different} different[/], "
        f"{result.errors} errors, {len(result.only_in_baseline)} only in baseline, "
        f"{len(result.only_in_candidate)} only in candidate"
    )
    for entry in result.entries:
        if entry.error is not None:
            say(f"  [red]error[/]     {rich_escape(entry.name)}: {rich_escape(entry.error)}")
        elif entry.same:
            say(f"  [green]same[/]      {rich_escape(entry.name)}")
        else:
            where = (
                _pair_line(entry.first_divergence)
                if entry.first_divergence is not None
                else "outcomes: " + ", ".join(entry.differing_outcomes)
            )
            say(f"  [red]different[/] {rich_escape(entry.name)}: {rich_escape(where)}")
    for name in result.only_in_baseline:
        say(f"  [yellow]only in baseline[/]  {rich_escape(name)}")
    for name in result.only_in_candidate:
        say(f"  [yellow]only in candidate[/] {rich_escape(name)}")
    return out.getvalue()


_CSS: Final = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#1c2024;background:#fff}
h1{font-size:1.3em} .same{color:#1e7e34} .differs{color:#c62828}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left}
.pair{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:.5em}
.pair h2{font-size:1em;margin:.2em 0} .first{border:3px solid #c62828}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.shot{position:relative;display:inline-block;width:100%}
.shot img{width:100%;display:block;border:1px solid #eee}
.shot svg{position:absolute;left:0;top:0;width:100%;height:100%}
.kind-only_a h2{color:#c62828} .kind-only_b h2{color:#2e7d32} .kind-changed h2{color:#b26a00}
.message{white-space:pre-wrap;background:#f4f4f5;padding:.5em;border-radius:4px}
.empty{color:#888;font-style:italic}
"""


def _shot(cassette: Cassette, element: Element) -> str:
    from ..images import png_size
    from ..report.overlay import action_svg

    caption = f'<div class="caption">step {element.step}: {escape(element.summary)}</div>'
    if element.kind == "message":
        return caption + f'<div class="message">{escape(element.text or "")}</div>'
    if element.before is None or not cassette.blobs.has(element.before):
        return caption + '<div class="empty">no screenshot</div>'
    data = cassette.blobs.get(element.before)
    width, height = png_size(data)
    url = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    overlay = action_svg(element.action or {}, width, height)
    return caption + f'<div class="shot"><img alt="step {element.step}" src="{url}">{overlay}</div>'


def render_html(result: DiffResult, a: Cassette, b: Cassette) -> str:
    """One self-contained page: verdict, outcomes, and every differing pair side by side.

    The report's Content-Security-Policy heads it: cassette text is escaped, and were
    an escape ever missed, no injected script would run.
    """
    from ..report.html import csp_meta

    verdict = (
        '<span class="same">SAME</span>'
        if result.same
        else ('<span class="differs">DIFFERENT</span>')
    )
    rows = "".join(
        f"<tr><td>{escape(o.name)}</td><td>{escape(_short(o.a, 120))}</td>"
        f"<td>{escape(_short(o.b, 120))}</td><td>"
        + ("ignored" if o.ignored else ("same" if o.same else '<b class="differs">differs</b>'))
        + f"</td><td>{escape(o.note)}</td></tr>"
        for o in result.outcomes
    )
    counts = ", ".join(f"{_LABEL[k]}: {v}" for k, v in result.counts.items())
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8>{csp_meta()}",
        f"<title>cua-replay diff: {escape(result.task_a or result.a)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{verdict} cua-replay diff</h1>",
        f"<p>A: <code>{escape(result.a)}</code> ({escape(str(result.model_a))})<br>"
        f"B: <code>{escape(result.b)}</code> ({escape(str(result.model_b))})</p>",
        f'<p id="counts">{escape(counts)}; tolerance {result.options.tolerance:g} px</p>',
        f'<table id="outcomes"><tr><th>outcome</th><th>A</th><th>B</th><th></th><th></th></tr>'
        f"{rows}</table>",
    ]
    diverging = [
        (n, p) for n, p in enumerate(result.pairs) if p.kind in DIFFERENT_KINDS or p.kind == "moved"
    ]
    for n, pair in diverging[:MAX_HTML_PAIRS]:
        first = " first" if n == result.first_divergence else ""
        left = _shot(a, pair.a) if pair.a else '<div class="empty">(nothing in A)</div>'
        right = _shot(b, pair.b) if pair.b else '<div class="empty">(nothing in B)</div>'
        parts.append(
            f'<section class="pair kind-{pair.kind}{first}" data-kind="{pair.kind}" '
            f'data-pair="{n}"><h2>{"First divergence — " if first else ""}'
            f"pair {n + 1}: {escape(_LABEL[pair.kind])} {escape(pair.note)}</h2>"
            f'<div class="sides"><div class="side a">{left}</div>'
            f'<div class="side b">{right}</div></div></section>'
        )
    if len(diverging) > MAX_HTML_PAIRS:
        parts.append(f"<p>… and {len(diverging) - MAX_HTML_PAIRS} more differing pairs.</p>")
    if not diverging:
        parts.append('<p class="same">The two trajectories are the same.</p>')
    parts.append("</body></html>\n")
    return "".join(parts)


def render_folder_html(result: FolderDiff) -> str:
    from ..report.html import csp_meta

    rows = []
    for e in result.entries:
        state = "error" if e.error else ("same" if e.same else "different")
        first = _pair_line(e.first_divergence) if e.first_divergence else (e.error or "")
        rows.append(
            f'<tr class="{state}"><td>{escape(e.name)}</td><td>{state}</td>'
            f"<td>{escape(first)}</td></tr>"
        )
    unpaired = "".join(
        f"<li>only in {side}: {escape(name)}</li>"
        for side, names in (
            ("baseline", result.only_in_baseline),
            ("candidate", result.only_in_candidate),
        )
        for name in names
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>{csp_meta()}"
        "<title>cua-replay diff</title>"
        f"<style>{_CSS}</style></head><body><h1>cua-replay diff: {result.same} same, "
        f"{result.different} different, {result.errors} errors</h1>"
        f"<table><tr><th>cassette</th><th></th><th>first divergence</th></tr>{''.join(rows)}"
        f"</table><ul>{unpaired}</ul></body></html>\n"
    )
