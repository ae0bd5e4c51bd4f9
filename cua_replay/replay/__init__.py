"""Replay: a recorded run answers again, and every live request is checked against it.

:class:`~.cursor.ReplayCursor` hands out the steps and checks each request
under :class:`~.options.ReplayOptions`; :mod:`.outcome` decides what a recorded
step answers (every path renders that); :mod:`.http` answers an HTTP request;
:mod:`.transport` serves that to any httpx2 client (the SDK, sync or async);
:mod:`.session` adds the checks of actions and safety decisions for an
in-process replay; :mod:`.recorded` is the executor that hands back the
recorded screenshots; :mod:`.resume` continues a recording live from a step;
:mod:`.conversations` picks the step by the links a request carries, for
several conversations at once (the proxy, ``new`` in the client fixtures).
"""

from __future__ import annotations

from .matchers import MatchPolicy, compare
from .options import ReplayOptions
from .outcome import Outcome, outcome_of
from .resume import resume_backend
from .session import ReplayResult, ReplaySession
from .transport import (
    AsyncReplayTransport,
    ReplayTransport,
    async_replay_client,
    replay_client,
)

__all__ = [
    "AsyncReplayTransport",
    "MatchPolicy",
    "Outcome",
    "ReplayOptions",
    "ReplayResult",
    "ReplaySession",
    "ReplayTransport",
    "async_replay_client",
    "compare",
    "outcome_of",
    "replay_client",
    "resume_backend",
]
