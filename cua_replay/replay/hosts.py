"""Where a replay in the browser may go: the hosts its recording visited, and no further.

A cassette is untrusted input (issue 16): one from elsewhere may name a start
page whose scripts, images, frames or links reach a host the recorded run
never touched, such as a service on this machine or the cloud's metadata
address. So a browser replay allows only

* the origins (host and port) the recording itself names: the manifest's
  ``start_url`` and every page URL of its steps (:func:`visited_urls`), those
  on this machine or a private network only with ``allow_local``;
* the fixture site's hosts (:class:`~cua_replay.site.FixtureSite`), which are
  served in the browser and never reach the network;
* hosts the user names (``--allow-host HOST[:PORT]``, ``allow_hosts=``),

and within those, the recording's own domain policy (its ``allow_domains`` and
``block_domains``), as the live run had it. :class:`ReplayPolicy` is a
:class:`~cua_replay.domains.DomainPolicy`, so the run installs and the loop
watches it as it does the live run's; a blocked request is reported once per
origin, in one line naming the option that would allow it.

The port counts: a recording of ``http://127.0.0.1:8000/`` does not let a page
reach ``127.0.0.1:6379``. Playwright does not route the hops of a redirect
(only the first URL of it), so a visited host that answers with a redirect to
another host is not stopped here.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..cassette.store import Cassette
from ..cassette.view import view
from ..domains import HOST_SCHEMES, DomainPolicy, is_ip_address
from ..errors import InvalidSetting

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}

_HOST_PORT = re.compile(r"[^:/?#@\s]+(?::[0-9]{1,5})?")
"""A bare ``host`` or ``host:port``, as opposed to a URL (``about:blank``, ``data:...``)."""

Origin = tuple[str, int | None]
"""A host and its port; ``None`` for every port (a fixture host, ``--allow-host HOST``)."""


def is_local(host: str) -> bool:
    """Whether ``host`` is this machine or a private network: loopback, private, link-local
    and every other non-global address, ``localhost`` and its subdomains."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.lower().rstrip(".")
        return name == "localhost" or name.endswith(".localhost")
    return not address.is_global


