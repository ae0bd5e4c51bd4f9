"""Cassettes: one recorded run as a manifest, an append-only step log and a screenshot store.

See :mod:`.format` for what is on disk, :mod:`.recorder` and :mod:`.transport`
for how a run gets there, :mod:`.replay`, :mod:`.replay_transport` and
:mod:`.resume` for how it comes back, :mod:`.verify` and :mod:`.gc` for
keeping it healthy. The vcrpy adapter (:mod:`.vcr`) is imported on demand, so
vcrpy is only loaded when it is used.
"""

from __future__ import annotations

from .format import FORMAT_VERSION, Manifest, StepRecord, StopRecord
from .gc import gc
from .matchers import MatchPolicy, compare
from .recorder import Exchange, Recorder, new_manifest
from .redact import RedactionPolicy, Redactor
from .replay import ReplayReport, ReplaySession, replay_cassette
from .replay_transport import (
    AsyncReplayTransport,
    ReplayTransport,
    async_replay_client,
    replay_client,
)
from .resume import resume_backend
from .store import Cassette, CassetteWriter, load_cassette
from .transport import (
    AsyncRecordingTransport,
    RecordingTransport,
    async_recording_client,
    recording_client,
)
from .verify import Finding, Report, verify

__all__ = [
    "FORMAT_VERSION",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "Cassette",
    "CassetteWriter",
    "Exchange",
    "Finding",
    "Manifest",
    "MatchPolicy",
    "Recorder",
    "RecordingTransport",
    "RedactionPolicy",
    "Redactor",
    "ReplayReport",
    "ReplaySession",
    "ReplayTransport",
    "Report",
    "StepRecord",
    "StopRecord",
    "async_recording_client",
    "async_replay_client",
    "compare",
    "gc",
    "load_cassette",
    "new_manifest",
    "recording_client",
    "replay_cassette",
    "replay_client",
    "resume_backend",
    "verify",
]
