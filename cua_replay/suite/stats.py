"""The statistics of a comparison, from scipy: Wilson intervals and Fisher's exact test.

scipy is the ``suite`` extra (``pip install 'cua-replay[suite]'``); without it
:func:`require_scipy` raises :class:`~cua_replay.errors.MissingExtra`, one line.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import MissingExtra

__all__ = ["Distribution", "Rate", "fisher_p", "rate", "require_scipy"]


def require_scipy() -> Any:
    """``scipy.stats``, or :class:`MissingExtra` saying how to install it."""
    try:
        import scipy.stats  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtra("scipy", "suite") from None
    return scipy.stats


class Rate(BaseModel):
    """``passed`` of ``runs`` judged, with its 95% Wilson score interval."""

    model_config = ConfigDict(frozen=True)

    passed: int
    runs: int
    rate: float | None
    low: float | None
    high: float | None


def rate(passed: int, runs: int, *, confidence: float = 0.95) -> Rate:
    if runs == 0:
        return Rate(passed=0, runs=0, rate=None, low=None, high=None)
    stats = require_scipy()
    interval = stats.binomtest(passed, runs).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return Rate(
        passed=passed,
        runs=runs,
        rate=passed / runs,
        low=float(interval.low),
        high=float(interval.high),
    )


def fisher_p(baseline: Rate, candidate: Rate) -> float | None:
    """Two-sided p-value of Fisher's exact test that the two pass rates are the same."""
    if baseline.runs == 0 or candidate.runs == 0:
        return None
    stats = require_scipy()
    table = [
        [baseline.passed, baseline.runs - baseline.passed],
        [candidate.passed, candidate.runs - candidate.passed],
    ]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


class Distribution(BaseModel):
    """A few order statistics of a per-run measure (steps, tokens, latency, cost)."""

    model_config = ConfigDict(frozen=True)

    n: int
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    min: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(n=0)
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        return cls(
            n=len(ordered),
            mean=statistics.fmean(ordered),
            median=statistics.median(ordered),
            p90=p90,
            min=ordered[0],
            max=ordered[-1],
        )
