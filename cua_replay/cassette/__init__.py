"""Cassettes: one recorded run as a manifest, an append-only step log and a screenshot store.

Data only: :mod:`.format` says what is on disk, :mod:`.store` reads and writes
it, :mod:`.blobs` keeps the screenshots, :mod:`.canonical` and :mod:`.redact`
shape what is stored, :mod:`.verify`, :mod:`.leaks` and :mod:`.gc` keep a
cassette healthy. How a run gets here is :mod:`cua_replay.record`; how it comes
back is :mod:`cua_replay.replay`.
"""

from __future__ import annotations

from .format import FORMAT_VERSION, Manifest, StepRecord, StopRecord
from .gc import gc
from .redact import RedactionPolicy, Redactor
from .store import Cassette, CassetteWriter, load_cassette
from .verify import Finding, Verification, verify

__all__ = [
    "FORMAT_VERSION",
    "Cassette",
    "CassetteWriter",
    "Finding",
    "Manifest",
    "RedactionPolicy",
    "Redactor",
    "StepRecord",
    "StopRecord",
    "Verification",
    "gc",
    "load_cassette",
    "verify",
]
