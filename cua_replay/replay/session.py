"""Replay a cassette in-process: recorded responses in, every action and decision checked.

A :class:`ReplaySession` turns one cassette into the three things the loop
engine takes, each checking the replayed run against the recording as it goes:

* :attr:`~ReplaySession.backend`, a :class:`~cua_replay.backends.ModelBackend`:
  each request goes through the same HTTP replay decisions as any client's
  (:class:`~.http.HttpReplayer`, over the :class:`~.cursor.ReplayCursor`), without
  being serialized, and the answer comes back as the SDK would hand it: the
  recorded ``Response``, or the error the SDK raises for the recorded failure
  (``openai.BadRequestError``, ``APIConnectionError``, ...), so the replayed run
  stops as the recorded one did. The loop never saw the recorded retries, so
  they are not replayed here (the transport replays them for code that drives
  its own client);
* :attr:`~ReplaySession.listener`, a loop listener that checks every executed
  action (step, call, index, and the action itself, field by field) and every
  safety decision (approved or not, and the check codes) against the recording;
* :attr:`~ReplaySession.gate`, a :class:`~.checks.RecordedGate` deciding every
  safety check as the recording did (the listener and the gate live in :mod:`.checks`).

A divergence is a :class:`~cua_replay.errors.ReplayMismatch` (``what`` is
``request``, ``action``, ``safety``, ``exhausted`` or ``stop``). The loop
turns any exception into a typed stop, so the session keeps the first one it
raised and :meth:`ReplaySession.finish` raises it again once the run is over;
with nothing raised, ``finish`` compares the replayed stop (reason, steps,
final message) with the recorded one. The ``sequential`` policy reports
action and safety differences as warnings, as the cursor does for requests.

A recording cut short by a crash (no stop line) replays up to its last
complete step; the run then asks for a step that is not there. That is the
recording being incomplete, not the code under test diverging: ``finish``
returns a report with ``complete=False`` instead of raising.

:func:`cua_replay.rerun.replay_cassette` runs a whole cassette this way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2

from ..cassette.store import Cassette
from ..errors import BackendClosed, Difference, ReplayMismatch
from ..events import Stopped
from .behaviour import RecordedGate, ReplayListener
from .cursor import ReplayCursor
from .matchers import MatchPolicy
from .options import ReplayOptions
from .outcome import Answered, outcome_of

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.responses import Response

    from ..loop import RunResult

__all__ = [
    "RecordedGate",
    "ReplayBackend",
    "ReplayListener",
    "ReplayResult",
    "ReplaySession",
]

logger = logging.getLogger(__name__)

REPLAY_BASE_URL = "http://replay.invalid/v1"
"""Where the in-process replay's SDK client believes it talks to; nothing listens there."""


@dataclass(frozen=True)
class ReplayResult:
    """How a replay went; ``finish`` returns it when nothing fatal diverged (or ``check=False``)."""

    cassette: Path
    steps: int
    """Requests answered from the recording."""
    recorded_steps: int
    stop: Stopped
    """How the replayed run stopped."""
    complete: bool
    """False when the recording was cut short by a crash: replayed as far as it goes."""
    warnings: tuple[ReplayMismatch, ...] = ()
    """Differences the ``sequential`` policy let through."""
    mismatches: tuple[ReplayMismatch, ...] = ()
    """Fatal divergences; only non-empty when ``finish(check=False)``."""

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        lines = [
            f"replayed {self.steps} of {self.recorded_steps} recorded step(s) from "
            f"{self.cassette}: stopped {self.stop.reason.value} after {self.stop.steps} step(s)"
        ]
        if not self.complete:
            lines.append(
                "the recording is incomplete (cut short by a crash): replayed up to its last "
                "complete step"
            )
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines += [f"mismatch: {mismatch}" for mismatch in self.mismatches]
        return "\n".join(lines)


