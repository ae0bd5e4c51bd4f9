"""Task suites: many tasks x models x trials, recorded as cassettes, compared with statistics.

:mod:`.spec` is the suite file, :mod:`.verdict` judges a final state,
:mod:`.layout` is the ``runs/<suite>/<model>/<task>/<trial>/`` folder tree,
:mod:`.runner` runs a suite concurrently and resumably, :mod:`.stats` and
:mod:`.compare` compare two models' runs, :mod:`.render` shows the comparison.
"""

from __future__ import annotations

from .spec import FakeBranch, FakePlan, SuccessCheck, Suite, SuiteTask, load_suite
from .verdict import FinalState, judge

__all__ = [
    "FakeBranch",
    "FakePlan",
    "FinalState",
    "SuccessCheck",
    "Suite",
    "SuiteTask",
    "judge",
    "load_suite",
]
