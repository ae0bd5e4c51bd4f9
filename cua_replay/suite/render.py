"""Show a :class:`~.compare.Comparison`: a terminal table (rich), JSON, or an HTML page.

The HTML page is self-contained (inline CSS, no script, no request anywhere:
the report's Content-Security-Policy) with a task x model matrix; each cell
drills down to the task's trials, each trial to its run report, and each
regressed task to the diff of a passing baseline trial against a failing
candidate trial. The reports and diffs are written next to the page, in
``<page>_files/``, by :func:`write_html`; all text from cassettes is escaped.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..cassette.store import load_cassette
from .compare import Comparison, RunSummary, TaskComparison
from .stats import Distribution, Rate

__all__ = ["POLICY", "render_html", "render_json", "render_terminal", "write_html"]

POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
"""The run report's policy (cua_replay.report.html), without a script: this page has none."""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rate(r: Rate) -> str:
    if r.rate is None:
        return "no runs"
    return f"{r.passed}/{r.runs} {_pct(r.rate)} [{_pct(r.low)}, {_pct(r.high)}]"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _status(task: TaskComparison) -> str:
    words = []
    if task.regressed:
        words.append("REGRESSED")
    if task.improved:
        words.append("improved")
    if task.flaky_baseline or task.flaky_candidate:
        which = [
            side
            for side, flaky in (
                ("baseline", task.flaky_baseline),
                ("candidate", task.flaky_candidate),
            )
            if flaky
        ]
        words.append("flaky (" + ", ".join(which) + ")")
    return "; ".join(words)


def _dist(d: Distribution | None, unit: str = "") -> str:
    if d is None or d.n == 0 or d.median is None:
        return "-"
    return f"{d.median:.4g}{unit} (p90 {d.p90:.4g}{unit})"


def render_terminal(c: Comparison) -> RenderableType:
    """The matrix, the per-model distributions and the gate's verdict."""
    matrix = Table(title=f"{c.baseline.model} -> {c.candidate.model}: pass rates (95% Wilson)")
    for column in ("task", c.baseline.model, c.candidate.model, "diff", "p (Fisher)", ""):
        matrix.add_column(column)
    for t in c.tasks:
        style = "red" if t.regressed else ("green" if t.improved else "")
        matrix.add_row(
            t.task,
            _rate(t.baseline),
            _rate(t.candidate),
            _pct(t.difference),
            _p(t.p_value),
            _status(t),
            style=style,
        )
    matrix.add_row(
        "overall",
        _rate(c.baseline.rate),
        _rate(c.candidate.rate),
        _pct(c.overall_difference),
        _p(c.overall_p_value),
        "REGRESSED" if c.overall_regressed else "",
        style="bold",
    )
    sides = Table(title="per run: median (p90)")
    for column in ("model", "steps", "input tokens", "output tokens", "latency", "cost", "flaky"):
        sides.add_column(column)
    for side in (c.baseline, c.candidate):
        sides.add_row(
            side.model,
            _dist(side.steps),
            _dist(side.input_tokens),
            _dist(side.output_tokens),
            _dist(side.latency_ms, " ms"),
            _dist(side.cost, " $") if side.cost else "-",
            ", ".join(side.flaky) or "-",
        )
    parts: list[RenderableType] = [matrix, sides]
    for t in c.tasks:
        if t.diff is not None:
            first = t.diff.first_divergence
            pair = t.diff.pairs[first] if first is not None else None
            note = (
                f"pair {first + 1}: {pair.kind} {pair.note}" if pair and first is not None else ""
            )
            parts.append(Text(f"{t.task}: diff {t.diff.a} -> {t.diff.b}: {note}".rstrip(": ")))
    gate = f"alpha {c.gate.alpha:g}, max regression {c.gate.max_regression:.0%}"
    if c.passed:
        parts.append(Text(f"gate PASSED ({gate})", style="green"))
    else:
        names = ", ".join([*c.regressed, *(["overall"] if c.overall_regressed else [])])
        parts.append(Text(f"gate FAILED ({gate}): regressed {names}", style="red"))
    return Group(*parts)


def render_json(c: Comparison) -> str:
    return c.model_dump_json(indent=2) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}
