"""Classify the aligned pairs of two cassettes and compare how the two runs ended.

Trajectory elements are the executed actions (in order) and the model's messages.
The key an element is aligned on is its kind plus its whole target (button,
executed positions, text, keys, deltas, drag path), so two identical actions
always align; a click that moved a few pixels lands in a hunk, where it pairs
with the other run's click and is classified here as ``moved`` (within
``tolerance``) or ``changed``.

Outcomes that always count: final message, final URL, final screenshot
(perceptual, :func:`cua_replay.images.image_distance` above ``threshold``), stop
reason, step count, safety checks and their decisions. Reasoning, tokens and
timing count too unless ``--ignore``-d; tokens within :data:`TOKEN_TOLERANCE`
and latency within :data:`LATENCY_TOLERANCE` (relative) are the same, since two
recordings of one model never use exactly the same tokens or time.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..cassette.store import Cassette, load_cassette
from ..cassette.view import RunView, describe, view
from ..errors import CuaReplayError, InvalidCassette
from .align import align
from .model import (
    DIFFERENT_KINDS,
    DiffOptionsModel,
    DiffResult,
    Element,
    IgnoreName,
    Outcome,
    Pair,
    PairKind,
)

DEFAULT_TOLERANCE: Final = 8.0
DEFAULT_THRESHOLD: Final = 0.01
TOKEN_TOLERANCE: Final = 0.10
LATENCY_TOLERANCE: Final = 0.50
POINTER_KINDS: Final = frozenset({"click", "double_click", "move", "scroll", "drag"})


@dataclass(frozen=True)
class DiffOptions:
    tolerance: float = DEFAULT_TOLERANCE
    """Pixels: a pointer action whose positions all moved at most this far is ``moved``."""
    threshold: float = DEFAULT_THRESHOLD
    """Fraction of pixels: final screenshots further apart than this differ."""
    ignore: frozenset[IgnoreName] = field(default_factory=frozenset)

    def model(self) -> DiffOptionsModel:
        return DiffOptionsModel(
            tolerance=self.tolerance, threshold=self.threshold, ignore=sorted(self.ignore)
        )


@dataclass
class _Item:
    element: Element
    key: Hashable
    points: tuple[tuple[float, float], ...]
    rest: Hashable
    """The target without its positions: equal ``rest`` and close points make ``moved``."""


def _points(action: dict[str, Any]) -> tuple[tuple[float, float], ...]:
    if action.get("type") == "drag":
        return tuple((float(p["x"]), float(p["y"])) for p in action.get("path", ()))
    at = action.get("at")
    if isinstance(at, dict):
        return ((float(at.get("x", 0)), float(at.get("y", 0))),)
    return ()


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value  # type: ignore[no-any-return]


def _rest(action: dict[str, Any]) -> Hashable:
    """The action without its positions (and without model-side coordinates)."""
    drop = {"at", "path", "model_scroll_x", "model_scroll_y", "model_keys"}
    return _freeze({k: v for k, v in action.items() if k not in drop})


def _digest(ref: Any) -> str | None:
    return str(ref["$blob"]) if isinstance(ref, dict) and "$blob" in ref else None


def elements(run: RunView) -> list[_Item]:
    """The trajectory: each action, and each message, in order."""
    items: list[_Item] = []
    for step in run.steps:
        for call in step.calls:
            seen = _digest(call.before)  # the screenshot the model saw for this call
            for done in call.actions:
                action = done.action
                element = Element(
                    step=step.step,
                    index=done.index,
                    kind=str(action.get("type", "?")),
                    summary=describe(action),
                    action=action,
                    url=done.url or call.after_url,
                    before=seen,
                )
                points = _points(action)
                rest = _rest(action)
                items.append(_Item(element, (rest, points), points, rest))
        if step.message is not None:
            element = Element(
                step=step.step,
                index=-1,
                kind="message",
                summary=f"message {step.message[:80]!r}",
                text=step.message,
                url=step.url_after,
                before=_digest(step.screen),
            )
            items.append(_Item(element, ("message", step.message), (), ("message",)))
    return items


def _distance(a: _Item, b: _Item) -> float | None:
    if len(a.points) != len(b.points) or not a.points:
        return None
    return max(math.dist(p, q) for p, q in zip(a.points, b.points, strict=True))


def _classify(a: _Item, b: _Item, tolerance: float) -> tuple[PairKind, float | None, str]:
    if a.key == b.key:
        return "same", None, ""
    dist = _distance(a, b)
    if a.rest == b.rest:
        if dist is not None and dist <= tolerance:
            return "moved", dist, ""
        if dist is not None:
            return "changed", dist, f"moved {dist:.1f} px (tolerance {tolerance:g})"
        if a.element.kind == "message":
            return "changed", None, "the message text differs"
        return "changed", None, "a drag path with another number of points"
    return "changed", dist, f"{a.element.summary} -> {b.element.summary}"


def _safety(run: RunView) -> list[dict[str, Any]]:
    return [
        {
            "step": step.step,
            "checks": sorted(str(c.get("code", c.get("id", "?"))) for c in rec.checks),
            "approved": rec.approved,
        }
        for step in run.steps
        for rec in step.safety
    ]


def _close(a: float, b: float, relative: float) -> bool:
    return abs(a - b) <= relative * max(abs(a), abs(b))


def _image_distance(a: bytes, b: bytes) -> float:
    """:func:`cua_replay.images.image_distance`; Pillow is imported only when screenshots differ."""
    from ..images import image_distance

    return image_distance(a, b)


def outcomes(run_a: RunView, run_b: RunView, options: DiffOptions) -> list[Outcome]:
    result: list[Outcome] = []
    a, b = run_a.cassette, run_b.cassette

    def add(name: str, va: Any, vb: Any, same: bool, ignored: bool = False, note: str = "") -> None:
        result.append(Outcome(name=name, a=va, b=vb, same=same, ignored=ignored, note=note))

    ma, mb = run_a.final_message, run_b.final_message
    add("final_message", ma, mb, ma == mb)
    ua, ub = run_a.final_url, run_b.final_url
    add("final_url", ua, ub, ua == ub)
    sa, sb = run_a.final_screenshot, run_b.final_screenshot
    da, db = _digest(sa), _digest(sb)
    if sa is None or sb is None or da is None or db is None:
        add("final_screenshot", da, db, da == db)
    else:
        dist = 0.0 if da == db else _image_distance(a.blob(sa), b.blob(sb))
        add(
            "final_screenshot",
            da,
            db,
            dist <= options.threshold,
            note=f"{dist:.2%} of pixels differ (threshold {options.threshold:.2%})",
        )
    ra = a.stop.reason if a.stop else None
    rb = b.stop.reason if b.stop else None
    add("stop_reason", ra, rb, ra == rb)
    add("steps", len(a.steps), len(b.steps), len(a.steps) == len(b.steps))
    fa, fb = _safety(run_a), _safety(run_b)
    strip = [{k: v for k, v in s.items() if k != "step"} for s in fa]
    add("safety", fa, fb, strip == [{k: v for k, v in s.items() if k != "step"} for s in fb])
    rsa = [r for s in run_a.steps for r in s.reasoning]
    rsb = [r for s in run_b.steps for r in s.reasoning]
    add(
        "reasoning",
        len(rsa),
        len(rsb),
        rsa == rsb,
        "reasoning" in options.ignore,
        "summaries compared as text",
    )
    for name, key in (("tokens_in", "input_tokens"), ("tokens_out", "output_tokens")):
        ta, tb = run_a.tokens(key), run_b.tokens(key)
        add(
            name,
            ta,
            tb,
            _close(ta, tb, TOKEN_TOLERANCE),
            "tokens" in options.ignore,
            f"within {TOKEN_TOLERANCE:.0%} counts as the same",
        )
    la = round(sum(s.latency_ms for s in a.steps), 1)
    lb = round(sum(s.latency_ms for s in b.steps), 1)
    add(
        "latency_ms",
        la,
        lb,
        _close(la, lb, LATENCY_TOLERANCE),
        "timing" in options.ignore,
        f"within {LATENCY_TOLERANCE:.0%} counts as the same",
    )
    return result


def diff_cassettes(a: Cassette, b: Cassette, options: DiffOptions | None = None) -> DiffResult:
    """Align and compare two loaded cassettes (A the baseline, B the candidate)."""
    options = options or DiffOptions()
    if options.tolerance < 0 or not 0 <= options.threshold <= 1:
        raise CuaReplayError(
            f"Bad diff options: tolerance={options.tolerance}, threshold={options.threshold}; "
            "the tolerance is pixels (>= 0) and the threshold a fraction in 0..1."
        )
    run_a, run_b = _readable(a), _readable(b)
    ea, eb = elements(run_a), elements(run_b)

    def score(i: int, j: int) -> int:
        x, y = ea[i], eb[j]
        if x.element.kind != y.element.kind:
            return 0
        kind, _, _ = _classify(x, y, options.tolerance)
        return 3 if kind == "moved" else 1

    pairs: list[Pair] = []
    for i, j in align([e.key for e in ea], [e.key for e in eb], score):
        if i is not None and j is not None:
            kind, dist, note = _classify(ea[i], eb[j], options.tolerance)
            pairs.append(
                Pair(kind=kind, a=ea[i].element, b=eb[j].element, distance_px=dist, note=note)
            )
        elif i is not None:
            pairs.append(Pair(kind="only_a", a=ea[i].element))
        elif j is not None:
            pairs.append(Pair(kind="only_b", b=eb[j].element))
    counts = dict.fromkeys(("same", "moved", "changed", "only_a", "only_b"), 0)
    for pair in pairs:
        counts[pair.kind] += 1
    first = next((n for n, p in enumerate(pairs) if p.kind in DIFFERENT_KINDS), None)
    compared = outcomes(run_a, run_b, options)
    same = first is None and all(o.same or o.ignored for o in compared)
    return DiffResult(
        a=str(a.directory),
        b=str(b.directory),
        task_a=a.manifest.task,
        task_b=b.manifest.task,
        model_a=a.manifest.model,
        model_b=b.manifest.model,
        options=options.model(),
        pairs=pairs,
        outcomes=compared,
        counts=counts,
        first_divergence=first,
        same=same,
    )


def _readable(cassette: Cassette) -> RunView:
    """The run, or an error if its steps hold nothing to compare (never a silent "same")."""
    run = view(cassette)
    if cassette.steps and run.empty:
        raise InvalidCassette(
            f"{cassette.directory} has {len(cassette.steps)} step(s), but no action, message or "
            "reasoning could be read from them (no response carried output), so there is "
            "nothing to diff. Check the recording with `cua-replay show`."
        )
    return run


def diff_dirs(a: Path | str, b: Path | str, options: DiffOptions | None = None) -> DiffResult:
    """Load two cassette directories and diff them (raises CassetteNotFound/InvalidCassette)."""
    return diff_cassettes(load_cassette(a), load_cassette(b), options)
