"""Which conversation each step of a cassette belongs to, read from the wire.

One client may hold several conversations at once (agents in parallel, a task
retried whole), their requests interleaved in the cassette. :mod:`.view` lists
and pairs the steps one conversation at a time, from this grouping.
"""

from __future__ import annotations

from typing import Any

from .format import StepRecord
from .store import Cassette

__all__ = ["continued_id", "conversations", "issued_ids"]


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
        link = continued_id(request)
        group = owner.get(link) if link is not None else None
        if group is None:
            group = len(groups)
            groups.append([])
        groups[group].append(record)
        for key in issued_ids(record.response or {}):
            owner[key] = group
    return groups


def issued_ids(response: dict[str, Any]) -> list[str]:
    """The ids a response gives the client that a later request can name: its own, each
    output item's and each call's."""
    found = [response.get("id")]
    for item in response.get("output") or []:
        if isinstance(item, dict):
            found += [item.get("id"), item.get("call_id")]
    return [value for value in found if isinstance(value, str)]


def continued_id(request: dict[str, Any]) -> str | None:
    """The id by which ``request`` continues a conversation, or ``None`` if it starts one.

    A chaining client names the response in ``previous_response_id``; a stateless
    client sends the history back, ending with the output of the last call, so the
    ``call_id`` (or ``id``) of the last input item that has one names it. The one rule
    for grouping a cassette (here) and for choosing the recorded step that answers a
    live request (:mod:`cua_replay.replay.conversations`).
    """
    previous = request.get("previous_response_id")
    if isinstance(previous, str):
        return previous
    items = request.get("input")
    for item in reversed(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            key = item.get("call_id") or item.get("id")
            if isinstance(key, str):
                return key
    return None
