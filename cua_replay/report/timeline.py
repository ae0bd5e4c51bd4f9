"""Turn a cassette into what the report shows: steps, their calls, and which screenshot is which.

The pairing of each call with the screenshot it was performed on is the run's view
(:mod:`cua_replay.cassette.view`, shared with ``show`` and ``diff``, and read from the
wire for any client's recording); this module loads each distinct screenshot once and
gives it a short local id so the HTML embeds it only once.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ..cassette.format import ExecutedAction, SafetyRecord, StepRecord
from ..cassette.store import Cassette
from ..cassette.view import usage_of, view
from ..errors import CuaReplayError
from ..images import png_size

__all__ = ["Call", "Shot", "StepView", "Timeline", "build_timeline"]

_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


@dataclass(frozen=True)
class Shot:
    """One distinct screenshot: ``id`` is local to the report (``s0``, ``s1``...)."""

    id: str
    digest: str
    data_url: str
    size: tuple[int, int]
    """Pixel size of the image."""
    space: tuple[int, int]
    """The coordinate space actions are in (the viewport; smaller than ``size`` at DPR > 1)."""


@dataclass
class Call:
    """One computer call's actions, the screenshot they were done on, and what came of it."""

    call_id: str | None
    actions: list[ExecutedAction] = field(default_factory=list)
    before: Shot | None = None
    before_url: str = ""
    after: Shot | None = None
    after_url: str = ""


@dataclass
class StepView:
    record: StepRecord
    calls: list[Call]
    screen: Shot | None
    """The screen as the step began (what its actions were done on, or the final screen)."""
    url: str
    safety: list[SafetyRecord] = field(default_factory=list)
    """The step's safety decisions as the run's view reads them (the loop's, or the wire's)."""

    @property
    def usage(self) -> dict[str, Any]:
        return usage_of(self.record)


@dataclass
class Timeline:
    cassette: Cassette
    steps: list[StepView]
    shots: dict[str, Shot]
    """Every distinct screenshot by digest, in first-seen order."""
    missing: list[str]
    """Digests the cassette refers to but whose blob is absent or unreadable."""


def build_timeline(cassette: Cassette) -> Timeline:
    """Pair every call with its before/after screenshots; load each distinct blob once."""
    shots: dict[str, Shot] = {}
    missing: list[str] = []
    display = cassette.manifest.display

    def shot(ref: dict[str, Any]) -> Shot | None:
        digest = str(ref.get("$blob", ""))
        if digest in shots:
            return shots[digest]
        if digest in missing:
            return None
        try:
            data = cassette.blob(ref)
            size = png_size(data)
        except (CuaReplayError, OSError, KeyError, ValueError):
            missing.append(digest)
            return None
        mime = str(ref.get("mime", "image/png"))
        mime = mime if mime in _MIMES else "image/png"
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        made = Shot(f"s{len(shots)}", digest, url, size, _space(size, display))
        shots[digest] = made
        return made

    def maybe(ref: dict[str, Any] | None) -> Shot | None:
        return shot(ref) if ref is not None else None

    steps: list[StepView] = []
    for step in view(cassette).steps:
        calls = [
            Call(
                call.call_id,
                actions=[done.as_executed() for done in call.actions],
                before=maybe(call.before),
                before_url=call.before_url,
                after=maybe(call.after),
                after_url=call.after_url,
            )
            for call in step.calls
        ]
        steps.append(StepView(step.record, calls, maybe(step.screen), step.url, step.safety))
    return Timeline(cassette, steps, shots, missing)


def _space(size: tuple[int, int], display: tuple[int, int] | None) -> tuple[int, int]:
    """The display when the image is an integer multiple of it (device pixel ratio), else size."""
    if display is None or display[0] <= 0 or display[1] <= 0:
        return size
    ratio_w, ratio_h = size[0] / display[0], size[1] / display[1]
    if ratio_w == ratio_h and ratio_w >= 1 and ratio_w.is_integer():
        return display
    return size
