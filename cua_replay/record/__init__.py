"""Recording: a live run into a cassette, from the loop's events or from the wire.

:class:`~.recorder.Recorder` writes a cassette as the run goes (a loop
listener, and the sink of each HTTP exchange); :mod:`.transport` tees the
SDK's HTTP traffic into it, streamed or not; :mod:`.extend` adds what
``new`` recorded to the cassette it extends.
"""

from __future__ import annotations

from .recorder import Exchange, Recorder, new_manifest
from .transport import (
    AsyncRecordingTransport,
    RecordingTransport,
    async_recording_client,
    recording_client,
)

__all__ = [
    "AsyncRecordingTransport",
    "Exchange",
    "Recorder",
    "RecordingTransport",
    "async_recording_client",
    "new_manifest",
    "recording_client",
]
