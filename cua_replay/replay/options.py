"""How strictly a replay checks the live run against its recording: one options object.

Every replay path (the in-process session, the HTTP transports, ``serve
--cassette``, the pytest plugin, ``cua-replay replay``) takes a
:class:`ReplayOptions`, so the knobs are declared, defaulted and validated once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidSetting
from .matchers import DEFAULT_THRESHOLD, MatchPolicy


@dataclass(frozen=True)
class ReplayOptions:
    """The match policy and its screenshot tolerance, where mismatch screenshots go, ids.

    ``match`` takes a :class:`MatchPolicy` or its name; ``threshold`` is the
    fraction of pixels two screenshots may differ by and still match
    (structural policy), between 0 and 1. ``artifacts`` is where
    ``recorded.png`` / ``live.png`` / ``diff.png`` of a mismatch go (default:
    ``mismatch/`` in the cassette). ``ids_by_position`` compares response and
    call ids by where they appear rather than by value, for a server that
    issues ids of its own.
    """

    match: MatchPolicy = MatchPolicy.STRUCTURAL
    threshold: float = DEFAULT_THRESHOLD
    artifacts: Path | None = None
    ids_by_position: bool = field(default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match", MatchPolicy.parse(self.match))
        threshold = self.threshold
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
            or not 0.0 <= threshold <= 1.0
        ):
            raise InvalidSetting(
                f"Screenshot threshold {threshold!r} is not a fraction between 0 and 1; "
                "use e.g. --threshold 0.01 (1% of pixels).",
                setting="threshold",
            )
        object.__setattr__(self, "threshold", float(threshold))
        if self.artifacts is not None:
            object.__setattr__(self, "artifacts", Path(self.artifacts))
