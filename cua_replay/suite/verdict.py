"""Judge a run's final state against its task's success check: a pure function.

The run (:func:`cua_replay.run.run_task`) reports where it stopped, why, the
final message and the text of the selectors the check names; this module says
pass or fail and, for a failure, the first reason, in one line.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from ..cassette.format import Verdict
from ..events import StopReason
from .spec import SuccessCheck

__all__ = ["FinalState", "judge"]


@dataclass(frozen=True)
class FinalState:
    """What a run ended with, as far as a success check looks."""

    stop: StopReason
    url: str
    message: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    """CSS selector -> the element's text at the end ("" when it is not there)."""


def judge(
    check: SuccessCheck,
    state: FinalState,
    *,
    suite: str | None = None,
    task: str | None = None,
    trial: int | None = None,
) -> Verdict:
    """The verdict of ``state`` under ``check``: every part of the check must hold."""
    reason = _first_failure(check, state)
    return Verdict(passed=reason == "", reason=reason, suite=suite, task=task, trial=trial)


def _first_failure(check: SuccessCheck, state: FinalState) -> str:
    if check.completed and state.stop is not StopReason.COMPLETED:
        return f"stopped with {state.stop.value}, not completed"
    if check.url is not None and not fnmatch.fnmatchcase(state.url, check.url):
        return f"final URL {state.url} does not match {check.url}"
    for selector, want in check.text.items():
        have = state.texts.get(selector, "")
        if want not in have:
            return f"{selector} shows {have.strip()[:80]!r}, not {want!r}"
    if check.message is not None and re.search(check.message, state.message) is None:
        return f"final message {state.message[:80]!r} does not match /{check.message}/"
    return ""
