"""The proxy: one ASGI app that either records (forwarding upstream) or replays a cassette.

A client of any language points its base URL here. Recording forwards each
request to ``--upstream`` through the :class:`~cua_replay.record.transport.RecordingTransport`,
so the cassette is written exactly as for a Python client (same redaction, same
crash-safe writer), and relays the upstream's bytes to the client as they arrive:
an SSE stream is never buffered. Replaying renders the sans-IO replay core's
:class:`~cua_replay.replay.http.Answer` as a Starlette response, so a divergence
is the same ``400 cassette_mismatch`` (with the recorded/live/diff PNGs) as every
other replay path.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Final

import anyio.to_thread
import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..cassette.format import MANIFEST_NAME
from ..cassette.store import load_cassette
from ..errors import CassetteNotFound, InvalidSetting
from ..record.extend import extend, rest_directory
from ..record.recorder import Exchange, Recorder, new_manifest
from ..record.transport import RecordingTransport
from ..replay.conversations import Conversations, _Unrecorded
from ..replay.cursor import ReplayCursor
from ..replay.http import Answer, HttpReplayer, NotReplayable
from ..replay.options import ReplayOptions
from ..server.runner import BackgroundServer, _PromptServer, uvicorn_config
from ..wire.envelopes import APIError, Flavour

logger = logging.getLogger(__name__)

DEFAULT_UPSTREAM: Final = "https://api.openai.com/v1"

CLIENT_BASES: Final = ("/openai/v1", "/openai", "/v1")
"""The base paths clients put before ``/responses``: Azure v1, Azure classic, OpenAI."""

_HOP_BY_HOP: Final = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
    }
)
"""Request headers that describe the hop to the proxy, not the request: never forwarded."""

_NOT_RELAYED: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}
)
"""Upstream response headers the proxy's own server sets for its hop."""

_METHODS: Final = ["GET", "POST", "DELETE", "PUT", "PATCH"]


class ProxyMode(StrEnum):
    """The pytest plugin's record modes, for a proxy.

    ``none`` replays only (a missing cassette is an error); ``once`` records a
    missing cassette and replays an existing one; ``new`` replays what is
    recorded and records the rest (see :mod:`~cua_replay.replay.conversations`:
    a request with no recorded counterpart goes upstream, and so does the rest
    of its conversation), adding the new steps to the cassette when the proxy stops;
    ``all`` records every time, replacing the cassette.
    """

    NONE = "none"
    ONCE = "once"
    NEW = "new"
    ALL = "all"


def upstream_url(upstream: httpx2.URL, path: str, query: bytes) -> httpx2.URL:
    """Where a request to the proxy's ``path`` goes upstream.

    An upstream given with a path (``https://api.openai.com/v1``,
    ``https://x.openai.azure.com/openai/v1``) replaces the client's base path
    (``/v1``, ``/openai``, ``/openai/v1``); an upstream that is only an origin
    (``https://x.openai.azure.com``, a local ``cua-replay serve``) gets the
    client's path as it came. The query string (Azure's ``api-version``) is kept.
    """
    base = upstream.path.rstrip("/")
    if base:
        for prefix in CLIENT_BASES:
            if path == prefix or path.startswith(prefix + "/"):
                path = path[len(prefix) :]
                break
        path = base + path
    return upstream.copy_with(path=path, query=query or None)


def _error(status: int, message: str, *, code: str | None, kind: str) -> JSONResponse:
    """The OpenAI error envelope, as the service and the fake server answer errors."""
    error = APIError(status, message, type=kind, code=code)
    return JSONResponse(error.envelope(Flavour.OPENAI), status_code=status)


