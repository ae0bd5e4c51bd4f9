"""The bundled fixture site: which file answers a fixture URL, for every way it is served.

Each folder under the site root is a host: ``fixtures/site/shop.example/form.html``
is ``https://shop.example/form.html``, the page's *fixture URL*, which scenarios
and cassettes name. Two servers answer from it, both through
:meth:`FixtureSite.answer`, so a page is the same bytes and headers either way:

* Playwright request routing (:meth:`FixtureSite.install`), for browsers we
  launch: there is no server process, and every request to any other host is
  aborted, so a page under test cannot reach the network.
* A real HTTP server on loopback (:mod:`cua_replay.site_server`), for browsers
  we do not control: each host answers at its *loopback URL*
  ``http://shop.example.localhost:PORT/form.html``. Browsers (Chromium,
  Firefox) and curl resolve every ``*.localhost`` name to loopback themselves
  (RFC 6761), so no DNS or hosts file is involved, and each fixture host keeps
  its own origin, so the pages' root-relative links work unchanged.
  :func:`fixture_url` maps a loopback URL back to its fixture URL, which is how
  the fake server's scenario checks (URL globs) follow the loopback site.

A URL whose query has ``download`` (``/file.txt?download``) is answered as an
attachment (``Content-Disposition: attachment``), as a file server's download
link is. Use that for download links: Chromium does not route the request of
an ``<a download>`` link through Playwright (microsoft/playwright#28253), so
such a link to a fixture file ends in a cancelled download.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from .errors import FixtureSiteError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

logger = logging.getLogger(__name__)

DEFAULT_HOST = "shop.example"

LOOPBACK_SUFFIX = ".localhost"
"""A fixture host ``shop.example`` answers on loopback as ``shop.example.localhost``."""

NOT_FOUND_PAGE = b"<h1>404 Not Found</h1>"


def default_site_root() -> Path:
    """The fixture site: inside the installed wheel, else the repository's ``fixtures/site``."""
    packaged = Path(str(resources.files("cua_replay"))) / "_site"
    if packaged.is_dir():
        return packaged
    repo = Path(__file__).resolve().parent.parent / "fixtures" / "site"
    if repo.is_dir():
        return repo
    raise FixtureSiteError(
        f"The fixture site is missing: looked in {packaged} and {repo}. "
        "Reinstall cua-replay (`pip install --force-reinstall cua-replay`) or run from a checkout."
    )


def loopback_origin(host: str, port: int) -> str:
    """Where fixture host ``host`` answers on loopback: ``http://shop.example.localhost:PORT``."""
    return f"http://{host}{LOOPBACK_SUFFIX}:{port}"


def loopback_url(url: str, port: int) -> str:
    """The loopback URL of fixture URL ``url``: ``https://shop.example/x`` ->
    ``http://shop.example.localhost:PORT/x``. Other URLs are returned unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    if parts.hostname.endswith(LOOPBACK_SUFFIX):
        return url
    origin = urlsplit(loopback_origin(parts.hostname, port))
    return urlunsplit(("http", origin.netloc, parts.path or "/", parts.query, parts.fragment))


def fixture_url(url: str) -> str:
    """The fixture URL a loopback URL stands for: ``http://shop.example.localhost:PORT/x``
    (any port) -> ``https://shop.example/x``. Other URLs are returned unchanged.

    Needs no port and no server: ``*.localhost`` names only ever mean loopback,
    so the fake server follows a site served by another process or command.
    Never raises: ``url`` is whatever a client sent as ``current_url``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket: no URL of ours
        return url
    if parts.scheme != "http" or not host.endswith(LOOPBACK_SUFFIX):
        return url
    fixture_host = host.removesuffix(LOOPBACK_SUFFIX)
    if not fixture_host or parts.username is not None or parts.password is not None:
        return url
    return urlunsplit(("https", fixture_host, parts.path or "/", parts.query, parts.fragment))


@dataclass(frozen=True)
class SiteAnswer:
    """What a fixture URL is answered with: a page, or the 404 page."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    """Headers besides ``Content-Type``: ``Content-Disposition`` for a download."""
    path: Path | None = None
    """The file answering, or None for the 404 page."""


class FixtureSite:
    """The fixture pages, and the Playwright route handler that serves them."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_site_root()).resolve()
        if not self.root.is_dir():
            raise FixtureSiteError(f"Fixture site root={str(self.root)!r} is not a directory.")
        self.hosts = frozenset(p.name for p in self.root.iterdir() if p.is_dir())
        self.blocked: list[str] = []
        """URLs of requests aborted because they left the fixture hosts."""

    def url(self, path: str = "/", *, host: str = DEFAULT_HOST) -> str:
        """The https URL of a fixture page, e.g. ``url("/form.html")``."""
        if host not in self.hosts:
            raise FixtureSiteError(
                f"host={host!r} is not a fixture host; known: {sorted(self.hosts)}."
            )
        return f"https://{host}/{path.lstrip('/')}"

    async def install(self, context: BrowserContext) -> None:
        """Route every request of ``context`` through this site."""
        await context.route("**/*", self._handle)

    def serves(self, url: str) -> bool:
        """Whether ``url`` is on a fixture host (answered, if only with a 404)."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.hostname in self.hosts

    def resolve(self, url: str) -> Path | None:
        """The file that answers ``url``, or None if it is not a fixture page.

        The path is percent-decoded once, then resolved (``..`` and symlinks
        followed): a target outside its host's folder, or outside the site
        root, is no fixture page.
        """
        if not self.serves(url):
            return None
        parts = urlsplit(url)
        host_root = self.root / str(parts.hostname)
        relative = unquote(parts.path).lstrip("/") or "index.html"
        if "\x00" in relative:
            return None
        target = (host_root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        inside = target.is_relative_to(host_root.resolve()) and target.is_relative_to(self.root)
        if not inside or not target.is_file():
            return None
        return target

    def answer(self, url: str) -> SiteAnswer | None:
        """The answer to ``url``: its page, the 404 page on a fixture host, None off them."""
        if not self.serves(url):
            return None
        target = self.resolve(url)
        if target is None:
            return SiteAnswer(404, "text/html", NOT_FOUND_PAGE)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        headers = {}
        if "download" in parse_qs(urlsplit(url).query, keep_blank_values=True):
            headers["Content-Disposition"] = f'attachment; filename="{target.name}"'
        return SiteAnswer(200, content_type, target.read_bytes(), headers, target)

    async def _handle(self, route: Route) -> None:
        url = route.request.url
        answer = self.answer(url)
        if answer is None:
            logger.info("blocked request outside the fixture site: %s", url)
            self.blocked.append(url)
            await route.abort("internetdisconnected")
            return
        headers = {"Content-Type": answer.content_type, **answer.headers}
        await route.fulfill(status=answer.status, headers=headers, body=answer.body)