th{background:#f3f3f3;text-align:left}.regressed{background:#fde2e2}.improved{background:#e2f5e2}
.pass{color:#15803d}.fail{color:#b91c1c}.none{color:#777}h1 .fail,h1 .pass{font-weight:700}
section{border-top:1px solid #ddd;margin-top:1.5em}code{background:#f6f6f6}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _report_href(files: str, model: str, run: RunSummary) -> str:
    return f"{files}/{_slug(model)}/{_slug(run.task)}-{run.trial}.html"


def _diff_href(files: str, task: str) -> str:
    return f"{files}/diff-{_slug(task)}.html"


def _verdict(run: RunSummary) -> str:
    if run.passed is None:
        return '<span class="none">not judged</span>'
    return '<span class="pass">pass</span>' if run.passed else '<span class="fail">fail</span>'


def render_html(c: Comparison, *, files: str | None = None) -> str:
    """The page; ``files`` is the folder (relative to the page) holding reports and diffs,
    None to leave the drill-down links to run reports out."""
    b, k = c.baseline.model, c.candidate.model
    verdict = '<span class="pass">PASSED</span>' if c.passed else '<span class="fail">FAILED</span>'
    rows = []
    for t in c.tasks:
        css = "regressed" if t.regressed else ("improved" if t.improved else "")
        anchor = f"#task-{_slug(t.task)}"
        rows.append(
            f'<tr class="{css}" data-task="{escape(t.task)}"><td><a href="{anchor}">'
            f"{escape(t.task)}</a></td>"
            f'<td><a href="{anchor}">{escape(_rate(t.baseline))}</a></td>'
            f'<td><a href="{anchor}">{escape(_rate(t.candidate))}</a></td>'
            f"<td>{_pct(t.difference)}</td><td>{_p(t.p_value)}</td>"
            f"<td>{escape(_status(t))}</td></tr>"
        )
    rows.append(
        f'<tr class="{"regressed" if c.overall_regressed else ""}"><th>overall</th>'
        f"<th>{escape(_rate(c.baseline.rate))}</th><th>{escape(_rate(c.candidate.rate))}</th>"
        f"<th>{_pct(c.overall_difference)}</th><th>{_p(c.overall_p_value)}</th>"
        f"<th>{'REGRESSED' if c.overall_regressed else ''}</th></tr>"
    )
    sides = "".join(
        f"<tr><td>{escape(s.model)}</td><td>{_dist(s.steps)}</td><td>{_dist(s.input_tokens)}</td>"
        f"<td>{_dist(s.output_tokens)}</td><td>{_dist(s.latency_ms, ' ms')}</td>"
        f"<td>{_dist(s.cost, ' $') if s.cost else '-'}</td>"
        f"<td>{escape(', '.join(s.flaky) or '-')}</td></tr>"
        for s in (c.baseline, c.candidate)
    )
    sections = [_task_section(t, b, k, files) for t in c.tasks]
    gate = f"alpha {c.gate.alpha:g}, max regression {c.gate.max_regression:.0%}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{escape(POLICY)}">'
        f"<title>cua-replay suite compare: {escape(b)} vs {escape(k)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Gate {verdict}: {escape(b)} &rarr; {escape(k)}</h1>"
        f"<p>{escape(gate)}; regressed: {escape(', '.join(c.regressed) or 'none')}</p>"
        f'<table id="matrix"><tr><th>task</th><th>{escape(b)}</th><th>{escape(k)}</th>'
        f"<th>difference</th><th>p (Fisher)</th><th></th></tr>{''.join(rows)}</table>"
        '<table id="distributions"><tr><th>model</th><th>steps</th><th>input tokens</th>'
        "<th>output tokens</th><th>latency</th><th>cost</th><th>flaky tasks</th></tr>"
        f"{sides}</table>{''.join(sections)}</body></html>\n"
    )


def _task_section(t: TaskComparison, base: str, cand: str, files: str | None) -> str:
    items = []
    for model, runs in ((base, t.baseline_runs), (cand, t.candidate_runs)):
        for run in runs:
            label = f"{model} trial {run.trial}"
            link = (
                f'<a class="report" href="{escape(_report_href(files, model, run))}">'
                f"{escape(label)}</a>"
                if files is not None
                else escape(label)
            )
            reason = f" — {escape(run.reason)}" if run.reason else ""
            items.append(
                f"<li>{link}: {_verdict(run)}, {run.steps} steps{reason} "
                f"<code>{escape(run.path)}</code></li>"
            )
    diff = ""
    if t.diff is not None and files is not None:
        diff = (
            f'<p><a class="diff" href="{escape(_diff_href(files, t.task))}">diff of a passing '
            f"{escape(base)} trial against a failing {escape(cand)} trial</a></p>"
        )
    return (
        f'<section id="task-{_slug(t.task)}"><h2>{escape(t.task)} {escape(_status(t))}</h2>'
        f"{diff}<ul>{''.join(items)}</ul></section>"
    )


def write_html(c: Comparison, page: Path) -> list[Path]:
    """Write the page, and beside it (``<page>_files/``) every run's report and the diffs."""
    from ..diff.render import render_html as render_diff
    from ..report.html import render_report

    folder = page.with_name(f"{page.stem}_files")
    written = []
    for t in c.tasks:
        for model, runs in (
            (c.baseline.model, t.baseline_runs),
            (c.candidate.model, t.candidate_runs),
        ):
            for run in runs:
                target = page.parent / _report_href(folder.name, model, run)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(render_report(load_cassette(run.path)), encoding="utf-8")
                written.append(target)
        if t.diff is not None:
            target = page.parent / _diff_href(folder.name, t.task)
            target.parent.mkdir(parents=True, exist_ok=True)
            html = render_diff(t.diff, load_cassette(t.diff.a), load_cassette(t.diff.b))
            target.write_text(html, encoding="utf-8")
            written.append(target)
    page.write_text(render_html(c, files=folder.name), encoding="utf-8")
    return [page, *written]