class ProxyApp:
    """The proxy as an ASGI app: replaying ``cassette``, or recording into it.

    ``mode`` decides which, as in the pytest plugin (see :class:`ProxyMode`).
    ``secrets`` are more values the recording must never contain (the client's
    credentials are learned from its headers as they pass).
    """

    def __init__(
        self,
        cassette: Path | str,
        mode: ProxyMode | str = ProxyMode.NONE,
        *,
        options: ReplayOptions | None = None,
        upstream: str = DEFAULT_UPSTREAM,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.directory = Path(cassette)
        self.mode = ProxyMode(mode)
        exists = (self.directory / MANIFEST_NAME).is_file()
        if self.mode is ProxyMode.NONE and not exists:
            raise CassetteNotFound(
                self.directory,
                "Record it first through the proxy: cua-replay proxy --cassette "
                f"{self.directory} --record-mode once.",
            )
        self.replaying = exists and self.mode is not ProxyMode.ALL
        """Answers from the cassette (``none``, ``once`` over a recording, ``new``)."""
        self.recording = not self.replaying or self.mode is ProxyMode.NEW
        """Forwards upstream and records (all of it, or under ``new`` what is not recorded)."""
        self.added = 0
        """Steps ``new`` added to the cassette (known once the proxy has stopped)."""
        self.replayer: HttpReplayer | None = None
        self.conversations: Conversations | None = None
        self.recorder: Recorder | None = None
        self._client: httpx2.AsyncClient | None = None
        self.upstream = httpx2.URL(upstream)
        if self.recording and (
            self.upstream.scheme not in ("http", "https") or not self.upstream.host
        ):
            raise InvalidSetting(
                f"--upstream {upstream!r} is not an http(s) URL; pass e.g. "
                f"{DEFAULT_UPSTREAM} or https://NAME.openai.azure.com.",
                setting="upstream",
            )
        if self.replaying:
            cursor = ReplayCursor(load_cassette(self.directory), options)
            self.conversations = Conversations(cursor, record_rest=self.mode is ProxyMode.NEW)
            self.replayer = HttpReplayer(cursor, select=self.conversations.select)
        if self.recording:
            self.recorder = Recorder.open(
                rest_directory(self.directory) if self.replaying else self.directory,
                new_manifest(),
                secrets=secrets,
                overwrite=self.mode is ProxyMode.ALL or self.replaying,
            )
            # The recorder's work (hashing and writing screenshots, redacting) runs on one
            # worker thread, in order: the client's answer never waits for the disk.
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="cua-replay-proxy-recorder")
            self._failed: dict[bytes, list[Exchange]] = {}
            transport = RecordingTransport(self._record, httpx2.AsyncHTTPTransport())
            self._client = httpx2.AsyncClient(
                transport=transport, timeout=httpx2.Timeout(600.0, connect=30.0)
            )
        handler = self._replay if self.replaying else self._forward
        self._app = Starlette(routes=[Route("/{path:path}", handler, methods=_METHODS)])
        self._close_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    # -- replay ---------------------------------------------------------------------------

    async def _replay(self, request: Request) -> Response:
        assert self.replayer is not None
        body = await request.body()
        url = httpx2.URL(str(request.url))
        # Off the event loop: a mismatch decodes screenshots and writes the diff PNGs.
        try:
            answer = await anyio.to_thread.run_sync(self.replayer.answer, request.method, url, body)
        except _Unrecorded:
            return await self._forward(request)  # new: no recorded counterpart
        if self.recording and answer.status == 404 and request.method != "POST":
            return await self._forward(request)  # new: an id the upstream issued
        return _rendered(answer)

    # -- record ---------------------------------------------------------------------------

    async def _forward(self, request: Request) -> Response:
        assert self._client is not None
        body = await request.body()
        url = upstream_url(self.upstream, request.url.path, request.url.query.encode())
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP
        ]
        outgoing = self._client.build_request(request.method, url, headers=headers, content=body)
        try:
            answer = await self._client.send(outgoing, stream=True)
        except httpx2.HTTPError as exc:
            return _error(
                502,
                f"The proxy could not reach the upstream {url.scheme}://{url.netloc.decode()} "
                f"({type(exc).__name__}); check --upstream and the network.",
                code="upstream_unreachable",
                kind="server_error",
            )
        relayed = {
            name: value
            for name, value in answer.headers.multi_items()
            if name.lower() not in _NOT_RELAYED
        }
        return StreamingResponse(_relay(answer), status_code=answer.status_code, headers=relayed)

    def _record(self, exchange: Exchange) -> None:
        """Hand an ended exchange to the recorder; a failed create waits for its retry.

        The recorder makes the failures before a success that success's attempts.
        With several conversations in flight another one's success may come
        between a failure and its retry, so a failure is held back, by its
        request body (a retry sends the same bytes), until the retry succeeds;
        failures nothing retried are handed over when the recording closes.
        Called on the event loop only.
        """
        if exchange.is_create and (exchange.status is None or exchange.status >= 300):
            self._failed.setdefault(exchange.request_body, []).append(exchange)
            return
        held = self._failed.pop(exchange.request_body, []) if exchange.is_create else []
        for ended in [*held, exchange]:
            self._submit(ended)

    def _submit(self, exchange: Exchange) -> None:
        assert self.recorder is not None
        self._writer.submit(self.recorder.exchange, exchange).add_done_callback(_reported)

    # -- lifetime -------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the upstream connections, on the server's own loop before it ends."""
        if self._client is not None:
            await self._client.aclose()

    def close(self) -> None:
        """Finish the recording (its ``stop`` line and manifest); idempotent.

        Under ``new`` the steps recorded beside the cassette then join it (see
        :mod:`~cua_replay.record.extend`).
        """
        with self._close_lock:
            if self.recorder is not None and not self.recorder.closed:
                for failures in self._failed.values():
                    for exchange in failures:
                        self._submit(exchange)
                self._failed.clear()
                self._writer.shutdown(wait=True)
                self.recorder.close()
                if self.replaying:
                    self.added = extend(self.directory, self.recorder.directory)
                    if self.added:
                        logger.info(
                            "cua-replay proxy: %d new step(s) added to %s",
                            self.added,
                            self.directory,
                        )


