"""Recording transports: explicit httpx2 transports that tee the model traffic into a sink.

Give the SDK a client built on one of these (``OpenAI(http_client=recording_client(
recorder.exchange))``) and every HTTP exchange it makes reaches the sink as one
:class:`~cua_replay.record.recorder.Exchange` once it has ended: request,
status, headers, the body (decoded: a gzip answer is stored as the JSON it
carries) or, for ``text/event-stream``, the server-sent events with the time
each arrived, and the error if the exchange failed.

Why a transport and not a patch: it is one client's traffic, not the process's
(no class-level monkeypatching as vcrpy does, which is not thread-safe and
catches every other library's requests too), and it sees the final request,
retries included, exactly as it goes on the wire.

Why a tee: the response stream is passed to the caller chunk by chunk, as it
arrives, while a copy is parsed on the side. Recording must not change what it
records; vcrpy reads a whole stream before handing it over, which moved the
first event of a stream from 8 ms to 1.5 s.

The sink is called exactly once per exchange, from the thread that reads the
response (or sends the request, for a transport error): when the body is
exhausted, when the response is closed, or when reading it fails. A transport
error (connection refused, timeout) is reported with ``status=None`` and the
error, then re-raised. An exception the sink raises is not swallowed: a
recording that silently misses steps is worse than a failed run.

No silent emptiness: closing the transport (the client's ``close()`` or the
end of its ``with``) raises :class:`~cua_replay.errors.InvalidSetting` when it
forwarded requests but no exchange reached the sink with a status, or when the
inner transport answered with a body it cannot tee (neither built whole nor an
``httpx2`` byte stream). A mock transport (``httpx2.MockTransport``, a patched
``HTTPTransport`` as ``pytest_httpx2`` does) is recorded like the network.
While another exception is already leaving the ``with`` block, the problem
is logged instead, so it never hides the one the caller is handling.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final

import httpx2

from ..errors import InvalidSetting
from ..wire.decode import ContentDecoder
from ..wire.sse import TERMINAL_EVENTS, SseParser
from .recorder import Exchange

logger = logging.getLogger(__name__)

Sink = Callable[[Exchange], None]
"""Where finished exchanges go; normally :meth:`Recorder.exchange`."""
Clock = Callable[[], float]

FINISHING_EVENTS: Final = TERMINAL_EVENTS | {"error"}
"""After one of these the exchange is whole: the response arrived, or the stream failed."""
_TRANSPORT_OPTIONS: Final = ("verify", "cert", "trust_env", "http1", "http2", "limits", "proxy")


class _Capture:
    """One exchange in flight: what has been seen so far; reported to the sink once."""

    def __init__(
        self,
        request: httpx2.Request,
        body: bytes,
        sink: Sink,
        clock: Clock,
        untee: Callable[[str], None] | None = None,
    ) -> None:
        self._request = request
        self._untee = untee
        self._request_body = body
        self._sink = sink
        self._clock = clock
        self._started = clock()
        self._status: int | None = None
        self._headers: list[tuple[str, str]] = []
        self._decoder: ContentDecoder | None = None
        self._sse: SseParser | None = None
        self._events: list[tuple[float, str, Any]] | None = None
        self._body: list[bytes] = []
        self._note: str | None = None
        self.exhausted = False
        self.done = False

    @property
    def url(self) -> str:
        return str(self._request.url)

    def _ms(self) -> float:
        return (self._clock() - self._started) * 1000

    def response(self, response: httpx2.Response) -> None:
        self._status = response.status_code
        self._headers = list(response.headers.multi_items())
        self._decoder = ContentDecoder(response.headers)
        content_type = response.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() == "text/event-stream":
            self._sse = SseParser()
            self._events = []

    def feed(self, chunk: bytes) -> None:
        """Take a copy of a raw chunk; never raises into the caller's stream."""
        if self._decoder is None or self._note is not None:
            return
        try:
            self._take(self._decoder.decode(chunk))
        except Exception as exc:  # a recording bug must not break the traffic
            logger.exception("recording transport: could not parse a response chunk")
            self._note = f"recording failed: {type(exc).__name__}: {exc}"

    def _take(self, data: bytes) -> None:
        if not data:
            return
        if self._sse is None or self._events is None:
            self._body.append(data)
            return
        at = self._ms()
        self._events.extend((at, name, value) for name, value in self._sse.feed(data))

    @property
    def terminal_seen(self) -> bool:
        events = self._events
        return bool(events) and events is not None and events[-1][1] in FINISHING_EVENTS

    def finish(self, error: str | None = None) -> None:
        """Report the exchange to the sink; only the first call does anything."""
        if self.done:
            return
        self.done = True
        latency = self._ms()
        if self._decoder is not None and self._note is None:
            try:
                self._take(self._decoder.flush())
            except Exception as exc:
                self._note = f"recording failed: {type(exc).__name__}: {exc}"
        decoding = self._decoder.error if self._decoder is not None else None
        if self._note is not None and self._untee is not None:
            self._untee(self._note)
        notes = [note for note in (error, decoding, self._note) if note]
        self._sink(
            Exchange(
                method=self._request.method,
                url=str(self._request.url),
                request_headers=list(self._request.headers.multi_items()),
                request_body=self._request_body,
                status=self._status,
                response_headers=self._headers,
                body=b"".join(self._body),
                events=self._events,
                latency_ms=round(latency, 3),
                error="; ".join(notes) or None,
            )
        )

    def closed_early(self) -> str | None:
        """The note for a response closed before its end (none if nothing was missed)."""
        if self.exhausted or self.terminal_seen:
            return None
        return "the client closed the response before reading all of its body"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class _TeeStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """The response body passed to the client as it arrives, a copy going to the capture."""

    def __init__(self, inner: httpx2.SyncByteStream | httpx2.AsyncByteStream, capture: _Capture):
        self._inner = inner
        self._capture = capture

    def __iter__(self) -> Iterator[bytes]:
        if not isinstance(self._inner, httpx2.SyncByteStream):
            raise TypeError("the inner transport returned an async stream to a sync client")
        try:
            for chunk in self._inner:
                self._capture.feed(chunk)
                yield chunk
        except Exception as exc:
            self._capture.finish(_describe(exc))
            raise
        self._capture.exhausted = True
        self._capture.finish()

    def close(self) -> None:
        try:
            if isinstance(self._inner, httpx2.SyncByteStream):
                self._inner.close()
        finally:
            self._capture.finish(self._capture.closed_early())

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An explicit iterator, not an async generator: a client that stops reading
        # early (the SDK, once it has its final event) would leave a suspended
        # generator for the garbage collector to finalize while httpx closes the
        # stream underneath it ("async generator already executing").
        if not isinstance(self._inner, httpx2.AsyncByteStream):
            raise TypeError("the inner transport returned a sync stream to an async client")
        return _AsyncTee(self._inner.__aiter__(), self._capture)

    async def aclose(self) -> None:
        try:
            if isinstance(self._inner, httpx2.AsyncByteStream):
                await self._inner.aclose()
        finally:
            self._capture.finish(self._capture.closed_early())


