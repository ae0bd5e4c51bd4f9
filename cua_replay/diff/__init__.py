"""Diff two recorded runs of the same task: what the agent did differently, and how it ended.

:func:`diff_cassettes` aligns the two trajectories (:mod:`.align`), classifies each
pair and compares the outcomes (:mod:`.compare`) into a :class:`~.model.DiffResult`
(a versioned JSON schema); :mod:`.render` turns it into text, JSON or HTML and
:mod:`.folders` does the same for two folders of cassettes.
"""

from __future__ import annotations

from .compare import DiffOptions, diff_cassettes, diff_dirs
from .folders import diff_folders
from .model import SCHEMA_VERSION, DiffResult, Element, FolderDiff, Outcome, Pair

__all__ = [
    "SCHEMA_VERSION",
    "DiffOptions",
    "DiffResult",
    "Element",
    "FolderDiff",
    "Outcome",
    "Pair",
    "diff_cassettes",
    "diff_dirs",
    "diff_folders",
]