def origin_of(url: str) -> Origin | None:
    """The host and port ``url`` reaches (default port by scheme); ``None`` for a URL that
    names no network host (``about:``, ``data:``) or cannot be parsed."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme == "blob":
            return origin_of(url.strip()[len("blob:") :])
        if scheme not in HOST_SCHEMES or not parts.hostname:
            return None
        return _host(parts.hostname), parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None


def visited_urls(cassette: Cassette) -> Iterator[str]:
    """Every page URL the recording names: its start page, and each step's pages before,
    during and after its actions (:func:`~cua_replay.cassette.view.view`)."""
    if cassette.manifest.start_url:
        yield cassette.manifest.start_url
    for step in view(cassette).steps:
        yield step.url
        if step.url_after:
            yield step.url_after
        for call in step.calls:
            yield call.before_url
            yield call.after_url
            for action in call.actions:
                yield action.url


def parse_allowed_host(text: str) -> Origin:
    """``--allow-host`` ``HOST`` (every port) or ``HOST:PORT``; one-line error otherwise."""
    try:
        parts = urlsplit("//" + text.strip())
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        host, port, problem = None, None, f"is not HOST or HOST:PORT ({exc})"
    else:
        problem = "is not HOST or HOST:PORT"
        if parts.path or parts.query or parts.fragment or parts.username is not None:
            host = None
    if not host:
        raise InvalidSetting(
            f"--allow-host {text!r} {problem}, e.g. 127.0.0.1:8000 or example.com.",
            setting="allow_hosts",
        )
    return _host(host), port


class ReplayPolicy(DomainPolicy):
    """The recording's domain policy, narrowed to the origins the replay may reach."""

    def __init__(
        self,
        origins: Iterable[Origin],
        *,
        local: Iterable[Origin] = (),
        allow: tuple[str, ...] = (),
        block: tuple[str, ...] = (),
        report: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(allow=allow, block=block)
        self.origins = frozenset(origins)
        """Where a request may go (as far as the recording's policy allows it)."""
        self.local = frozenset(local) - self.origins
        """Origins the recording visited on this machine or a private network, not allowed
        (no ``allow_local``): a request there is refused with that option named."""
        self.report = report or logger.warning
        """Called with each one-line refusal, once per origin."""
        self._reported: set[Origin | None] = set()

    @classmethod
    def for_cassette(
        cls,
        cassette: Cassette,
        *,
        fixture_hosts: Iterable[str] = (),
        allow_hosts: Iterable[str] = (),
        allow_local: bool = False,
        report: Callable[[str], None] | None = None,
    ) -> ReplayPolicy:
        """The policy of a browser replay of ``cassette`` (see the module docstring)."""
        visited = {o for o in map(origin_of, visited_urls(cassette)) if o is not None}
        local = {o for o in visited if is_local(o[0])}
        origins = (visited - (set() if allow_local else local)) | {
            (_host(host), None) for host in fixture_hosts
        }
        origins |= {parse_allowed_host(text) for text in allow_hosts}
        settings = cassette.manifest.settings
        return cls(
            origins,
            local=local,
            allow=settings.allow_domains,
            block=settings.block_domains,
            report=report,
        )

    def __repr__(self) -> str:
        shown = sorted(f"{host}:{port or '*'}" for host, port in self.origins)
        return f"ReplayPolicy(origins={shown!r}, allow={self.allow!r}, block={self.block!r})"

    def allows(self, url_or_host: str) -> bool:
        """The recording's policy allows it, and it is one of :attr:`origins`."""
        if not super().allows(url_or_host):
            return False
        origin = _origin_or_host(url_or_host)
        if origin is None:
            return True
        host, port = origin
        return (host, None) in self.origins or (
            (host, port) in self.origins
            if port is not None
            else any(known == host for known, _ in self.origins)
        )

    def refusal(self, url: str) -> str:
        """One line: which origin ``url`` reaches, and what would allow it."""
        origin = _origin_or_host(url)
        where = f"{origin[0]}:{origin[1]}" if origin and origin[1] else (origin or ("?",))[0]
        said = f"Replay blocked a request to {where}"
        if not DomainPolicy.allows(self, url):
            return (
                f"{said}: the recording's own domain policy (allow_domains={self.allow!r}, "
                f"block_domains={self.block!r}) refuses it, as the live run did."
            )
        if origin in self.local:
            return (
                f"{said}, on this machine or a private network; pass --allow-local "
                "(allow_local=True) if you trust this cassette."
            )
        return (
            f"{said}, a host the recording never visited; pass --allow-host {where} "
            "(allow_hosts=) if you trust this cassette."
        )

    async def install(
        self, context: BrowserContext, *, on_blocked: Callable[[str], None] | None = None
    ) -> None:
        """As :meth:`DomainPolicy.install`, each refused origin reported once to :attr:`report`."""

        def blocked(url: str) -> None:
            origin = _origin_or_host(url)
            if origin not in self._reported:
                self._reported.add(origin)
                self.report(self.refusal(url))
            if on_blocked is not None:
                on_blocked(url)

        await super().install(context, on_blocked=blocked)


def _origin_or_host(url_or_host: str) -> Origin | None:
    """The origin of a URL, or of a bare ``host[:port]`` (port ``None`` when not given)."""
    value = url_or_host.strip()
    if is_ip_address(value):
        return _host(value), None
    if "://" in value or not _HOST_PORT.fullmatch(value):
        return origin_of(value)
    host, _, port = value.partition(":")
    return _host(host), int(port) if port else None


def _host(name: str) -> str:
    """Lowercase, without trailing dots; an IP address in its canonical spelling."""
    name = name.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return name
