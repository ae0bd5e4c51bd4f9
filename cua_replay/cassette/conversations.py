"""Which conversation each step of a cassette belongs to, read from the wire.

One client may hold several conversations at once (agents in parallel, a task
retried whole), their requests interleaved in the cassette. :mod:`.view` lists
and pairs the steps one conversation at a time, from this grouping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .format import StepRecord
from .store import Cassette

__all__ = ["conversations"]


def conversations(cassette: Cassette) -> list[list[StepRecord]]:
    """The cassette's steps grouped by conversation (see the module docstring).

    A request continues the conversation that produced its ``previous_response_id``,
    or else the one that produced the last item of its input it refers to (a
    ``call_id`` it answers, an output item's ``id`` it resends); anything else
    starts a conversation. Groups come in the order they started. A cassette the
    loop engine recorded (executed actions, observations) is one conversation.
    """
    if any(record.actions or record.observations for record in cassette.steps):
        return [list(cassette.steps)]  # the loop engine drives one conversation per cassette
    owner: dict[str, int] = {}
    groups: list[list[StepRecord]] = []
    for record in cassette.steps:
        request = cassette.request(record.step)
        group = _continued(request, owner)
        if group is None:
            group = len(groups)
            groups.append([])
        groups[group].append(record)
        response = record.response or {}
        for key in _produced(response):
            owner[key] = group
    return groups


def _produced(response: dict[str, Any]) -> Iterator[str]:
    """The ids a response makes that a later request can refer to."""
    if isinstance(response.get("id"), str):
        yield response["id"]
    for item in response.get("output") or []:
        if isinstance(item, dict):
            for key in ("id", "call_id"):
                if isinstance(item.get(key), str):
                    yield item[key]


def _continued(request: dict[str, Any], owner: dict[str, int]) -> int | None:
    previous = request.get("previous_response_id")
    if isinstance(previous, str) and previous in owner:
        return owner[previous]
    items = request.get("input")
    for item in reversed(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        for key in ("call_id", "id"):
            value = item.get(key)
            if isinstance(value, str) and value in owner:
                return owner[value]
    return None
