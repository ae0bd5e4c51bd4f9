"""Content codings undone on a recorded copy of a response body, incrementally.

Used by the recording transports, which parse a copy of each response as it
streams past (the events themselves are parsed by :mod:`.sse`).
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx2


class ContentDecoder:
    """Undoes ``content-encoding`` on the recorded copy, so a cassette holds plain JSON.

    gzip and deflate are decoded incrementally (the SSE parser needs the events
    as they arrive); any other coding (br, zstd) is collected and decoded by
    httpx2 once the body is complete. The caller's copy is never touched: the
    client decodes its own, as it would without recording.
    """

    def __init__(self, headers: httpx2.Headers) -> None:
        values = headers.get_list("content-encoding", split_commas=True)
        self.codings = [v.strip().lower() for v in values if v.strip().lower() != "identity"]
        self._incremental = all(c in ("gzip", "x-gzip", "deflate") for c in self.codings)
        self._steps: list[Any] = [_zlib_for(c) for c in reversed(self.codings)]
        self._raw: list[bytes] = []
        self._headers = headers
        self.error: str | None = None

    def decode(self, chunk: bytes) -> bytes:
        if not self.codings:
            return chunk
        if self.error is not None:
            return b""
        if not self._incremental:
            self._raw.append(chunk)
            return b""
        try:
            for index, step in enumerate(self._steps):
                chunk = step.decompress(chunk)
                if index < len(self._steps) - 1 and not chunk:
                    break
            return chunk
        except zlib.error as exc:
            self.error = f"could not decode content-encoding {','.join(self.codings)}: {exc}"
            return b""

    def flush(self) -> bytes:
        if not self.codings or self.error is not None:
            return b""
        if self._incremental:
            out = b""
            for step in self._steps:
                out = step.decompress(out) + step.flush() if out else step.flush()
            return out
        encoding = [(k, v) for k, v in self._headers.multi_items() if k == "content-encoding"]
        try:
            return httpx2.Response(200, headers=encoding, content=b"".join(self._raw)).read()
        except httpx2.DecodingError as exc:
            self.error = f"could not decode content-encoding {','.join(self.codings)}: {exc}"
            return b""


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (against the RFC) raw."""

    def __init__(self) -> None:
        self._inner: Any = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes) -> bytes:
        if self._first and data:
            self._first = False
            try:
                return bytes(self._inner.decompress(data))
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._inner.decompress(data))

    def flush(self) -> bytes:
        return bytes(self._inner.flush())


def _zlib_for(coding: str) -> Any:
    if coding == "deflate":
        return _Deflate()
    return zlib.decompressobj(zlib.MAX_WBITS | 16)
