"""ReplayOptions: the replay knobs, declared and validated once for every replay path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cua_replay.errors import InvalidSetting
from cua_replay.replay import MatchPolicy, ReplayOptions


def test_defaults_are_structural_matching_at_one_percent() -> None:
    options = ReplayOptions()
    assert options.match is MatchPolicy.STRUCTURAL and options.threshold == 0.01
    assert options.artifacts is None and not options.ids_by_position


def test_a_policy_may_be_named_and_artifacts_given_as_text() -> None:
    options = ReplayOptions("strict", artifacts="out")  # type: ignore[arg-type]
    assert options.match is MatchPolicy.STRICT and options.artifacts == Path("out")


@pytest.mark.parametrize("threshold", [-0.1, 1.5, math.nan, math.inf, True, "0.1"])
def test_a_threshold_that_is_not_a_fraction_is_refused_naming_the_flag(threshold: object) -> None:
    with pytest.raises(InvalidSetting, match="--threshold"):
        ReplayOptions(threshold=threshold)  # type: ignore[arg-type]


def test_an_unknown_policy_is_refused_naming_the_policies() -> None:
    with pytest.raises(InvalidSetting, match="structural"):
        ReplayOptions("fuzzy")  # type: ignore[arg-type]
