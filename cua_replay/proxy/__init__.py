"""``cua-replay proxy``: record any client's Responses API traffic, or replay it, by base URL.

Every client has a base URL, whatever its language; pointing it here records the
traffic into an ordinary cassette (forwarded to the real service) or answers it
from one (no upstream, no credentials). Only the CLI imports this package.
"""

from __future__ import annotations

from .app import ProxyApp, ProxyMode, ProxyServer, upstream_url

__all__ = ["ProxyApp", "ProxyMode", "ProxyServer", "upstream_url"]
