"""``input_items`` paging (cua_replay.wire.items): the query, the listed form, the pages.

Properties: following ``after=<last_id>`` while ``has_more`` reads every item once,
in order; ``has_more`` is true exactly when items are left. Units: the defaults,
the refusals (each names its parameter), and the listed form of each item kind.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cua_replay.wire.envelopes import APIError
from cua_replay.wire.items import IMAGE_URL_INCLUDE, ItemQuery, Order, listed, page


def items(count: int) -> list[dict[str, Any]]:
    return [{"id": f"msg_{index}", "type": "message"} for index in range(count)]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def read_all(items: list[dict[str, Any]], limit: int, order: Order) -> list[list[dict[str, Any]]]:
    """Every page, following ``after`` as the SDK's cursor page does."""
    pages: list[list[dict[str, Any]]] = []
    after: str | None = None
    while True:
        query = ItemQuery(after=after, limit=limit, order=order)
        body = page(items, query)
        pages.append(body["data"])
        if body["data"]:
            assert body["first_id"] == body["data"][0]["id"]
            assert body["last_id"] == body["data"][-1]["id"]
        else:
            assert body["first_id"] is None and body["last_id"] is None
        if not body["has_more"]:
            return pages
        assert len(body["data"]) == limit
        after = body["last_id"]


sizes = st.integers(0, 250)
limits = st.integers(1, 100)
orders: st.SearchStrategy[Order] = st.sampled_from(("asc", "desc"))


@given(sizes, limits, orders)
def test_pages_concatenate_to_the_whole_list_in_order(count: int, limit: int, order: Order) -> None:
    whole = items(count)
    pages = read_all(whole, limit, order)
    expected = ids(whole) if order == "asc" else ids(whole)[::-1]
    read = [item["id"] for data in pages for item in data]
    assert read == expected
    assert len(set(read)) == len(read)
    assert all(len(data) <= limit for data in pages)
    assert len(pages) == max(1, -(-count // limit))


@given(sizes, limits, orders, st.data())
def test_has_more_says_whether_items_follow_the_page(
    count: int, limit: int, order: Order, data: st.DataObject
) -> None:
    whole = items(count)
    start = data.draw(st.integers(0, count))
    ordered = whole if order == "asc" else whole[::-1]
    after = ordered[start - 1]["id"] if start else None
    body = page(whole, ItemQuery(after=after, limit=limit, order=order))
    assert body["object"] == "list"
    assert ids(body["data"]) == ids(ordered[start : start + limit])
    assert body["has_more"] is (count - start > limit)


@given(st.text(max_size=30).filter(lambda text: not text.startswith("msg_")), sizes)
def test_an_after_that_names_no_item_is_a_400_naming_after(after: str, count: int) -> None:
    with pytest.raises(APIError) as caught:
        page(items(count), ItemQuery(after=after))
    assert (caught.value.status, caught.value.param) == (400, "after")
    assert caught.value.code == "invalid_value"


def test_defaults_are_newest_first_twenty_at_a_time() -> None:
    query = ItemQuery.parse({})
    assert query == ItemQuery(after=None, limit=20, order="desc", include=frozenset())
    body = page(items(25), query)
    assert ids(body["data"]) == [f"msg_{index}" for index in range(24, 4, -1)]
    assert body["has_more"] is True


def test_the_query_is_parsed_from_raw_parameters() -> None:
    query = ItemQuery.parse({"after": "msg_3", "limit": "7", "order": "asc"}, [IMAGE_URL_INCLUDE])
    assert query == ItemQuery("msg_3", 7, "asc", frozenset({IMAGE_URL_INCLUDE}))


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"limit": "0"}, "limit", "integer_below_minimum_value"),
        ({"limit": "101"}, "limit", "integer_above_maximum_value"),
        ({"limit": "-3"}, "limit", "integer_below_minimum_value"),
        ({"limit": "abc"}, "limit", "invalid_type"),
        ({"limit": ""}, "limit", "invalid_type"),
        ({"limit": " 5"}, "limit", "invalid_type"),
        ({"limit": "\u0665"}, "limit", "invalid_type"),
        ({"limit": "9" * 5000}, "limit", "invalid_type"),
        ({"order": "sideways"}, "order", "invalid_value"),
        ({"order": "ASC"}, "order", "invalid_value"),
    ],
)
def test_an_invalid_limit_or_order_is_a_400_naming_it(
    params: dict[str, str], param: str, code: str
) -> None:
    with pytest.raises(APIError) as caught:
        ItemQuery.parse(params)
    assert (caught.value.status, caught.value.param, caught.value.code) == (400, param, code)


def test_limit_out_of_range_reads_as_the_service_words_it() -> None:
    with pytest.raises(APIError) as caught:
        ItemQuery.parse({"limit": "101"})
    assert caught.value.message == (
        "Invalid 'limit': integer above maximum value. Expected a value <= 100, "
        "but got 101 instead."
    )


SHOT = "data:image/png;base64,iVBORw0KGgo="


def test_listed_forms() -> None:
    text = {"id": "msg_1", "role": "user", "content": "hi"}
    assert listed(text) == {
        "id": "msg_1",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    output = {
        "id": "cuo_1",
        "type": "computer_call_output",
        "call_id": "call_1",
        "output": {"type": "computer_screenshot", "image_url": SHOT},
        "current_url": "https://example.com",
    }
    assert listed(output) == {
        "id": "cuo_1",
        "type": "computer_call_output",
        "call_id": "call_1",
        "output": {"type": "computer_screenshot"},
        "acknowledged_safety_checks": [],
        "status": "completed",
    }
    shown = listed(output, frozenset({IMAGE_URL_INCLUDE}))
    assert shown["output"] == {"type": "computer_screenshot", "image_url": SHOT}
    reasoning = {"id": "rs_1", "type": "reasoning", "summary": []}
    assert listed(reasoning) == reasoning
