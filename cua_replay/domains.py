"""Which hosts the browser may reach: an allow-list and a block-list of domains.

:meth:`DomainPolicy.allows` is pure; :meth:`DomainPolicy.install` applies it to
every request of a Playwright ``BrowserContext``. An entry matches its host and
every subdomain (``example.com`` matches ``a.example.com``, never
``notexample.com``); block wins over allow; an empty allow-list allows
everything that is not blocked. URLs without a network host (``about:blank``,
``data:``) are always allowed.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import idna

from .errors import InvalidDomainEntry

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

logger = logging.getLogger(__name__)

#: Schemes whose URLs name a host the policy must check.
HOST_SCHEMES = frozenset({"http", "https", "ws", "wss"})
ABORT_ERROR = "blockedbyclient"
"""The Playwright abort code for a blocked request (``net::ERR_BLOCKED_BY_CLIENT``)."""

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_HOST_PORT = re.compile(r"[^:/?#@\s]+:[0-9]+")


class DomainPolicy:
    """An allow-list and a block-list of hosts, validated at construction."""

    def __init__(self, *, allow: tuple[str, ...] = (), block: tuple[str, ...] = ()) -> None:
        self.allow = _entries("allow", allow)
        self.block = _entries("block", block)
        self.blocked: list[str] = []
        """URLs of requests aborted by :meth:`install`'s route, in order."""

    def __repr__(self) -> str:
        return f"DomainPolicy(allow={self.allow!r}, block={self.block!r})"

    def allows(self, url_or_host: str) -> bool:
        """Whether the browser may fetch ``url_or_host`` (a URL or a bare host)."""
        host = _host_of(url_or_host)
        if host is None:
            return True
        try:
            name = _normalise(host)
        except ValueError:
            logger.info("denied an unparseable host=%r", host)
            return False
        if not name:
            return False
        if any(_matches(name, entry) for entry in self.block):
            return False
        return not self.allow or any(_matches(name, entry) for entry in self.allow)

    async def install(
        self, context: BrowserContext, *, on_blocked: Callable[[str], None] | None = None
    ) -> None:
        """Route every request of ``context`` through this policy.

        Install it *after* any route that serves pages (e.g.
        :class:`~cua_replay.site.FixtureSite`): Playwright runs the newest
        route first, and an allowed request falls back to the older ones. A
        blocked request is aborted with ``blockedbyclient``, appended to
        :attr:`blocked`, then reported to ``on_blocked`` (on the browser's
        event loop; if it raises, the request is already aborted).

        Only what Playwright routes is seen: WebSockets and the request of an
        ``<a download>`` link (microsoft/playwright#28253) bypass routing, so
        a caller that must be airtight also checks ``allows(page.url)``.
        """

        async def handle(route: Route) -> None:
            url = route.request.url
            if self.allows(url):
                await route.fallback()
                return
            logger.info("blocked request by domain policy: %s", url)
            self.blocked.append(url)
            try:
                await route.abort(ABORT_ERROR)
            finally:
                if on_blocked is not None:
                    on_blocked(url)

        await context.route("**/*", handle)


def _entries(name: str, entries: object) -> tuple[str, ...]:
    if isinstance(entries, str) or not isinstance(entries, tuple | list | frozenset | set):
        raise InvalidDomainEntry(
            entries, f"{name} must be a tuple of hosts, e.g. {name}=({entries!r},)"
        )
    return tuple(dict.fromkeys(_entry(e) for e in entries))


def _entry(entry: object) -> str:
    if not isinstance(entry, str):
        raise InvalidDomainEntry(entry, f"expected a str, got type={type(entry).__name__}")
    if not entry.strip():
        raise InvalidDomainEntry(entry, "it is empty")
    if any(c.isspace() for c in entry):
        raise InvalidDomainEntry(entry, "it contains whitespace")
    if is_ip_address(entry):
        return _normalise(entry)
    if "://" in entry or (_SCHEME.match(entry) and not _HOST_PORT.fullmatch(entry)):
        scheme = entry.partition(":")[0]
        raise InvalidDomainEntry(entry, f"it has a scheme ({scheme!r}); keep only the host")
    if any(c in entry for c in "/?#"):
        raise InvalidDomainEntry(entry, "it has a path, query or fragment; keep only the host")
    if "@" in entry:
        raise InvalidDomainEntry(entry, "it has user info; keep only the host")
    if ":" in entry:
        raise InvalidDomainEntry(entry, "it has a port; entries match a host on any port")
    if entry.startswith("*"):
        raise InvalidDomainEntry(entry, "wildcards are implied: entries match every subdomain")
    try:
        name = _normalise(entry)
    except ValueError as exc:
        raise InvalidDomainEntry(entry, f"it is not a valid host name ({exc})") from None
    if not name:
        raise InvalidDomainEntry(entry, "it has no host name, only dots")
    return name


def _host_of(url_or_host: str) -> str | None:
    """The host to check, or None when the URL names no network host."""
    value = url_or_host.strip()
    if "://" not in value and (_SCHEME.match(value) is None or _HOST_PORT.fullmatch(value)):
        if is_ip_address(value):
            return value
        host, _, port = value.rpartition(":")
        return host if host and port.isdigit() else value
    parts = urlsplit(value)
    if parts.scheme.lower() == "blob":
        return _host_of(value[len("blob:") :])
    if parts.scheme.lower() not in HOST_SCHEMES:
        return None
    return parts.hostname or ""


def _normalise(host: str) -> str:
    """Lowercase ASCII (punycode) form without trailing dots; raises ValueError if invalid."""
    name = host.strip()
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(str(exc)) from None
    name = name.lower().rstrip(".")
    if not name:
        return ""
    if is_ip_address(name):
        return str(ipaddress.ip_address(name.strip("[]")))
    for label in name.split("."):
        if not _LABEL.fullmatch(label):
            raise ValueError(f"bad label {label!r}")
    return name


def is_ip_address(name: str) -> bool:
    """Whether ``name`` is an IPv4 or IPv6 address (brackets allowed), not a host name."""
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _matches(host: str, entry: str) -> bool:
    if host == entry:
        return True
    # An IP has no subdomains: "127.0.0.1" must not match the entry "0.0.1".
    return not is_ip_address(host) and host.endswith("." + entry)
