"""Replay a cassette at the HTTP level: ``httpx2`` transports that answer from the recording.

Any client code that talks to the Responses API through an ``httpx2`` client
(a team's own loop, the SDK's ``ComputerToolset``, the seed samples) replays a
recorded run offline by being handed :func:`replay_client` (or
:func:`async_replay_client`) as its ``http_client``::

    client = OpenAI(base_url="http://replay.invalid/v1", api_key="sk-none",
                    http_client=replay_client("cassettes/form"))

No socket is ever opened: every answer comes from the cassette.

What is answered, and how
-------------------------

``POST .../responses`` (``/v1/responses``, ``/openai/responses``,
``/openai/v1/responses``, ``/openai/deployments/X/responses``, any query)
    The body goes to the :class:`~.cursor.ReplayCursor`, which checks it against
    the next recorded step. The step's recorded answer comes back: ``200`` and
    the recorded ``Response`` JSON with the recorded allow-listed headers
    (``x-request-id``, rate limits, ...). A request with ``"stream": true`` gets
    ``text/event-stream``: the recorded events if the step was streamed,
    otherwise events synthesized from the response in the order the service
    sends them (``response.created``, ``response.in_progress``, per item
    ``output_item.added`` / text events / ``output_item.done``, the terminal
    event). A non-streamed request for a streamed step gets the response of
    the recorded terminal event. The ``stream`` and ``stream_options`` fields
    are delivery choices the transport converts between, so they are aligned
    with the recorded step before the comparison and never cause a mismatch.

Recorded failures
    A step whose final HTTP status was an error (``http.status >= 400``) is
    answered with that status, headers and body, so the client sees the same
    error. Recorded retried attempts (``http.attempts``: 429, 5xx, connection
    errors) are replayed first, in order, with their status and headers
    (``retry-after``!), so the client's retry logic runs as it did. The cursor
    checks the request and moves to its step on the *first* attempt (so a
    divergence is reported at once, not after the client's back-off); each
    retry must resend the same body and is answered from that same step,
    without touching the cursor: the next recorded attempt, and after the last
    one the step's own answer. A step is never consumed twice. Sending another
    request while a recorded retry is due is a mismatch (``what="retry"``), and
    retrying after the recorded final error names that in the mismatch. An
    attempt recorded as a connection error (no status) is raised as the
    ``httpx2`` error it was (``ConnectError`` if unknown), which the SDK
    retries too. Attempts kept no body; theirs is an error envelope saying so.
    A step recorded without a response nor an HTTP error (a stream that broke
    with an ``error`` event, a non-HTTP failure) is replayed as its events when
    streamed, otherwise as a 500 ``cassette_no_response`` with
    ``x-should-retry: false``.

Mismatches
    A :class:`~cua_replay.errors.ReplayMismatch` from the cursor (the request
    differs, or the recording is exhausted) is answered as HTTP 400 in the
    OpenAI error envelope, ``code`` ``cassette_mismatch`` or
    ``cassette_exhausted``, whose message is the mismatch text (step, fields,
    screenshot paths), with ``x-should-retry: false``. The SDK turns that into
    an ``openai.BadRequestError`` (``e.code == "cassette_mismatch"``); the
    original exception is kept in :attr:`ReplayTransport.failures`, so a test
    can ``raise transport.failures[0]`` or call :meth:`ReplayTransport.check`.

Other Responses API requests
    ``GET /responses/{id}`` (``stream=true`` too), ``DELETE``, ``.../cancel``
    and ``.../input_items`` are answered from the recording when ``id`` is a
    recorded response's id (retrieve returns that step's response); anything
    else is a 404 in the envelope (``response_not_found``).

Anything else
    A request that is not to the Responses API raises :class:`NotReplayable`:
    this transport never touches the network. The SDK lets it through as it
    is (it wraps only ``httpx2`` transport errors), and it is kept in
    ``failures`` too.

Timing
    ``speed="instant"`` (the default) answers at once. A float is a time
    scale: ``1.0`` reproduces the recorded timing (each SSE event at its
    ``t_ms``, a JSON answer after its recorded latency), ``0.5`` halves every
    wait, ``0.001`` keeps the order at almost no cost. The waits are
    ``time.sleep`` when a sync client asks and ``asyncio.sleep`` when an async
    one does: reproducing recorded timing is the one place a timed wait is the
    point.

One :class:`ReplayTransport` serves sync and async clients alike (as httpx's
``MockTransport`` does), and is thread-safe: one lock serializes the decision
per request. The decisions themselves are sans-IO, in :mod:`.http`, over the
step outcomes of :mod:`.outcome`; this module only turns them into ``httpx2``
responses and waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2

from ..cassette.format import StepRecord
from ..errors import CuaReplayError, ReplayMismatch
from .cursor import ReplayCursor
from .http import STEP_HEADER, Answer, HttpReplayer, NotReplayable, Served, Source, Speed
from .options import ReplayOptions

__all__ = [
    "STEP_HEADER",
    "AsyncReplayClient",
    "AsyncReplayTransport",
    "NotReplayable",
    "ReplayClient",
    "ReplayTransport",
    "Served",
    "Source",
    "Speed",
    "async_replay_client",
    "replay_client",
]


class ReplayTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """An ``httpx2`` transport answering Responses API requests from a cassette, sync or async.

    ``source`` is a cassette directory, a loaded :class:`~cua_replay.cassette.Cassette`
    or a :class:`~.cursor.ReplayCursor` (which already holds its options; passing
    ``options`` too is an error). ``speed`` is ``"instant"`` or a time scale for
    the recorded waits (see the module docstring). ``select`` picks the step for
    a create request instead of the recorded order (see
    :class:`~.http.HttpReplayer`; the pytest client fixtures pass a
    :class:`~.conversations.Conversations` under ``new``).
    """

    def __init__(
        self,
        source: Source,
        options: ReplayOptions | None = None,
        *,
        speed: Speed = "instant",
        attempts: bool = True,
        select: Callable[[dict[str, Any]], StepRecord] | None = None,
    ) -> None:
        self._replay = HttpReplayer(source, options, speed=speed, attempts=attempts, select=select)

    @property
    def cursor(self) -> ReplayCursor:
        return self._replay.cursor

    @property
    def failures(self) -> list[CuaReplayError]:
        """Every mismatch (:class:`ReplayMismatch`) and unreplayable request, in order."""
        return self._replay.failures

    @property
    def served(self) -> list[Served]:
        """Every request answered, in order, with the step and attempt it was answered from."""
        return self._replay.served

    @property
    def warnings(self) -> list[ReplayMismatch]:
        """What the ``sequential`` match policy let through."""
        return self.cursor.warnings

    @property
    def finished(self) -> bool:
        """True once every recorded step has been served."""
        return self.cursor.position >= len(self.cursor.cassette.steps)

    def check(self) -> None:
        """Raise the first failure, if any: the typed error behind a 400 the SDK reported."""
        if self.failures:
            raise self.failures[0]

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        answer = self._replay.answer(request.method, request.url, request.read())
        if answer.wait > 0:
            time.sleep(answer.wait)
        return _response(answer, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        answer = self._replay.answer(request.method, request.url, await request.aread())
        if answer.wait > 0:
            await asyncio.sleep(answer.wait)
        return _response(answer, request)


AsyncReplayTransport = ReplayTransport
"""The same class: one transport serves ``AsyncOpenAI`` and ``OpenAI`` alike."""


def _response(answer: Answer, request: httpx2.Request) -> httpx2.Response:
    if answer.error is not None:
        raise answer.error
    if answer.events is not None:
        return httpx2.Response(
            answer.status, headers=answer.headers, stream=_Events(answer.events), request=request
        )
    return httpx2.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


class ReplayClient(httpx2.Client):
    """An ``httpx2.Client`` over a :class:`ReplayTransport`, reachable as ``.replay``."""

    def __init__(self, transport: ReplayTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self.replay = transport


class AsyncReplayClient(httpx2.AsyncClient):
    """An ``httpx2.AsyncClient`` over a :class:`ReplayTransport`, reachable as ``.replay``."""

    def __init__(self, transport: ReplayTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self.replay = transport


def replay_client(
    source: Source,
    options: ReplayOptions | None = None,
    *,
    speed: Speed = "instant",
    **kwargs: Any,
) -> ReplayClient:
    """A sync client replaying ``source``; pass it as ``OpenAI(http_client=...)``.

    ``kwargs`` go to ``httpx2.Client``; ``client.replay`` is the transport
    (``failures``, ``served``, ``check()``).
    """
    return ReplayClient(ReplayTransport(source, options, speed=speed), **kwargs)


def async_replay_client(
    source: Source,
    options: ReplayOptions | None = None,
    *,
    speed: Speed = "instant",
    **kwargs: Any,
) -> AsyncReplayClient:
    """An async client replaying ``source``; pass it as ``AsyncOpenAI(http_client=...)``."""
    return AsyncReplayClient(ReplayTransport(source, options, speed=speed), **kwargs)


class _Events(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """Server-sent events with their recorded waits, for a sync or an async reader."""

    def __init__(self, events: list[tuple[float, bytes]]) -> None:
        self._events = events

    def __iter__(self) -> Iterator[bytes]:
        for wait, chunk in self._events:
            if wait > 0:
                time.sleep(wait)
            yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An explicit iterator, not an async generator: a stream the client stops
        # reading early is then never finalized later on another thread's event loop.
        return _AsyncEvents(iter(self._events))


class _AsyncEvents:
    def __init__(self, events: Iterator[tuple[float, bytes]]) -> None:
        self._events = events

    def __aiter__(self) -> _AsyncEvents:
        return self

    async def __anext__(self) -> bytes:
        try:
            wait, chunk = next(self._events)
        except StopIteration:
            raise StopAsyncIteration from None
        if wait > 0:
            await asyncio.sleep(wait)
        return chunk
