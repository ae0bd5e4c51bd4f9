"""Render a cassette as one self-contained HTML page: header, filmstrip, one section per step.

Pure: a :class:`Cassette` in, a string out; the CLI writes it. The page loads nothing
from anywhere (screenshots are data URLs, CSS and JS inline, and a
Content-Security-Policy forbids everything else), so it opens from ``file://``.
Each distinct screenshot is embedded once, as a CSS class every use of it shares.
Cassette text is untrusted: every value goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any, Final
from urllib.parse import urlsplit

from ..cassette.format import ExecutedAction, SafetyRecord
from ..cassette.store import Cassette
from .assets import CSS, SCRIPT
from .overlay import action_label, action_svg
from .timeline import Call, Shot, StepView, Timeline, build_timeline

__all__ = ["CONTENT_SECURITY_POLICY", "csp_meta", "render_report"]

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
"""What every page cua-replay writes (report, diff) may load: inline styles and ``data:``
images, nothing else. A page with a script of its own allows that one by its hash
(:func:`csp_meta`); any other script, injected through cassette text, does not run."""


def csp_meta(script: str | None = None) -> str:
    """The ``<meta>`` carrying :data:`CONTENT_SECURITY_POLICY` (plus ``script``'s hash, if any)."""
    policy = CONTENT_SECURITY_POLICY
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        policy += f"; script-src 'sha256-{digest}'"
    return f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">'


_SILENT = frozenset({"screenshot", "wait"})
"""Actions with nothing to draw on a screenshot when they are not alone."""


def render_report(cassette: Cassette, *, title: str | None = None) -> str:
    """Return the report page for ``cassette`` as an HTML string."""
    timeline = build_timeline(cassette)
    task = cassette.manifest.task or "(no task recorded)"
    heading = title or f"cua-replay: {task}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        csp_meta(SCRIPT),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="cua-replay report">',
        f"<title>{escape(_cut(heading, 120))}</title>",
        f"<style>{CSS}{_shot_css(timeline)}</style></head>",
        f'<body data-steps="{len(timeline.steps)}">',
        _header(timeline),
        _filmstrip(timeline),
        '<main id="timeline">',
        *(_step(view, timeline) for view in timeline.steps),
        "</main>",
        '<footer><span class="kbd">j</span>/<span class="kbd">k</span> or arrow keys: '
        "next/previous step</footer>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _shot_css(timeline: Timeline) -> str:
    return "".join(
        f'\n.shot.{shot.id}{{background-image:url("{shot.data_url}")}}'
        for shot in timeline.shots.values()
    )


def _header(timeline: Timeline) -> str:
    cassette = timeline.cassette
    manifest = cassette.manifest
    stop = cassette.stop
    totals = _totals(timeline)
    endpoint = manifest.endpoint
    facts: list[tuple[str, str]] = [
        ("model", manifest.model or "?"),
        ("tool", manifest.tool or "?"),
        ("endpoint", f"{endpoint.host or '?'} ({endpoint.provider})"),
        ("display", f"{manifest.display[0]} x {manifest.display[1]}" if manifest.display else "?"),
        ("stop", f"{stop.reason}" + (f" ({stop.detail})" if stop.detail else "") if stop else "—"),
        ("steps", str(len(cassette.steps))),
        ("tokens in / out", f"{totals['input']:,} / {totals['output']:,}"),
        ("model time", f"{totals['latency']:,.0f} ms"),
        ("start url", manifest.start_url or "—"),
        ("recorded", manifest.created_at or "—"),
    ]
    if manifest.scenario:
        facts.append(("scenario", manifest.scenario))
    items = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
    out = [
        '<header class="run">',
        f"<h1><small>task</small>{escape(manifest.task or '(no task recorded)')}</h1>",
        f'<dl class="manifest">{items}</dl>',
    ]
    if stop is not None and stop.final_message:
        bad = "" if stop.reason == "completed" else " bad"
        out.append(f'<p class="final{bad}">{escape(stop.final_message)}</p>')
    if stop is None:
        out.append('<p class="final bad">The recording did not finish (no stop record).</p>')
    if cassette.torn:
        out.append('<p class="warn">The last line of steps.jsonl was cut off by a crash.</p>')
    if timeline.missing:
        out.append(
            f'<p class="warn">{len(timeline.missing)} screenshot(s) are missing from blobs/; '
            "run <code>cua-replay verify</code>.</p>"
        )
    out.append("</header>")
    return "\n".join(out)


def _totals(timeline: Timeline) -> dict[str, float]:
    totals = {"input": 0.0, "output": 0.0, "latency": 0.0}
    for view in timeline.steps:
        totals["input"] += _int(view.usage.get("input_tokens"))
        totals["output"] += _int(view.usage.get("output_tokens"))
        totals["latency"] += view.record.latency_ms
    return {key: round(value) for key, value in totals.items()}


def _filmstrip(timeline: Timeline) -> str:
    out = ['<nav class="filmstrip" aria-label="Steps">']
    for view in timeline.steps:
        number = view.record.step
        first = view.calls[0] if view.calls else None
        shot = first.before if first is not None else view.screen
        actions = _numbered([a.action for a in first.actions]) if first is not None else []
        caption = _summary(view)
        classes = "thumb has-safety" if view.safety else "thumb"
        out.append(
            f'<a class="{classes}" href="#step-{number}" data-step="{number}" '
            f'title="{escape(caption)}">{_screen(shot, actions)}'
            f"<span>{number} · {escape(caption)}</span></a>"
        )
    out.append("</nav>")
    return "\n".join(out)


def _summary(view: StepView) -> str:
    labels = [action_label(a.action) for a in view.record.actions]
    if labels:
        return labels[0] + (f" +{len(labels) - 1}" if len(labels) > 1 else "")
    if view.record.message:
        return "message"
    if view.record.error:
        return "error"
    return "—"


def _step(view: StepView, timeline: Timeline) -> str:
    record = view.record
    usage = view.usage
    facts = [f"model {record.latency_ms:,.0f} ms"]
    if usage:
        details = usage.get("output_tokens_details") or {}
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
        tokens = f"tokens in {_int(usage.get('input_tokens')):,}"
        tokens += f" (cached {_int(cached):,})" if _int(cached) else ""
        tokens += f" · out {_int(usage.get('output_tokens')):,}"
        reasoning = _int(details.get("reasoning_tokens") if isinstance(details, dict) else 0)
        tokens += f" (reasoning {reasoning:,})" if reasoning else ""
        facts.append(tokens)
    if record.actions:
        facts.append(f"actions {sum(a.elapsed_ms for a in record.actions):,.0f} ms")
    out = [
        f'<section class="step" id="step-{record.step}" data-step="{record.step}" tabindex="-1">',
        f'<h2><span>Step {record.step}</span><span class="facts">{escape(" · ".join(facts))}'
        "</span></h2>",
        f'<div class="url mono">{escape(view.url or "—")}</div>',
    ]
    if record.reasoning:
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in record.reasoning)
        out.append(f'<div class="reasoning" title="reasoning summary">{paragraphs}</div>')
    if record.message:
        out.append(f'<div class="message"><b>Model:</b> {escape(record.message)}</div>')
    if record.error:
        out.append(f'<div class="error"><b>Error:</b> {escape(record.error)}</div>')
    out.extend(_safety(safety) for safety in view.safety)
    for call in view.calls:
        out.append(_call(call))
    if not view.calls and view.screen is not None:
        out.append(
            '<figure class="call"><figcaption>screen at this step</figcaption>'
            f'<div style="max-width:50%">{_screen(view.screen, [])}</div></figure>'
        )
    if record.page_events:
        kinds = ", ".join(
            sorted({str(e.get("type", e.get("kind", "?"))) for e in record.page_events})
        )
        out.append(f'<div class="url">page events: {escape(kinds)}</div>')
    out.append("</section>")
    return "\n".join(out)


