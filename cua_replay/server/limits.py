"""How long a request may take to arrive and how large it may be, for every server we run.

Both the fake Responses API and the proxy are served by uvicorn through
:func:`bounded_config`, so one mechanism bounds both:

- **Header and body deadlines.** uvicorn has no read timeout: ``timeout_keep_alive``
  covers only the idle time *between* requests and is cancelled by every byte
  received, so a client trickling a request one byte at a time (slowloris), or
  declaring a ``Content-Length`` and never sending it all, holds its connection
  and the request's task forever. An ASGI middleware cannot help with headers
  (the app runs only once they are parsed), so :class:`BoundedH11Protocol`
  extends uvicorn's h11 protocol with two deadlines per request: its headers must
  arrive within ``header_timeout`` of the connection opening (or of the request's
  first byte on a kept-alive connection), and its body within ``body_timeout`` of
  the headers. A missed deadline closes the connection; the app, if it was waiting
  for the body, sees a disconnect. The deadlines end once the request has arrived,
  so a long answer (an SSE stream, a scripted delay) is never cut.
- **Header size.** h11's own bound (16 KiB of request line and headers, uvicorn's
  default ``h11_max_incomplete_event_size``) answers a larger head with 400.
- **Body size.** :class:`BodyLimit` answers a body over ``max_body_bytes`` with
  ``413`` in the API's error envelope (:func:`~cua_replay.wire.envelopes.request_too_large`)
  before the app sees it: at once when ``Content-Length`` declares it, or as soon as
  a chunked body passes the bound. What the client still sends is read and dropped
  by uvicorn, under the body deadline, so the client gets its answer instead of a
  reset connection.

The defaults are set in :class:`Limits`; ``CUA_REPLAY_SERVER_HEADER_TIMEOUT``,
``CUA_REPLAY_SERVER_BODY_TIMEOUT`` and ``CUA_REPLAY_SERVER_MAX_BODY_BYTES`` override
them (:meth:`Limits.from_env`), and ``cua-replay serve`` has an option for each.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final, Literal, Self

import h11
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from ..errors import InvalidSetting
from ..wire.envelopes import Flavour, request_too_large

logger = logging.getLogger(__name__)

Phase = Literal["headers", "body"]

ENV: Final = {
    "header_timeout": "CUA_REPLAY_SERVER_HEADER_TIMEOUT",
    "body_timeout": "CUA_REPLAY_SERVER_BODY_TIMEOUT",
    "max_body_bytes": "CUA_REPLAY_SERVER_MAX_BODY_BYTES",
}
"""The environment variable that overrides each bound."""


@dataclass(frozen=True)
class Limits:
    """The bounds a server puts on each request it reads.

    The defaults are generous for loopback, where a well-behaved client sends a
    request in milliseconds: a 50-step full-history run of 1 MB screenshots posts
    about 70 MB in its last request, which is why the body bound is 128 MiB.
    """

    header_timeout: float = 10.0
    """Seconds from a connection opening (or a kept-alive one's next byte) to the end of
    the request's headers."""
    body_timeout: float = 30.0
    """Seconds from the end of the headers to the end of the body."""
    max_body_bytes: int = 128 * 2**20
    """The largest request body accepted; a larger one is answered ``413``."""

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "max_body_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (
                isinstance(value, int | float) and math.isfinite(value) and value > 0
            ):
                raise InvalidSetting(
                    f"{name}={value!r} is not above 0 (option --{name.replace('_', '-')}, "
                    f"env {ENV[name]}); pass e.g. the default, {getattr(Limits, name)!r}.",
                    setting=name,
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **given: Any) -> Self:
        """The defaults, overridden by ``environ`` (default ``os.environ``), then by ``given``.

        ``given`` values of ``None`` (an option not passed) are skipped.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            variable = ENV[field.name]
            raw = environ.get(variable, "").strip()
            if raw:
                values[field.name] = _parse(field.name, raw, variable)
        values.update({name: value for name, value in given.items() if value is not None})
        return replace(cls(), **values)


def _parse(name: str, raw: str, variable: str) -> float | int:
    try:
        value: float | int = int(raw) if name == "max_body_bytes" else float(raw)
    except ValueError:
        value = -1
    if not (math.isfinite(value) and value > 0):
        unit = "a number of bytes" if name == "max_body_bytes" else "a number of seconds"
        raise InvalidSetting(
            f"{variable}={raw!r} is not {unit} above 0; set e.g. "
            f"{variable}={getattr(Limits, name)!r}, or unset it for the default.",
            setting=name,
            source=f"env {variable}",
        )
    return value


class BoundedConfig(uvicorn.Config):
    """uvicorn's config carrying the :class:`Limits` its protocol instances read."""

    def __init__(self, app: ASGIApp, *, limits: Limits, **options: Any) -> None:
        super().__init__(BodyLimit(app, limits.max_body_bytes), http=BoundedH11Protocol, **options)
        self.limits = limits


def bounded_config(app: ASGIApp, limits: Limits | None = None, **options: Any) -> BoundedConfig:
    """uvicorn's config for ``app``, bounded by ``limits`` (default: :meth:`Limits.from_env`)."""
    return BoundedConfig(app, limits=Limits.from_env() if limits is None else limits, **options)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's headers and one for its body.

    h11's ``their_state`` says where the client is: ``IDLE`` until a request's
    headers are complete, ``SEND_BODY`` until its body is, then ``DONE``. A
    deadline is armed for the phase the client is in and dropped once it is done.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = config.limits if isinstance(config, BoundedConfig) else Limits()
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: Phase | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers")

    def data_received(self, data: bytes) -> None:
        if self._phase is None and self.conn.their_state is h11.IDLE:
            self._arm("headers")  # the first byte of a kept-alive connection's next request
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()  # a pipelined request may have been read on the way

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body")
        elif state is h11.IDLE:
            if self._phase == "body":
                self._disarm()  # a body answered early (413) was read to its end
            if self._phase is None and self.conn.trailing_data[0]:
                self._arm("headers")  # part of the next request is already here
        else:
            self._disarm()

    def _arm(self, phase: Phase) -> None:
        self._disarm()
        seconds = self.limits.header_timeout if phase == "headers" else self.limits.body_timeout
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expired(self, phase: Phase, seconds: float) -> None:
        self._deadline = None
        self._phase = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        setting = "header_timeout" if phase == "headers" else "body_timeout"
        logger.warning(
            "Closed the connection from %s: the request's %s did not arrive within %gs "
            "(%s; raise it with %s).",
            client,
            phase,
            seconds,
            setting,
            ENV[setting],
        )
        self.transport.close()


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is answered ``413``, unread by the app.

    The body is gathered here (as the app would gather it anyway) and handed on as
    one message, so a chunked body is measured before the app parses any of it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, declared)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)  # a disconnect
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        chunks.clear()
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        del body
        await self.app(scope, _replay(whole, receive), send)

    async def _refuse(self, scope: Scope, send: Send, declared: int | None) -> None:
        error = request_too_large(self.max_bytes, declared)
        payload = error.body(Flavour.of_path(scope.get("path", "")))
        await send(
            {
                "type": "http.response.start",
                "status": error.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _replay(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that answers ``first`` once (then forgets it), then the real one."""
    pending: list[Message] = [first]

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # h11 refuses a malformed one before the app is called
    return None
