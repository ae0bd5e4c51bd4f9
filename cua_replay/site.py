"""Serve the bundled fixture site to a browser under realistic https hostnames.

Each folder under the site root is a host: ``fixtures/site/shop.example/form.html``
is ``https://shop.example/form.html``. Requests are answered by Playwright
request routing, so there is no server process, and every request to any
other host is aborted: a page under test cannot reach the network.

A URL whose query has ``download`` (``/file.txt?download``) is answered as an
attachment (``Content-Disposition: attachment``), as a file server's download
link is. Use that for download links: Chromium does not route the request of
an ``<a download>`` link through Playwright (microsoft/playwright#28253), so
such a link to a fixture file ends in a cancelled download.
"""

from __future__ import annotations

import logging
import mimetypes
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import FixtureSiteError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

logger = logging.getLogger(__name__)

DEFAULT_HOST = "shop.example"


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

    def resolve(self, url: str) -> Path | None:
        """The file that answers ``url``, or None if it is not a fixture page."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in self.hosts:
            return None
        host_root = self.root / str(parts.hostname)
        relative = unquote(parts.path).lstrip("/") or "index.html"
        target = (host_root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(host_root) or not target.is_file():
            return None
        return target

    async def _handle(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname in self.hosts:
            target = self.resolve(url)
            if target is None:
                await route.fulfill(
                    status=404, content_type="text/html", body="<h1>404 Not Found</h1>"
                )
                return
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            headers = {"Content-Type": content_type}
            if "download" in parse_qs(parts.query, keep_blank_values=True):
                headers["Content-Disposition"] = f'attachment; filename="{target.name}"'
            await route.fulfill(status=200, headers=headers, body=target.read_bytes())
            return
        logger.info("blocked request outside the fixture site: %s", url)
        self.blocked.append(url)
        await route.abort("internetdisconnected")
