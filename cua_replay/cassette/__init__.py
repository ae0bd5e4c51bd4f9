"""Cassettes: one recorded run as a manifest, an append-only step log and a screenshot store.

See :mod:`.format` for what is on disk, :mod:`.recorder` for how a run gets
there, and the replay modules for how it comes back.
"""

from __future__ import annotations

from .format import FORMAT_VERSION, Manifest, StepRecord, StopRecord
from .matchers import MatchPolicy, compare
from .recorder import Exchange, Recorder, new_manifest
from .redact import RedactionPolicy, Redactor
from .store import Cassette, CassetteWriter, load_cassette

__all__ = [
    "FORMAT_VERSION",
    "Cassette",
    "CassetteWriter",
    "Exchange",
    "Manifest",
    "MatchPolicy",
    "Recorder",
    "RedactionPolicy",
    "Redactor",
    "StepRecord",
    "StopRecord",
    "compare",
    "load_cassette",
    "new_manifest",
]
