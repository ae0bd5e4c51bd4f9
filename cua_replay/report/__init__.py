"""A visual, self-contained HTML report of one recorded run (``cua-replay report``)."""

from __future__ import annotations

from .html import render_report
from .overlay import action_label, action_svg
from .timeline import Timeline, build_timeline

__all__ = ["Timeline", "action_label", "action_svg", "build_timeline", "render_report"]