def _safety(record: SafetyRecord) -> str:
    verdict = "approved" if record.approved else "denied"
    checks = "".join(
        f"<li><code>{escape(str(check.get('code', '?')))}</code> "
        f"{escape(str(check.get('message', '')))}</li>"
        for check in record.checks
    )
    reason = f" — {escape(record.reason)}" if record.reason else ""
    return (
        f'<div class="safety" data-approved="{str(record.approved).lower()}">'
        f"<div>Safety check{'s' if len(record.checks) != 1 else ''} on "
        f"<code>{escape(record.call_id)}</code>: "
        f'<span class="decision {verdict}">{verdict}</span> by '
        f'<code class="decided-by">{escape(record.decided_by)}</code>{reason}</div>'
        f"<ul>{checks}</ul></div>"
    )


def _call(call: Call) -> str:
    drawn = _numbered([a.action for a in call.actions])
    before = (
        f"<figure><figcaption>performed on · {escape(_host_path(call.before_url))}</figcaption>"
        f"{_screen(call.before, drawn)}</figure>"
    )
    after = (
        f"<figure><figcaption>result · {escape(_host_path(call.after_url))}</figcaption>"
        f"{_screen(call.after, [])}</figure>"
        if call.after is not None
        else "<figure><figcaption>result</figcaption>"
        '<div class="noshot">no screenshot after this call</div></figure>'
    )
    items = "".join(_action_item(n, executed) for n, executed in enumerate(call.actions, 1))
    call_id = escape(call.call_id or "")
    return (
        f'<div class="call" data-call="{call_id}"><div class="pair">{before}{after}</div>'
        f'<ol class="actions">{items}</ol></div>'
    )