class ReplaySession:
    """One replay of ``cassette``: backend, listener and gate share one cursor and one verdict."""

    def __init__(
        self,
        cassette: Cassette,
        options: ReplayOptions | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.cassette = cassette
        self.cursor = ReplayCursor(
            cassette, options, environ=None if environ is None else dict(environ)
        )
        self.failure: ReplayMismatch | None = None
        """The first fatal divergence, kept for :meth:`finish` (the loop only keeps its text)."""
        self.backend = ReplayBackend(self)
        self.listener = ReplayListener(cassette, self.report)
        self.gate = RecordedGate(cassette)

    @property
    def match(self) -> MatchPolicy:
        return self.cursor.match

    @property
    def warnings(self) -> list[ReplayMismatch]:
        return self.cursor.warnings

    def report(self, mismatch: ReplayMismatch) -> None:
        """Raise ``mismatch`` (kept as :attr:`failure`), or, under ``sequential``, warn and go on.

        Running out of recording is always fatal.
        """
        if self.match is MatchPolicy.SEQUENTIAL and mismatch.what != "exhausted":
            logger.warning("%s", mismatch)
            self.cursor.warnings.append(mismatch)
            return
        raise self.fail(mismatch)

    def fail(self, mismatch: ReplayMismatch) -> ReplayMismatch:
        """Keep ``mismatch`` as the session's failure (the first one wins) and return it."""
        if self.failure is None:
            self.failure = mismatch
        return mismatch

    def finish(self, result: RunResult, *, check: bool = True) -> ReplayResult:
        """The verdict on the replayed run that ended with ``result``.

        Raises the first divergence (``check=True``), else returns a report
        listing it in ``mismatches``. See the module docstring for a recording
        cut short by a crash.
        """
        cassette = self.cassette
        complete = cassette.complete
        mismatches: list[ReplayMismatch] = []
        failure = self.failure
        if failure is not None:
            # Asking for the step after the last one a crash left is the recording's end,
            # not a divergence; anything else (more actions in a recorded step) is.
            cut_short = failure.what == "exhausted" and failure.step > len(cassette.steps)
            if complete or not cut_short:
                mismatches.append(failure)
        elif cassette.stop is not None:
            stop = _stop_mismatch(cassette, result.stop)
            if stop is not None:
                mismatches.append(stop)
        report = ReplayResult(
            cassette=cassette.directory,
            steps=self.cursor.position,
            recorded_steps=len(cassette.steps),
            stop=result.stop,
            complete=complete,
            warnings=tuple(self.cursor.warnings),
            mismatches=tuple(mismatches),
        )
        if check and mismatches:
            raise mismatches[0]
        return report


def _stop_mismatch(cassette: Cassette, live: Stopped) -> ReplayMismatch | None:
    recorded = cassette.stop
    assert recorded is not None
    differences = [
        Difference(f"stop.{name}", old, new)
        for name, old, new in (
            ("reason", recorded.reason, str(live.reason)),
            ("steps", recorded.steps, live.steps),
            ("final_message", recorded.final_message, live.final_message),
        )
        if old != new
    ]
    if not differences:
        return None
    return ReplayMismatch(
        max(live.steps, 1),
        "stop",
        f"the run stopped {live.reason.value} after {live.steps} step(s) ({live.detail}); the "
        f"recording stopped {recorded.reason} after {recorded.steps}. Fix the code under test, "
        "or re-record the cassette if the new behaviour is right.",
        cassette=cassette.directory,
        differences=tuple(differences),
    )


# -- the backend -----------------------------------------------------------------------------


class ReplayBackend:
    """A :class:`~cua_replay.backends.ModelBackend` answering from the recording, step by step.

    The replay core's answer, handed to the loop as the SDK would hand it: the
    request (the loop's own object, never serialized) goes through the same
    :class:`~.http.HttpReplayer` as any HTTP client's, and its answer becomes
    the recorded ``Response``, or the error the SDK raises for that HTTP answer
    (built by the SDK itself from the status and body), so the replayed run
    stops as the recorded one did. A divergence is raised as the
    :class:`ReplayMismatch` behind it and kept as the session's failure. The loop
    never saw the recorded retries, so they are not replayed here.
    """

    def __init__(self, session: ReplaySession) -> None:
        from .http import HttpReplayer

        self.session = session
        self.closed = False
        self._replayer = HttpReplayer(session.cursor, attempts=False)
        self._client: AsyncOpenAI | None = None

    async def create(self, request: dict[str, Any]) -> Response:
        from openai.types.responses import Response

        if self.closed:
            raise BackendClosed("This replay backend is closed (aclose() was called).")
        failures = len(self._replayer.failures)
        # The loop only ever takes the final response, so it is asked for whole; the
        # cursor aligns the delivery fields with the recording, so this never differs.
        answer, step, _, _ = self._replayer.create({**request, "stream": False})
        if len(self._replayer.failures) > failures:
            failure = self._replayer.failures[failures]
            if isinstance(failure, ReplayMismatch):
                raise self.session.fail(failure)
        if answer.error is not None:
            import openai

            raise openai.APIConnectionError(message=str(answer.error), request=self._request())
        if answer.status < 400 and step is not None:
            ending = outcome_of(self.session.cassette.steps[step - 1]).ending
            if isinstance(ending, Answered):
                return Response.model_validate(ending.response)
        raise self._sdk()._make_status_error_from_response(  # the SDK's own error mapping
            httpx2.Response(
                answer.status, headers=answer.headers, content=answer.body, request=self._request()
            )
        )

    def _sdk(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI

            self._client = AsyncOpenAI(api_key="replay", base_url=REPLAY_BASE_URL)
        return self._client

    @staticmethod
    def _request() -> httpx2.Request:
        return httpx2.Request("POST", f"{REPLAY_BASE_URL}/responses")

    async def aclose(self) -> None:
        self.closed = True
        if self._client is not None:
            await self._client.close()

    def __repr__(self) -> str:
        session = self.session
        return f"ReplayBackend({session.cassette.directory}, step {session.cursor.position})"
