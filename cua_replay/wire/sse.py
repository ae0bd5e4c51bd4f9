"""A finished ``Response`` as the server-sent events the service streams (docs/api-contract.md §6).

The events are derived from the final response, so the streamed and the
non-streamed answers to one request end in the same object by construction.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from ..server.ids import IdFactory


def events(
    response: dict[str, Any],
    ids: IdFactory,
    *,
    obfuscate: bool = True,
    error: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every event, in order, with ``sequence_number`` from 0.

    ``error`` cuts the stream after ``response.in_progress`` with an ``error``
    event carrying that message (a scripted stream fault).
    """
    sequence = 0

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal sequence
        out = {"type": kind, **fields, "sequence_number": sequence}
        sequence += 1
        return out

    def delta(kind: str, text: str, **where: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if kind == "response.output_text.delta":
            extra["logprobs"] = []
        if obfuscate:
            extra["obfuscation"] = ids.obfuscation(response["id"], sequence)
        return event(kind, **where, delta=text, **extra)

    start = copy.deepcopy(response)
    start.update(status="in_progress", output=[], usage=None, completed_at=None, error=None)
    start["incomplete_details"] = None
    yield event("response.created", response=start)
    yield event("response.in_progress", response=start)
    if error is not None:
        yield event("error", code="server_error", message=error, param=None)
        return
    for index, item in enumerate(response["output"]):
        kind = item["type"]
        if kind == "reasoning":
            added = {k: v for k, v in item.items() if k != "encrypted_content"}
            added["summary"] = []
            yield event("response.output_item.added", output_index=index, item=added)
            for part_index, part in enumerate(item["summary"]):
                where = {"item_id": item["id"], "output_index": index, "summary_index": part_index}
                yield event(
                    "response.reasoning_summary_part.added",
                    **where,
                    part={"type": "summary_text", "text": ""},
                )
                for chunk in _chunks(part["text"]):
                    yield delta("response.reasoning_summary_text.delta", chunk, **where)
                yield event("response.reasoning_summary_text.done", **where, text=part["text"])
                yield event("response.reasoning_summary_part.done", **where, part=dict(part))
        elif kind == "message":
            added = {**item, "status": "in_progress", "content": []}
            yield event("response.output_item.added", output_index=index, item=added)
            for content_index, part in enumerate(item["content"]):
                where = {
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": content_index,
                }
                empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
                yield event("response.content_part.added", **where, part=empty)
                for chunk in _chunks(part["text"]):
                    yield delta("response.output_text.delta", chunk, **where)
                yield event("response.output_text.done", **where, text=part["text"], logprobs=[])
                yield event("response.content_part.done", **where, part=dict(part))
        else:
            added = {**item, "status": "in_progress"}
            yield event("response.output_item.added", output_index=index, item=added)
        yield event("response.output_item.done", output_index=index, item=item)
    terminal = {
        "completed": "response.completed",
        "incomplete": "response.incomplete",
        "failed": "response.failed",
    }[response["status"]]
    yield event(terminal, response=response)


def encode(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, ensure_ascii=True, allow_nan=False)
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


def _chunks(text: str) -> Iterator[str]:
    """Split text into word-sized deltas, as the model's tokens arrive."""
    if not text:
        return
    start = 0
    for position in range(1, len(text)):
        if text[position] == " " and position - start >= 4:
            yield text[start:position]
            start = position
    yield text[start:]