def _numbered(actions: list[dict[str, Any]]) -> list[tuple[int | None, dict[str, Any]]]:
    """Number the actions (when several) as the list does; drop screenshot/wait among others."""
    if len(actions) == 1:
        return [(None, actions[0])]
    every: list[tuple[int | None, dict[str, Any]]] = list(enumerate(actions, 1))
    return [(n, a) for n, a in every if a.get("type") not in _SILENT] or every


def _action_item(number: int, executed: ExecutedAction) -> str:
    action = executed.action
    kind = str(action.get("type", "?"))
    if kind == "type":
        what = f'type <code class="typed">{escape(str(action.get("text", "")))}</code>'
    elif kind == "keypress":
        keys = action.get("keys") or action.get("model_keys") or []
        what = "keys " + "+".join(f'<span class="kbd">{escape(str(k))}</span>' for k in keys)
    else:
        what = escape(action_label(action))
    return (
        f'<li data-action="{escape(kind)}">{what} <span class="url">· '
        f"{executed.elapsed_ms:,.0f} ms · {escape(executed.url)}</span></li>"
    )


def _screen(shot: Shot | None, actions: list[tuple[int | None, dict[str, Any]]]) -> str:
    """The screenshot with ``(number, action)`` layers; labels without a position stack."""
    if shot is None:
        return '<div class="noshot">no screenshot</div>'
    width, height = shot.space
    floating = [a for _, a in actions if "at" not in a and a.get("type") != "drag"]
    slot = len(floating)
    layers: list[str] = []
    for number, action in actions:
        if "at" not in action and action.get("type") != "drag":
            slot -= 1  # the first one on top, reading down
        layers.append(action_svg(action, width, height, number=number, slot=max(slot, 0)))
    return (
        f'<div class="shot {shot.id}" style="aspect-ratio:{shot.size[0]}/{shot.size[1]}" '
        f'role="img" aria-label="screenshot">{"".join(layers)}</div>'
    )


def _host_path(url: str) -> str:
    if not url:
        return "—"
    parts = urlsplit(url)
    return (parts.netloc + parts.path) or url


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0