class _AsyncTee:
    def __init__(self, chunks: AsyncIterator[bytes], capture: _Capture) -> None:
        self._chunks = chunks
        self._capture = capture

    def __aiter__(self) -> _AsyncTee:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._capture.exhausted = True
            self._capture.finish()
            raise
        except Exception as exc:
            self._capture.finish(_describe(exc))
            raise
        self._capture.feed(chunk)
        return chunk


class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Forwards to ``inner`` and reports each finished exchange to ``sink``, sync or async.

    One class serves sync and async clients (as httpx's ``MockTransport`` does):
    ``inner`` is the transport that really sends (default: a plain
    ``HTTPTransport`` for a sync client, ``AsyncHTTPTransport`` for an async
    one; or a mock transport in a test). ``clock`` (seconds, monotonic) times
    the exchange and each event. A response the inner transport built whole
    (a mock's ``json=``/``content=``) is recorded from its content, since the
    client never reads such a body through the stream.
    """

    def __init__(
        self,
        sink: Sink,
        inner: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
        *,
        clock: Clock = time.perf_counter,
    ) -> None:
        self.sink = sink
        self.inner = inner
        self._clock = clock
        self._lock = threading.Lock()
        self.requests = 0
        """Requests forwarded to the inner transport."""
        self.recorded = 0
        """Exchanges that reached the sink with an HTTP status."""
        self._untee: str | None = None
        self._last_error: str | None = None

    def _capture(self, request: httpx2.Request, body: bytes) -> _Capture:
        with self._lock:
            self.requests += 1
        return _Capture(request, body, self._report, self._clock, self._cannot_tee)

    def _cannot_tee(self, why: str) -> None:
        with self._lock:
            self._untee = self._untee or (
                f"The recording transport could not tee a response of {self.inner!r} ({why}); "
                "the cassette misses part of it. Report this with the response's content-type."
            )

    def _report(self, exchange: Exchange) -> None:
        with self._lock:
            if exchange.status is not None:
                self.recorded += 1
            self._last_error = exchange.error or self._last_error
        self.sink(exchange)

    def check(self) -> None:
        """Raise if this transport recorded nothing it saw, or met a body it cannot tee."""
        problem = self._problem()
        if problem is not None:
            raise InvalidSetting(problem, setting="transport")

    def _problem(self) -> str | None:
        if self._untee is not None:
            return self._untee
        if self.requests and not self.recorded:
            failed = f" (the last failed: {self._last_error})" if self._last_error else ""
            return (
                f"The recording transport forwarded {self.requests} request(s) to "
                f"{self.inner!r} but recorded no complete exchange{failed}, so the cassette "
                "would be empty; check that the inner transport answers with HTTP responses."
            )
        return None

    def _closing(self) -> None:
        problem = self._problem()
        if problem is None:
            return
        if sys.exc_info()[1] is not None:  # never mask the error already on its way out
            logger.error("%s", problem)
            return
        raise InvalidSetting(problem, setting="transport")

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.inner is None:
            self.inner = httpx2.HTTPTransport()
        if not isinstance(self.inner, httpx2.BaseTransport):
            raise InvalidSetting(
                f"A sync client was given the async-only transport {self.inner!r} to record "
                "through; pass a sync transport (or use async_recording_client).",
                setting="transport",
            )
        capture = self._capture(request, request.read())
        try:
            response = self.inner.handle_request(request)
        except Exception as exc:
            capture.finish(_describe(exc))
            raise
        return self._tee(response, capture)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.inner is None:
            self.inner = httpx2.AsyncHTTPTransport()
        if not isinstance(self.inner, httpx2.AsyncBaseTransport):
            raise InvalidSetting(
                f"An async client was given the sync-only transport {self.inner!r} to record "
                "through; pass an async transport (or use recording_client).",
                setting="transport",
            )
        capture = self._capture(request, await request.aread())
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            capture.finish(_describe(exc))
            raise
        return self._tee(response, capture)

    def _tee(self, response: httpx2.Response, capture: _Capture) -> httpx2.Response:
        capture.response(response)
        content = getattr(response, "_content", None)
        if isinstance(content, bytes):  # built whole: the client will not read the stream
            capture.feed(content)
            capture.exhausted = True
            capture.finish()
            return response
        stream = response.stream
        if not isinstance(stream, httpx2.SyncByteStream | httpx2.AsyncByteStream):
            capture.finish(f"the inner transport returned an unreadable stream {stream!r}")
            self._untee = self._untee or (
                f"The recording transport cannot tee the responses of {self.inner!r}: it "
                f"answered {capture.url} with {type(stream).__name__}, neither a whole body "
                "nor an httpx2 byte stream; return httpx2.Response(content=...) or stream=... "
                "of httpx2.SyncByteStream / AsyncByteStream."
            )
            return response
        response.stream = _TeeStream(stream, capture)
        return response

    def close(self) -> None:
        try:
            if isinstance(self.inner, httpx2.BaseTransport):
                self.inner.close()
        finally:
            self._closing()

    async def aclose(self) -> None:
        try:
            if isinstance(self.inner, httpx2.AsyncBaseTransport):
                await self.inner.aclose()
        finally:
            self._closing()


AsyncRecordingTransport = RecordingTransport
"""The same class: one recording transport serves ``OpenAI`` and ``AsyncOpenAI`` alike."""


def _split(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The options that configure a transport, taken out of ``kwargs`` (the client's)."""
    return {name: kwargs.pop(name) for name in _TRANSPORT_OPTIONS if name in kwargs}


def _both(options: dict[str, Any]) -> InvalidSetting:
    return InvalidSetting(
        f"A recording client got transport= and the transport options {sorted(options)}, which "
        "only configure the default transport; set them on the transport you pass instead.",
        setting=sorted(options)[0],
    )


def recording_client(
    sink: Sink, *, transport: httpx2.BaseTransport | None = None, **kwargs: Any
) -> httpx2.Client:
    """An ``httpx2.Client`` with the SDK's defaults whose traffic goes through a recorder.

    ``OpenAI(http_client=recording_client(recorder.exchange))``. ``transport`` is
    the inner transport (default: ``HTTPTransport`` with the SDK's connection
    limits); ``verify``, ``cert``, ``trust_env``, ``http1``, ``http2``, ``limits``
    and ``proxy`` configure that default one (a client ignores them once it is
    given a transport), every other keyword goes to the client.
    """
    from openai import DEFAULT_CONNECTION_LIMITS, DefaultHttpxClient

    options = _split(kwargs)
    if transport is None:
        options.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        transport = httpx2.HTTPTransport(**options)
    elif options:
        raise _both(options)
    return DefaultHttpxClient(transport=RecordingTransport(sink, transport), **kwargs)


def async_recording_client(
    sink: Sink, *, transport: httpx2.AsyncBaseTransport | None = None, **kwargs: Any
) -> httpx2.AsyncClient:
    """The async twin of :func:`recording_client`, for ``AsyncOpenAI(http_client=...)``."""
    from openai import DEFAULT_CONNECTION_LIMITS, DefaultAsyncHttpxClient

    options = _split(kwargs)
    if transport is None:
        options.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        transport = httpx2.AsyncHTTPTransport(**options)
    elif options:
        raise _both(options)
    return DefaultAsyncHttpxClient(transport=RecordingTransport(sink, transport), **kwargs)
