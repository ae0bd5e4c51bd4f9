"""Server-sent events of the Responses API: the event sequence, encoding and parsing.

One module for every place the stream is made or read, so they cannot drift:
the fake server streams a response it built (with word-sized deltas and
``obfuscation`` fields, as the service sends them); replay synthesizes a stream
for a step recorded without one (one delta per text); the recording transports
and the vcrpy adapter parse what crossed the wire; the SDK backend and the
replay of recorded events stop at the same terminal events. The sequence is
derived from the final response, so a streamed and a non-streamed answer to one
request end in the same object by construction (docs/api-contract.md §6).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

TERMINAL_BY_STATUS: Final = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}
"""The event that ends a stream, by the final response's ``status``."""
TERMINAL_EVENTS: Final = frozenset(TERMINAL_BY_STATUS.values())
"""The events that end a response and carry it whole."""


def whole(text: str) -> Iterator[str]:
    """A text as one delta (replay of a step recorded without its events)."""
    yield text


def words(text: str) -> Iterator[str]:
    """A text as word-sized deltas, as the model's tokens arrive (the fake server)."""
    if not text:
        return
    start = 0
    for position in range(1, len(text)):
        if text[position] == " " and position - start >= 4:
            yield text[start:position]
            start = position
    yield text[start:]


def synthesize(
    response: dict[str, Any],
    *,
    deltas: Callable[[str], Iterable[str]] = whole,
    obfuscation: Callable[[int], str] | None = None,
    error: str | None = None,
) -> Iterator[dict[str, Any]]:
    """A finished response as the events the service streams, ``sequence_number`` from 0.

    ``response.created`` and ``response.in_progress`` (the response in progress,
    no output), then per output item ``output_item.added``, its texts as
    ``deltas`` cuts them (message text, refusals, reasoning summaries) and
    ``output_item.done``, then the terminal event carrying the whole response.
    ``obfuscation`` gives each delta's ``obfuscation`` field from its sequence
    number (the service pads deltas so their lengths leak nothing). ``error``
    cuts the stream after ``response.in_progress`` with an ``error`` event (a
    scripted stream fault). Recorded responses may lack fields a fresh one has,
    so every field is read with a default.
    """
    sequence = 0

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal sequence
        out = {"type": kind, **fields, "sequence_number": sequence}
        sequence += 1
        return out

    def delta(kind: str, text: str, **fields: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if kind == "response.output_text.delta":
            extra["logprobs"] = []
        if obfuscation is not None:
            extra["obfuscation"] = obfuscation(sequence)
        return event(kind, **fields, delta=text, **extra)

    start = dict(response)
    start.update(status="in_progress", output=[], usage=None, error=None, incomplete_details=None)
    if "completed_at" in start:
        start["completed_at"] = None
    yield event("response.created", response=start)
    yield event("response.in_progress", response=start)
    if error is not None:
        yield event("error", code="server_error", message=error, param=None)
        return
    for index, item in enumerate(response.get("output") or []):
        kind = item.get("type")
        added = dict(item)
        if "status" in added:
            added["status"] = "in_progress"
        if kind == "message":
            added["content"] = []
        elif kind == "reasoning":
            added["summary"] = []
            added.pop("encrypted_content", None)
        yield event("response.output_item.added", output_index=index, item=added)
        item_id = item.get("id")
        if kind == "message":
            for part_index, part in enumerate(item.get("content") or []):
                where = {"item_id": item_id, "output_index": index, "content_index": part_index}
                yield from _message_part(event, delta, deltas, where, part)
        elif kind == "reasoning":
            for part_index, part in enumerate(item.get("summary") or []):
                where = {"item_id": item_id, "output_index": index, "summary_index": part_index}
                text = str(part.get("text", ""))
                empty = {"type": "summary_text", "text": ""}
                yield event("response.reasoning_summary_part.added", **where, part=empty)
                for chunk in deltas(text):
                    yield delta("response.reasoning_summary_text.delta", chunk, **where)
                yield event("response.reasoning_summary_text.done", **where, text=text)
                yield event("response.reasoning_summary_part.done", **where, part=dict(part))
        yield event("response.output_item.done", output_index=index, item=item)
    terminal = TERMINAL_BY_STATUS.get(str(response.get("status")), "response.completed")
    yield event(terminal, response=response)


def _message_part(
    event: Callable[..., dict[str, Any]],
    delta: Callable[..., dict[str, Any]],
    deltas: Callable[[str], Iterable[str]],
    where: dict[str, Any],
    part: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    if part.get("type") == "output_text":
        text = str(part.get("text", ""))
        empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        yield event("response.content_part.added", **where, part=empty)
        for chunk in deltas(text):
            yield delta("response.output_text.delta", chunk, **where)
        yield event("response.output_text.done", **where, text=text, logprobs=[])
    elif part.get("type") == "refusal":
        text = str(part.get("refusal", ""))
        yield event("response.content_part.added", **where, part={"type": "refusal", "refusal": ""})
        for chunk in deltas(text):
            yield delta("response.refusal.delta", chunk, **where)
        yield event("response.refusal.done", **where, refusal=text)
    else:
        yield event("response.content_part.added", **where, part=dict(part))
    yield event("response.content_part.done", **where, part=dict(part))


def encode(name: str, data: Any) -> bytes:
    """One event on the wire: ``event:`` and one ``data:`` line of JSON.

    ASCII escapes, so any recorded string encodes, lone surrogates included.
    """
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def final_response(events: Iterable[tuple[str, Any]]) -> dict[str, Any] | None:
    """The response a recorded stream's terminal event carries, if it has one."""
    found: dict[str, Any] | None = None
    for name, data in events:
        if name in TERMINAL_EVENTS and isinstance(data, dict):
            response = data.get("response")
            found = response if isinstance(response, dict) else None
    return found


def stream_error(events: Iterable[tuple[str, Any]]) -> str | None:
    """What ended a recorded stream that has no terminal event, if it was an error event."""
    for name, data in reversed(list(events)):
        if name in TERMINAL_EVENTS:
            return None
        fields = data if isinstance(data, dict) else {}
        if name == "error" or "error" in fields:
            error = fields.get("error")
            inner: dict[str, Any] = error if isinstance(error, dict) else fields
            return f"the recorded stream sent an error event: {inner.get('message')!r}"
    return None


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
