"""Serve the fake app with uvicorn: in a thread (tests, Python API) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from .app import FakeResponsesApp
from .brain import Brain
from .limits import Limits, bounded_config
from .scenario import Scenario
from .state import ServerState


@dataclass(frozen=True)
class ServerURLs:
    """Where each client flavour should point."""

    openai_base_url: str
    """``OpenAI(base_url=...)`` / ``OPENAI_BASE_URL``."""
    azure_endpoint: str
    """``AzureOpenAI(azure_endpoint=..., api_version=...)`` / ``AZURE_OPENAI_ENDPOINT``."""
    azure_v1_base_url: str
    """``AzureOpenAI(base_url=..., api_version="preview")`` or ``OpenAI(base_url=...)``."""

    @classmethod
    def for_address(cls, host: str, port: int) -> ServerURLs:
        origin = f"http://{host}:{port}"
        return cls(f"{origin}/v1", origin, f"{origin}/openai/v1/")


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind first, so the port (``0`` = any free one) is known before serving starts.

    ``IPPROTO_TCP`` explicitly: asyncio sets ``TCP_NODELAY`` only on accepted sockets
    whose ``proto`` says TCP, and accepted sockets inherit it from this one. With the
    default ``0``, Nagle holds each response body (written after its headers) until
    the client's delayed ACK, ~40 ms per keep-alive request on Linux.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_config(app: ASGIApp, limits: Limits | None = None) -> uvicorn.Config:
    """How every server of ours runs ``app``: quiet, and bounded by ``limits``.

    ``None`` means the defaults as the environment overrides them
    (:meth:`~.limits.Limits.from_env`), so the proxy and the Python API honour
    ``CUA_REPLAY_SERVER_*`` as ``cua-replay serve`` does.
    """
    return bounded_config(
        app,
        limits,
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


def uvicorn_server(app: ASGIApp, limits: Limits | None = None) -> uvicorn.Server:
    """The foreground server of ``cua-replay serve``: uvicorn as is, Ctrl+C included."""
    return uvicorn.Server(uvicorn_config(app, limits))


class _PromptServer(uvicorn.Server):
    """uvicorn's server without its polling: it stops when asked, not on its next 0.1 s tick.

    A test starts and stops a server per test; uvicorn's tick and its fixed 0.1 s pause
    in ``shutdown`` cost ~0.2 s a time, which across a suite is most of the server
    tests' wall time.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.settled = threading.Event()
        """Set once the server is serving, or has given up trying."""

    def run_until_stopped(self, sockets: list[socket.socket]) -> None:
        try:
            self.run(sockets=sockets)
        finally:
            self.settled.set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.settled.set()

    async def main_loop(self) -> None:
        await self.on_tick(0)  # the default headers (date, server), as uvicorn sets them
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if not self.should_exit:
            await self._wake.wait()

    def request_stop(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0)  # a yield, not a wait: closed connections report in
        try:
            await asyncio.wait_for(
                self._wait_tasks_to_complete(), self.config.timeout_graceful_shutdown
            )
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel()


class BackgroundServer:
    """A uvicorn server on a loopback socket in a daemon thread: ``start``/``stop`` or ``with``.

    The socket is bound in ``__init__``, so ``urls`` (the port the system chose) is
    known before the server starts; ``start`` returns once it serves or failed.
    """

    thread_name = "cua-replay-server"
    label = "The server"

    def __init__(self, server: _PromptServer, *, host: str, port: int) -> None:
        self._socket = bind(host, port)
        self.urls = ServerURLs.for_address(host, self._socket.getsockname()[1])
        self._server = server
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.run_until_stopped,
            args=([self._socket],),
            daemon=True,
            name=self.thread_name,
        )
        self._thread.start()
        self._server.settled.wait(timeout=60)
        if not self._server.started:
            raise RuntimeError(f"{self.label} failed to start; see the log above.")
        return self

    def stop(self) -> None:
        self._server.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class FakeResponsesServer(BackgroundServer):
    """The fake Responses API on loopback, in a background thread.

    >>> with FakeResponsesServer("demo") as server:  # doctest: +SKIP
    ...     client = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test")

    ``limits`` bounds each request's headers, body and size (:class:`~.limits.Limits`;
    default: its defaults as ``CUA_REPLAY_SERVER_*`` override them).
    """

    thread_name = "cua-replay-fake-server"
    label = "The fake Responses server"

    def __init__(
        self,
        brain: Brain | Scenario | str = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        seed: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.app = FakeResponsesApp(brain, api_key=api_key, seed=seed)
        config = uvicorn_config(self.app, limits)
        super().__init__(_PromptServer(config), host=host, port=port)

    @property
    def state(self) -> ServerState:
        """The server's memory: ``log`` of handled requests, ``finished`` conversations."""
        return self.app.state
