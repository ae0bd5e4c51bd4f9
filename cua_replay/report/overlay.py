"""Draw one executed action as an SVG layer that sits on top of the screenshot it was done on.

Pure string building, no I/O, so the report and the diff can both use it and tests
need no browser. The SVG's ``viewBox`` is the screenshot's coordinate space
(``width`` x ``height``, the viewport pixels the action's ``at.x``/``at.y`` are in), and
it stretches to whatever size the image is shown at. Every piece of text comes from a
cassette, which is untrusted input, so all of it goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

__all__ = ["COLORS", "action_label", "action_svg"]

COLORS: dict[str, str] = {
    "click": "#e5484d",
    "double_click": "#d6409f",
    "move": "#0090ff",
    "scroll": "#12a594",
    "drag": "#f76b15",
    "type": "#8e4ec6",
    "keypress": "#3e63dd",
    "other": "#6f6e77",
}
_ROUND = 'stroke-linecap="round" stroke-linejoin="round"'
_TEXT_CHARS = 60
"""Typed text longer than this is cut in the label (the full text is in the step's card)."""


def action_svg(
    action: dict[str, Any],
    width: int,
    height: int,
    *,
    number: int | None = None,
    slot: int = 0,
) -> str:
    """Return ``<svg>`` markup drawing ``action`` on a ``width`` x ``height`` screenshot.

    ``number`` puts a small ordinal badge on the marker (several actions on one
    screenshot). A position-less action (type, keypress, wait) is a label in the
    bottom-left corner; ``slot`` lifts it one line per slot so stacked labels do not overlap.
    """
    width, height = max(int(width), 1), max(int(height), 1)
    scale = max(width, height) / 1024
    kind = str(action.get("type", "?"))
    painter = _Painter(width, height, scale, COLORS.get(kind, COLORS["other"]))
    body = _draw(painter, action, kind, number=number, slot=slot)
    return (
        f'<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" data-action="{escape(kind)}" role="img" '
        f'aria-label="{escape(action_label(action))}">{body}</svg>'
    )


def action_label(action: dict[str, Any]) -> str:
    """One line saying what the action did, e.g. ``left click (100, 201)`` (plain text)."""
    kind = str(action.get("type", "?"))
    at = _point(action.get("at"))
    where = f" ({at[0]:g}, {at[1]:g})" if at is not None else ""
    modifiers = _modifiers(action)
    if kind == "click":
        return f"{modifiers}{action.get('button', 'left')} click{where}"
    if kind == "double_click":
        return f"{modifiers}double click{where}"
    if kind == "move":
        return f"move{where}"
    if kind == "scroll":
        dx, dy = _num(action.get("scroll_x")), _num(action.get("scroll_y"))
        return f"{modifiers}scroll dx={dx} dy={dy}{where}"
    if kind == "drag":
        points = [p for p in map(_point, action.get("path") or []) if p is not None]
        if len(points) >= 2:
            (x0, y0), (x1, y1) = points[0], points[-1]
            return f"{modifiers}drag ({x0:g}, {y0:g}) → ({x1:g}, {y1:g}), {len(points)} points"
        return f"{modifiers}drag"
    if kind == "type":
        return f"type {_quoted(str(action.get('text', '')))}"
    if kind == "keypress":
        return f"keys {_chord(action)}"
    if kind == "wait":
        return "wait"
    if kind == "screenshot":
        return "screenshot"
    return kind


class _Painter:
    """SVG primitives in one colour, sized for the screenshot, text always escaped."""

    def __init__(self, width: int, height: int, scale: float, color: str) -> None:
        self.width, self.height, self.color = width, height, color
        self.font = round(14 * scale, 1)
        self.stroke = round(3 * scale, 1)
        self.radius = round(14 * scale, 1)

    def ring(self, x: float, y: float, r: float, *, fill: str = "none", dash: bool = False) -> str:
        extra = f' stroke-dasharray="{self.stroke * 2} {self.stroke}"' if dash else ""
        return (
            f'<circle cx="{x:g}" cy="{y:g}" r="{r:g}" fill="{fill}" stroke="{self.color}" '
            f'stroke-width="{self.stroke}"{extra}/>'
            f'<circle cx="{x:g}" cy="{y:g}" r="{r + self.stroke:g}" fill="none" stroke="#fff" '
            f'stroke-width="{self.stroke / 2:g}" opacity="0.8"/>'
        )

    def dot(self, x: float, y: float) -> str:
        return f'<circle cx="{x:g}" cy="{y:g}" r="{self.stroke:g}" fill="{self.color}"/>'

    def arrow(self, points: list[tuple[float, float]], *, dash: bool = False) -> str:
        """A polyline with a filled arrowhead at its last point (head drawn, no <marker> ids)."""
        line = " ".join(f"{x:g},{y:g}" for x, y in points)
        extra = f' stroke-dasharray="{self.stroke * 3} {self.stroke * 2}"' if dash else ""
        shaft = (
            f'<polyline points="{line}" fill="none" stroke="#fff" '
            f'stroke-width="{self.stroke * 2:g}" {_ROUND} opacity="0.7"/>'
            f'<polyline points="{line}" fill="none" stroke="{self.color}" '
            f'stroke-width="{self.stroke:g}" {_ROUND}{extra}/>'
        )
        (x0, y0), (x1, y1) = points[-2], points[-1]
        angle = math.atan2(y1 - y0, x1 - x0)
        size = self.radius
        left = (x1 - size * math.cos(angle - 0.45), y1 - size * math.sin(angle - 0.45))
        right = (x1 - size * math.cos(angle + 0.45), y1 - size * math.sin(angle + 0.45))
        head = (
            f'<polygon points="{x1:g},{y1:g} {left[0]:.1f},{left[1]:.1f} '
            f'{right[0]:.1f},{right[1]:.1f}" fill="{self.color}" stroke="#fff" '
            f'stroke-width="{self.stroke / 3:g}"/>'
        )
        return shaft + head

    def label(self, text: str, x: float, y: float) -> str:
        """A text chip with its top-left near (x, y), kept inside the screenshot."""
        pad = self.font * 0.4
        w = len(text) * self.font * 0.6 + 2 * pad
        h = self.font + 2 * pad
        x = min(max(x, 0.0), max(self.width - w, 0.0))
        y = min(max(y, 0.0), max(self.height - h, 0.0))
        return (
            f'<g class="label"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'rx="{pad:.1f}" fill="{self.color}" opacity="0.92"/>'
            f'<text x="{x + pad:.1f}" y="{y + pad + self.font * 0.82:.1f}" fill="#fff" '
            f'font-family="ui-monospace, Menlo, Consolas, monospace" font-size="{self.font:g}" '
            f'xml:space="preserve">{escape(text)}</text></g>'
        )

    def badge(self, number: int, x: float, y: float) -> str:
        r = self.font * 0.75
        return (
            f'<circle cx="{x:g}" cy="{y:g}" r="{r:.1f}" fill="#111" stroke="{self.color}" '
            f'stroke-width="{self.stroke / 2:g}"/><text x="{x:g}" y="{y + self.font * 0.35:.1f}" '
            f'fill="#fff" font-family="system-ui, sans-serif" font-size="{self.font * 0.9:.1f}" '
            f'text-anchor="middle">{number}</text>'
        )


def _draw(p: _Painter, action: dict[str, Any], kind: str, *, number: int | None, slot: int) -> str:
    at = _point(action.get("at"))
    label = _short_label(action, kind)

    def near(x: float, y: float) -> str:
        return p.label(label, x + p.radius * 1.6, y - p.font * 0.8)

    def badge(x: float, y: float) -> str:
        return p.badge(number, x - p.radius * 1.4, y - p.radius * 1.4) if number else ""

    if kind in ("click", "double_click") and at is not None:
        x, y = at
        rings = p.ring(x, y, p.radius, fill="rgba(255,255,255,0.25)") + p.dot(x, y)
        if kind == "double_click":
            rings += p.ring(x, y, p.radius * 1.7)
        if action.get("button") == "right":
            rings += p.ring(x, y, p.radius * 0.55, dash=True)
        return rings + near(x, y) + badge(x, y)
    if kind == "move" and at is not None:
        x, y = at
        arm = p.radius
        cross = (
            f'<path d="M{x - arm:g},{y:g}H{x + arm:g}M{x:g},{y - arm:g}V{y + arm:g}" '
            f'stroke="{p.color}" stroke-width="{p.stroke:g}"/>'
        )
        return p.ring(x, y, p.radius * 0.7, dash=True) + cross + near(x, y) + badge(x, y)
    if kind == "scroll" and at is not None:
        x, y = at
        dx, dy = _float(action.get("scroll_x")), _float(action.get("scroll_y"))
        length = math.hypot(dx, dy)
        out = p.ring(x, y, p.radius * 0.7) + p.dot(x, y)
        if length:
            reach = min(max(length / 4, p.radius * 3), p.radius * 8)
            end = (x + dx / length * reach, y + dy / length * reach)
            out += p.arrow([(x, y), end])
        return out + near(x, y) + badge(x, y)
    if kind == "drag":
        points = [q for q in map(_point, action.get("path") or []) if q is not None]
        if len(points) >= 2:
            x0, y0 = points[0]
            out = p.ring(x0, y0, p.radius * 0.7) + p.arrow(points, dash=False)
            return out + near(*points[-1]) + badge(x0, y0)
    top = p.height - p.font * 2.4 - slot * p.font * 2.0  # bottom-up: page headers stay visible
    prefix = f"{number}. " if number else ""
    text = prefix + label
    return p.label(text, p.font * 0.6, top)


def _short_label(action: dict[str, Any], kind: str) -> str:
    """The label drawn next to a marker: no coordinates (the marker is the position)."""
    modifiers = _modifiers(action)
    if kind == "click":
        return f"{modifiers}{action.get('button', 'left')} click"
    if kind == "double_click":
        return f"{modifiers}double click"
    if kind == "scroll":
        dx, dy = _num(action.get("scroll_x")), _num(action.get("scroll_y"))
        return f"{modifiers}scroll dx={dx} dy={dy}"
    if kind == "drag":
        return f"{modifiers}drag"
    return action_label(action)


def _point(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    x, y = value.get("x"), value.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(x), float(y)
    return None


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _num(value: Any) -> str:
    return f"{_float(value):g}"


def _modifiers(action: dict[str, Any]) -> str:
    keys = [str(k) for k in action.get("modifiers") or []]
    return "".join(f"{k}+" for k in keys)


def _chord(action: dict[str, Any]) -> str:
    keys = action.get("keys") or action.get("model_keys") or []
    return "+".join(str(k) for k in keys) or "?"


def _quoted(text: str) -> str:
    text = text.replace("\n", "⏎")
    if len(text) > _TEXT_CHARS:
        text = text[: _TEXT_CHARS - 1] + "…"
    return f"“{text}”"
