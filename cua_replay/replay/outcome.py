"""What a recorded step answers: the one model every replay path renders.

A step of a cassette ended in exactly one of three ways, after any retried
attempts the client made (:attr:`Outcome.attempts`):

* :class:`Answered`: a response arrived (``completed``, ``failed`` or
  ``incomplete``), possibly as a recorded event stream;
* :class:`Refused`: the service answered with an HTTP error and its body;
* :class:`Broken`: no response at all (a stream that broke off or sent an
  ``error`` event, a connection failure, a run stopped before the answer).

The HTTP replay (:mod:`.http`) turns an outcome into status, headers and a
body or events; ``serve --cassette`` (:mod:`cua_replay.server.cassette_brain`)
into a reply rendered with the server's own ids, or its error envelope; the
in-process session is the SDK over the HTTP replay. Deciding the outcome once
is what keeps the three from answering one step three different ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cassette.format import Attempt, SseEvent, StepRecord
from ..wire.sse import final_response, stream_error


@dataclass(frozen=True)
class Answered:
    """A response arrived; ``events`` is its recorded stream when it was streamed."""

    response: dict[str, Any]
    events: tuple[SseEvent, ...] | None = None


@dataclass(frozen=True)
class Refused:
    """The service answered with an HTTP error: its status, headers and body (None if none)."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Broken:
    """No response: ``detail`` says why; ``events`` is the stream as far as it came."""

    detail: str
    events: tuple[SseEvent, ...] | None = None
    connection_error: str | None = None
    """The recorded transport failure (``"ReadTimeout: ..."``) when the exchange never got
    an HTTP status."""


Ending = Answered | Refused | Broken


@dataclass(frozen=True)
class Outcome:
    """A recorded step's retried attempts, then how it ended."""

    step: StepRecord
    attempts: tuple[Attempt, ...]
    ending: Ending

    @property
    def latency_ms(self) -> float:
        """How long the final answer took, as recorded."""
        http = self.step.http
        return http.latency_ms if http is not None and http.latency_ms else self.step.latency_ms

    @property
    def headers(self) -> dict[str, str]:
        """The recorded response headers that matter (``x-request-id``, rate limits)."""
        http = self.step.http
        return dict(http.headers) if http is not None else {}


def outcome_of(step: StepRecord) -> Outcome:
    """How ``step`` ended, read from what the recording kept of its exchange."""
    http = step.http
    attempts = tuple(http.attempts) if http is not None else ()
    events = tuple(step.events) if step.events else None
    status = http.status if http is not None else None
    body = http.body if http is not None else None
    if (status is not None and status >= 400) or (step.response is None and body is not None):
        headers = dict(http.headers) if http is not None else {}
        return Outcome(step, attempts, Refused(status or 500, body, headers))
    response = step.response
    if response is None and events is not None:
        response = final_response((event.event, event.data) for event in events)
    if response is not None:
        return Outcome(step, attempts, Answered(response, events))
    detail = (
        (stream_error((event.event, event.data) for event in events) if events else None)
        or step.error
        or "the recording has no response here"
    )
    connection = None
    if http is not None and status is None:
        connection = step.error or "the connection failed"
    return Outcome(step, attempts, Broken(detail, events, connection_error=connection))


def moves(step: StepRecord) -> int:
    """How far a step's answer moves a conversation: its assistant message, plus the
    ``computer_call_output`` the client sends back for its computer call. Usually 1;
    2 for a message beside a call (GA commentary); 0 for a failed or incomplete
    response, or none."""
    response = step.response
    if response is None or response.get("status") in ("failed", "incomplete"):
        return 0
    output = [item for item in response.get("output") or [] if isinstance(item, dict)]
    call = any(item.get("type") == "computer_call" for item in output)
    message = any(
        item.get("type") == "message" and item.get("role") == "assistant" for item in output
    )
    return int(call) + int(message)
