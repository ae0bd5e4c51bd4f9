"""Record the rest: ``new`` for ``httpx2`` clients, from the proxy's pieces.

The pytest plugin's client fixtures under ``--cua-record-mode new`` (the
proxy's ``--record-mode new`` is the same idea behind a base URL): a test's
clients are answered from the cassette as far as each conversation's
recording goes, and from its first request the cassette has no step for, that
conversation goes to the real upstream and is recorded beside the cassette
(:func:`~.extend.rest_directory`); the fixture adds those steps to the
cassette when the test ends (:func:`~.extend.extend`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from ..replay.conversations import _Unrecorded
from ..replay.transport import ReplayTransport
from .recorder import Exchange
from .transport import RecordingTransport, _split

__all__ = ["RecordRestTransport", "async_record_rest_client", "record_rest_client"]


class RecordRestTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """``new``: the cassette answers what it holds; the rest goes upstream and is recorded.

    The proxy's ``--record-mode new`` for one test's clients, from the same
    pieces: ``replay`` picks each request's step by the conversation it
    continues (:class:`~cua_replay.replay.conversations.Conversations` with
    ``record_rest``) and answers it as any replay does; a request it has no
    step for (:class:`~cua_replay.replay.conversations._Unrecorded`: a new
    conversation, one past where its recording ends, or one continuing a
    response the upstream just made) goes through ``upstream``, a
    :class:`~.transport.RecordingTransport` into the rest's
    recorder, and so does a lookup (retrieve, input items, delete) of an id the
    cassette does not hold. The fixture adds the recorded steps to the
    cassette when the test ends (:func:`~.extend.extend`).
    ``replay`` is shared by every client of the test; ``upstream`` is this
    client's own (sync or async).
    """

    def __init__(self, replay: ReplayTransport, upstream: RecordingTransport) -> None:
        self.replay = replay
        self.upstream = upstream

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = self.replay.handle_request(request)
        except _Unrecorded:
            return self.upstream.handle_request(request)
        if _not_held(request, response):
            response.close()
            return self.upstream.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self.replay.handle_async_request(request)
        except _Unrecorded:
            return await self.upstream.handle_async_request(request)
        if _not_held(request, response):
            await response.aclose()
            return await self.upstream.handle_async_request(request)
        return response

    def close(self) -> None:
        self.upstream.close()

    async def aclose(self) -> None:
        await self.upstream.aclose()


def _not_held(request: httpx2.Request, response: httpx2.Response) -> bool:
    """A lookup of a response the cassette does not hold: one the upstream made (as the proxy)."""
    return response.status_code == 404 and request.method != "POST"


def record_rest_client(
    replay: ReplayTransport, sink: Callable[[Exchange], None], **kwargs: Any
) -> httpx2.Client:
    """A client with the SDK's defaults over a :class:`RecordRestTransport` (``new``, sync).

    ``kwargs`` are as for :func:`~.transport.recording_client`: the
    transport options configure the transport to the upstream.
    """
    from openai import DEFAULT_CONNECTION_LIMITS, DefaultHttpxClient

    options = {"limits": DEFAULT_CONNECTION_LIMITS, **_split(kwargs)}
    upstream = RecordingTransport(sink, httpx2.HTTPTransport(**options))
    return DefaultHttpxClient(transport=RecordRestTransport(replay, upstream), **kwargs)


def async_record_rest_client(
    replay: ReplayTransport, sink: Callable[[Exchange], None], **kwargs: Any
) -> httpx2.AsyncClient:
    """The async twin of :func:`record_rest_client`."""
    from openai import DEFAULT_CONNECTION_LIMITS, DefaultAsyncHttpxClient

    options = {"limits": DEFAULT_CONNECTION_LIMITS, **_split(kwargs)}
    upstream = RecordingTransport(sink, httpx2.AsyncHTTPTransport(**options))
    return DefaultAsyncHttpxClient(transport=RecordRestTransport(replay, upstream), **kwargs)
