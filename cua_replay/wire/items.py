"""``GET /responses/{id}/input_items``: the query, the listed form of an item, and paging.

One implementation for everything that answers this route (the fake server, and
the sans-IO replay of a cassette), so both page, order and refuse alike. No I/O:
callers hand in the query parameters and the response's input items and get the
list body back, or an :class:`~.envelopes.APIError` to send in their envelope.

The service's behaviour (docs/api-contract.md §3.3): newest first unless
``order=asc``; ``limit`` 1..100, default 20; the SDK follows ``after=<last_id>``
while ``has_more`` is true. An invalid ``limit`` or ``order`` is a 400 naming the
parameter, in the service's wording for integer ranges and enums (§5.2).

Not verified against the service: what it answers for an ``after`` that names no
item of the response. Here it is a 400 (``param: "after"``, ``code:
"invalid_value"``), as the fake server always answered, rather than an empty
page: an empty page would let a client that pages with a stale or mistyped
cursor believe it had read everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from . import envelopes as e
from .envelopes import APIError

Order = Literal["asc", "desc"]
ORDERS: list[str] = ["asc", "desc"]
IMAGE_URL_INCLUDE = "computer_call_output.output.image_url"
"""The ``include`` value that makes a listed ``computer_call_output`` show its screenshot."""

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
"""ASCII digits only: ``int()`` would also take ``" 5"``, ``"1_0"`` and Arabic-Indic digits."""


class ItemList(TypedDict):
    """The list body (docs/api-contract.md §3.3); the SDK parses it as ``ResponseItemList``.

    ``first_id``/``last_id`` are null on an empty page, where the SDK stops paging anyway.
    """

    object: Literal["list"]
    data: list[dict[str, Any]]
    first_id: str | None
    last_id: str | None
    has_more: bool


@dataclass(frozen=True)
class ItemQuery:
    """The validated query of one ``input_items`` request (the SDK's ``InputItemListParams``)."""

    after: str | None = None
    limit: int = 20
    order: Order = "desc"
    include: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, params: Mapping[str, str], include: Iterable[str] = ()) -> ItemQuery:
        """Validate raw query parameters; raise the service's 400 for a bad ``limit``/``order``.

        ``params`` maps each parameter to its (last) value, as ``dict(parse_qsl(...))`` or
        Starlette's ``QueryParams`` do; ``include`` is every ``include``/``include[]`` value,
        which a plain mapping cannot hold (the SDK sends it as a repeated parameter).
        """
        order = params.get("order", "desc")
        if order == "asc":
            checked: Order = "asc"
        elif order == "desc":
            checked = "desc"
        else:
            raise e.invalid_value("order", order, ORDERS)
        return cls(
            after=params.get("after"),
            limit=integer_param(params, "limit", 20, 1, 100),
            order=checked,
            include=frozenset(include),
        )


def integer_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in ``low..high``, or the service's 400 naming it."""
    raw = params.get(name)
    if raw is None:
        return default
    if _INTEGER.fullmatch(raw) is None:
        raise e.invalid_type(name, "an integer", raw)
    value = int(raw)
    if not low <= value <= high:
        raise e.integer_out_of_range(name, value, low, high)
    return value


def page(items: Sequence[Mapping[str, Any]], query: ItemQuery) -> ItemList:
    """One page of a response's input items, in their listed form, as the service pages them.

    ``items`` are in the order they were sent (oldest first), each with a string ``id``
    (:func:`listed` gives the form the service shows). The page holds up to
    ``query.limit`` items that follow ``query.after`` in ``query.order``; ``has_more``
    says whether any are left after it. Raises :class:`APIError` (400, ``param:
    "after"``) if ``query.after`` is not the id of one of ``items``.
    """
    ordered = list(items) if query.order == "asc" else list(reversed(items))
    start = 0
    if query.after is not None:
        for index, item in enumerate(ordered):
            if item["id"] == query.after:
                start = index + 1
                break
        else:
            raise APIError(
                400,
                f"No item with id '{e.shorten(query.after)}' in this response's input items.",
                param="after",
                code="invalid_value",
            )
    data = [dict(item) for item in ordered[start : start + query.limit]]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) - start > query.limit,
    }


def listed(item: Mapping[str, Any], include: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An input item as ``input_items.list`` shows it (docs/api-contract.md §3.2, §3.3).

    ``item`` is one accepted input item with its ``id`` (the server gives one to items
    sent without). A message's string content becomes one ``input_text`` part and gets
    ``status: "completed"``; a ``computer_call_output`` shows its screenshot's
    ``image_url`` only when ``include`` asks for it. Other items show as sent.
    """
    kind = item.get("type") or "message"
    if kind == "message":
        content = item["content"]
        if isinstance(content, str):
            content = [{"type": "input_text", "text": content}]
        return {
            "id": item["id"],
            "type": "message",
            "role": item["role"],
            "status": "completed",
            "content": content,
        }
    if kind == "computer_call_output":
        output: dict[str, Any] = {"type": "computer_screenshot"}
        source = item["output"]
        if source.get("file_id") is not None:
            output["file_id"] = source["file_id"]
        if IMAGE_URL_INCLUDE in include and source.get("image_url"):
            output["image_url"] = source["image_url"]
        return {
            "id": item["id"],
            "type": "computer_call_output",
            "call_id": item["call_id"],
            "output": output,
            "acknowledged_safety_checks": item.get("acknowledged_safety_checks") or [],
            "status": "completed",
        }
    return dict(item)