def _reported(done: Future[None]) -> None:
    """A failure to record is logged, never lost in the worker thread."""
    error = done.exception()
    if error is not None:
        logger.error("cua-replay proxy: recording an exchange failed: %s", error, exc_info=error)


async def _relay(answer: httpx2.Response) -> AsyncIterator[bytes]:
    """The upstream's bytes as they arrive (content coding untouched); the tee records them."""
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    finally:
        await answer.aclose()


def _rendered(answer: Answer) -> Response:
    """The replay core's answer as a Starlette response."""
    if answer.error is not None:
        if isinstance(answer.error, NotReplayable):
            return _error(
                404,
                f"{answer.error.method} {httpx2.URL(answer.error.url).path} is not a Responses "
                "API route; the proxy replays only .../responses[/ID[/input_items]].",
                code="not_found",
                kind="invalid_request_error",
            )
        return _error(
            502,
            f"The recording failed here without an HTTP answer: {answer.error}",
            code="cassette_no_response",
            kind="server_error",
        )
    if answer.events is not None:
        return StreamingResponse(_events(answer.events), answer.status, headers=answer.headers)
    return Response(answer.body, answer.status, headers=answer.headers)


def _events(events: list[tuple[float, bytes]]) -> Iterator[bytes]:
    """The recorded events, at once: the proxy replays instantly."""
    for _, chunk in events:
        yield chunk


class _ClosingServer(_PromptServer):
    """The prompt test server that also closes the proxy's upstream client on its way out."""

    def __init__(self, app: ProxyApp) -> None:
        super().__init__(uvicorn_config(app))
        self.proxy = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        await self.proxy.aclose()


class ForegroundServer(uvicorn.Server):
    """``cua-replay proxy`` in the foreground: uvicorn as is, the upstream client closed after."""

    def __init__(self, app: ProxyApp) -> None:
        super().__init__(uvicorn_config(app))
        self.proxy = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        await self.proxy.aclose()


class ProxyServer(BackgroundServer):
    """The proxy on loopback in a background thread (tests, the Python API).

    >>> with ProxyServer(ProxyApp("cassettes/form", "once")) as proxy:  # doctest: +SKIP
    ...     client = OpenAI(base_url=proxy.urls.openai_base_url)
    """

    thread_name = "cua-replay-proxy"
    label = "The cua-replay proxy"

    def __init__(self, app: ProxyApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        super().__init__(_ClosingServer(app), host=host, port=port)

    def stop(self) -> None:
        super().stop()
        self.app.close()
