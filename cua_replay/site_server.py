"""The fixture site over plain HTTP on loopback, for browsers we do not launch.

Our own browsers see the fixture site through Playwright request routing
(:meth:`cua_replay.site.FixtureSite.install`); another client's browser (the
TypeScript sample app, a .NET agent, a plain Playwright script) cannot. This
serves the same site with a real HTTP server instead: each fixture host
answers at ``http://<host>.localhost:PORT/``, chosen by the request's ``Host``
header, so ``https://shop.example/form.html`` is
``http://shop.example.localhost:PORT/form.html``. Browsers and curl resolve
``*.localhost`` to loopback themselves; any other client sends
``Host: shop.example.localhost`` to ``127.0.0.1:PORT``.

Every request is answered by :meth:`FixtureSite.answer` (the file, its
content type, the ``?download`` attachment), the one implementation Playwright
routing uses too. Two things differ on purpose:

* Links between fixture hosts (``https://bank.example/pay.html`` on the shop's
  checkout page) are rewritten in text answers to the loopback URL of the
  same port, so following them stays on this server.
* A ``Host`` that is not a fixture host on ``.localhost`` gets a 404 (which
  lists the site's URLs): no other name reaches the files, which also keeps a
  DNS-rebinding page from reading them.

Only ``GET`` and ``HEAD`` are answered; it binds loopback unless told otherwise.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .server.runner import BackgroundServer, _PromptServer, uvicorn_config
from .site import (
    LOOPBACK_SUFFIX,
    NOT_FOUND_PAGE,
    FixtureSite,
    SiteAnswer,
    loopback_origin,
    loopback_url,
)

TEXT_TYPES = ("text/", "application/javascript", "application/json")
"""Answers whose links to other fixture hosts are rewritten."""

COMMON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
"""The site changes between versions and runs: no browser cache should keep a page."""


class FixtureSiteApp:
    """The ASGI app answering every fixture host by its ``Host`` header."""

    def __init__(self, site: FixtureSite | None = None) -> None:
        self.site = site or FixtureSite()
        hosts = "|".join(re.escape(host) for host in sorted(self.site.hosts, key=len, reverse=True))
        self._links = re.compile(rf"https?://({hosts})(?![\w.-])") if hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off; websockets are not served
            return
        response = self.respond(Request(scope))
        await response(scope, receive, send)

    def respond(self, request: Request) -> Response:
        """The answer to one request, from its method, ``Host`` and raw path."""
        if request.method not in ("GET", "HEAD"):
            return _plain(405, b"Only GET and HEAD are served.\n", {"Allow": "GET, HEAD"})
        fixture_host, port = _split_host(request.headers.get("host", ""))
        if port is None:  # no port in Host: the one the request came in on
            port = _server_port(request.scope)
        if fixture_host not in self.site.hosts:
            return self._unknown_host(port)
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        query = request.scope.get("query_string", b"")
        url = f"https://{fixture_host}{raw_path.decode('latin-1')}"
        if query:
            url += "?" + query.decode("latin-1")
        answer = self.site.answer(url)
        if answer is None:  # a request target that is no path, e.g. ``OPTIONS *``
            return _plain(404, NOT_FOUND_PAGE)
        return self._response(answer, port)

    def _response(self, answer: SiteAnswer, port: int | None) -> Response:
        body = answer.body
        links = self._links
        if links is not None and port is not None and answer.content_type.startswith(TEXT_TYPES):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                body = links.sub(lambda m: loopback_origin(m.group(1), port), text).encode()
        headers = {**COMMON_HEADERS, **answer.headers}
        return Response(body, answer.status, headers, media_type=answer.content_type)

    def _unknown_host(self, port: int | None) -> Response:
        where = f":{port}" if port is not None else ""
        known = "".join(
            f"  http://{host}{LOOPBACK_SUFFIX}{where}/\n" for host in sorted(self.site.hosts)
        )
        return _plain(
            404,
            f"Not a fixture host. The fixture site answers at:\n{known}".encode(),
        )


def _split_host(header: str) -> tuple[str | None, int | None]:
    """``shop.example.localhost:8000`` -> (``shop.example``, 8000); not on .localhost -> None."""
    try:
        parts = urlsplit(f"//{header}")
        port = parts.port
    except ValueError:
        return None, None
    host = (parts.hostname or "").rstrip(".")
    if not host.endswith(LOOPBACK_SUFFIX):
        return None, port
    return host.removesuffix(LOOPBACK_SUFFIX), port


def _server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else None


def _plain(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status, {**COMMON_HEADERS, **(headers or {})}, media_type="text/plain")


class FixtureSiteServer(BackgroundServer):
    """The fixture site on loopback, in a background thread.

    >>> with FixtureSiteServer() as site:  # doctest: +SKIP
    ...     page.goto(site.url("https://shop.example/form.html"))
    """

    thread_name = "cua-replay-site"
    label = "The fixture site server"

    def __init__(
        self, site: FixtureSite | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = FixtureSiteApp(site)
        super().__init__(_PromptServer(uvicorn_config(self.app)), host=host, port=port)
        self.port: int = self._socket.getsockname()[1]

    def url(self, fixture_url: str) -> str:
        """Where this server answers ``fixture_url`` (``https://shop.example/form.html``)."""
        return loopback_url(fixture_url, self.port)

    def origins(self) -> dict[str, str]:
        """Fixture host -> the loopback URL of its index."""
        return {host: self.url(f"https://{host}/") for host in sorted(self.app.site.hosts)}
