"""What crosses the wire, decoded: server-sent events and content codings, incrementally.

Shared by the recording transports (which parse a copy of each response as it
streams past) and the vcrpy adapter (which parses a whole recorded body).
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from typing import Any, Final

import httpx2

_LINE: Final = re.compile(r"\r\n|\r|\n")


class SseParser:
    """Incremental ``text/event-stream`` parser: feed bytes, get ``(name, data)`` per event.

    Follows the WHATWG rules the SDK follows: ``event:`` and ``data:`` fields
    (several ``data`` lines joined by newlines), comments ignored, an event
    dispatched at the blank line that ends it, an unfinished event at the end
    dropped. ``data`` is parsed as JSON when it is JSON; the name defaults to the
    data's ``type`` (the Responses API sends both), then ``message``.
    """

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._cr = False
        self._name = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str, Any]]:
        text = self._text.decode(chunk)
        if self._cr and text.startswith("\n"):
            text = text[1:]  # the second half of a "\r\n" split across chunks
            self._cr = False
        if text:
            self._cr = text.endswith("\r")
        lines = _LINE.split(self._pending + text)
        self._pending = lines.pop()
        events: list[tuple[str, Any]] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> tuple[str, Any] | None:
        if not line:
            if not self._data:
                self._name = ""
                return None
            raw = "\n".join(self._data)
            name, self._name, self._data = self._name, "", []
            try:
                data: Any = json.loads(raw)
            except ValueError:
                data = raw
            if not name:
                kind = data.get("type") if isinstance(data, dict) else None
                name = kind if isinstance(kind, str) else "message"
            return name, data
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None


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
