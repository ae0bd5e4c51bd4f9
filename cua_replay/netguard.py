"""Loopback only: make any attempt to reach the network fail loudly, for offline replay.

A replayed test must not depend on the network; one that quietly reaches out
passes on a laptop and fails (or leaks) in CI. :func:`loopback_only` patches
``socket.socket.connect``/``connect_ex`` and ``socket.getaddrinfo`` for its
duration so that only loopback addresses (``127.0.0.0/8``, ``::1``,
``localhost``) and Unix sockets can be reached; anything else raises
:class:`NetworkBlocked`, naming the host. The browser is another process and is
kept offline by the fixture site's request routing, not by this guard.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

from .errors import NetworkBlocked

__all__ = ["NetworkBlocked", "is_loopback", "loopback_only"]

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}


def is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, tuple) and address and not is_loopback(address[0]):
        raise NetworkBlocked(address[0])


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Block every non-loopback connection (and name lookup) inside the block; re-entrant."""
    global _depth
    with _lock:
        if _depth == 0:
            _saved.update(
                connect=socket.socket.connect,
                connect_ex=socket.socket.connect_ex,
                getaddrinfo=socket.getaddrinfo,
            )
            real_connect, real_connect_ex = _saved["connect"], _saved["connect_ex"]
            real_getaddrinfo = _saved["getaddrinfo"]

            def connect(self: socket.socket, address: Any) -> None:
                if self.family in (socket.AF_INET, socket.AF_INET6):
                    _check(address)
                real_connect(self, address)

            def connect_ex(self: socket.socket, address: Any) -> int:
                if self.family in (socket.AF_INET, socket.AF_INET6):
                    _check(address)
                result: int = real_connect_ex(self, address)
                return result

            def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
                if host is not None and not is_loopback(
                    host.decode() if isinstance(host, bytes) else host
                ):
                    raise NetworkBlocked(host)
                return real_getaddrinfo(host, *args, **kwargs)

            socket.socket.connect = connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
            socket.getaddrinfo = getaddrinfo
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                socket.socket.connect = _saved["connect"]  # type: ignore[method-assign]
                socket.socket.connect_ex = _saved["connect_ex"]  # type: ignore[method-assign]
                socket.getaddrinfo = _saved["getaddrinfo"]
