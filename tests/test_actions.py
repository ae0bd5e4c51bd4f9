from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openai.types.responses import ResponseComputerToolCall

from cua_replay.actions import (
    Click,
    DoubleClick,
    Drag,
    Keypress,
    Move,
    Screenshot,
    Scroll,
    Type,
    Wait,
    parse_call,
)
from cua_replay.errors import InvalidAction
from cua_replay.geometry import Viewport

from .strategies import viewports, wire_calls

VIEWPORT = Viewport(1024, 768)


def call(*actions: dict[str, Any], preview: bool = False) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "computer_call",
        "id": "cu_1",
        "call_id": "call_7",
        "status": "completed",
        "pending_safety_checks": [],
    }
    return base | ({"action": actions[0]} if preview else {"actions": list(actions)})


def test_every_action_type_with_every_field() -> None:
    actions = parse_call(
        call(
            {"type": "click", "button": "right", "x": 1, "y": 2, "keys": ["SHIFT"]},
            {"type": "double_click", "x": 3, "y": 4, "keys": None},
            {
                "type": "drag",
                "path": [{"x": 1, "y": 1}, {"x": 5, "y": 5}, {"x": 9, "y": 9}],
                "keys": ["CTRL"],
            },
            {"type": "keypress", "keys": ["CTRL", "A"]},
            {"type": "move", "x": 7, "y": 8, "keys": ["ALT"]},
            {"type": "screenshot"},
            {"type": "scroll", "x": 10, "y": 11, "scroll_x": -20, "scroll_y": 300, "keys": ["cmd"]},
            {"type": "type", "text": "hello"},
            {"type": "wait"},
        ),
        VIEWPORT,
    )
    assert [type(a) for a in actions] == [
        Click,
        DoubleClick,
        Drag,
        Keypress,
        Move,
        Screenshot,
        Scroll,
        Type,
        Wait,
    ]
    click, double, drag, keypress, move, _, scroll, typed, _ = actions
    assert isinstance(click, Click) and click.button == "right" and click.modifiers == ("Shift",)
    assert isinstance(double, DoubleClick) and double.modifiers == ()
    assert isinstance(drag, Drag) and [(p.x, p.y) for p in drag.path] == [(1, 1), (5, 5), (9, 9)]
    assert drag.modifiers == ("Control",)
    assert isinstance(keypress, Keypress) and keypress.keys == ("Control", "A")
    assert keypress.model_keys == ("CTRL", "A")
    assert isinstance(move, Move) and move.modifiers == ("Alt",)
    assert isinstance(scroll, Scroll) and (scroll.scroll_x, scroll.scroll_y) == (-20, 300)
    assert scroll.modifiers == ("Meta",)
    assert isinstance(typed, Type) and typed.text == "hello"


@pytest.mark.parametrize("button", ["left", "right", "wheel", "back", "forward"])
def test_every_click_button(button: str) -> None:
    (click,) = parse_call(
        call({"type": "click", "button": button, "x": 1, "y": 1}, preview=True), VIEWPORT
    )
    assert isinstance(click, Click) and click.button == button


def test_sdk_model_input_is_parsed_like_a_dict() -> None:
    raw = call({"type": "click", "button": "left", "x": 5, "y": 6}, {"type": "screenshot"})
    assert parse_call(ResponseComputerToolCall.model_validate(raw), VIEWPORT) == parse_call(
        raw, VIEWPORT
    )


def test_sdk_model_built_without_validation_is_still_checked() -> None:
    # The SDK builds response objects with construct(): values it cannot coerce survive
    # until we look. (It does coerce a bool to an int on its own, before we see it.)
    model = ResponseComputerToolCall.construct(
        **call({"type": "click", "button": "left", "x": "abc", "y": 6})
    )
    with pytest.raises(InvalidAction, match="field 'x'"):
        parse_call(model, VIEWPORT)


def test_integral_floats_are_accepted_as_ints() -> None:
    (move,) = parse_call(call({"type": "move", "x": 12.0, "y": -0.0}), VIEWPORT)
    assert isinstance(move, Move) and (move.at.model_x, move.at.model_y) == (12, 0)


def test_original_and_executed_coordinates_are_both_kept() -> None:
    (click,) = parse_call(
        call({"type": "click", "button": "left", "x": 2000, "y": 10}), Viewport.hidpi(1024, 768, 2)
    )
    assert isinstance(click, Click)
    assert (click.at.model_x, click.at.model_y, click.at.x, click.at.y) == (2000, 10, 1000, 5)
    assert click.at.clamped is False


def test_unknown_extra_fields_are_ignored() -> None:
    (wait,) = parse_call(call({"type": "wait", "ms": 500}, preview=True) | {"future": 1}, VIEWPORT)
    assert isinstance(wait, Wait)


def test_input_is_not_mutated() -> None:
    raw = call({"type": "drag", "path": [{"x": 1.0, "y": 2}, {"x": 3, "y": 4}]})
    before = copy.deepcopy(raw)
    parse_call(raw, VIEWPORT)
    assert raw == before


@pytest.mark.parametrize(
    ("raw", "index", "field", "advice"),
    [
        # wrong-typed coordinates
        (call({"type": "click", "button": "left", "x": True, "y": 1}), 0, "x", "integer pixels"),
        (call({"type": "click", "button": "left", "x": "12", "y": 1}), 0, "x", "integer pixels"),
        (call({"type": "move", "x": 1.5, "y": 1}), 0, "x", "integer pixels"),
        (call({"type": "move", "x": float("nan"), "y": 1}), 0, "x", "integer pixels"),
        (call({"type": "move", "x": 1, "y": float("inf")}), 0, "y", "integer pixels"),
        (call({"type": "move", "x": None, "y": 1}), 0, "x", "integer pixels"),
        (
            call({"type": "scroll", "x": 1, "y": 1, "scroll_x": 0, "scroll_y": "down"}),
            0,
            "scroll_y",
            "integer",
        ),
        # missing fields
        (call({"type": "click", "x": 1, "y": 1}), 0, "button", "left, right, wheel"),
        (call({"type": "wait"}, {"type": "move", "y": 1}), 1, "x", "integer pixels"),
        (call({"type": "type"}), 0, "text", ""),
        (call({"type": "keypress"}), 0, "keys", "list of key-name strings"),
        # bad enums, types, shapes
        (
            call({"type": "click", "button": "middle", "x": 1, "y": 1}),
            0,
            "button",
            "left, right, wheel",
        ),
        (call({"type": "teleport"}), 0, "type", "Expected one of click"),
        (call({"x": 1}), 0, "type", "Expected one of"),
        (call("click"), 0, None, ""),  # type: ignore[arg-type]
        (call({"type": "drag", "path": []}), 0, "path", "at least two points"),
        (call({"type": "drag", "path": [{"x": 1, "y": 1}]}), 0, "path", "at least two points"),
        (call({"type": "drag", "path": [{"x": 1, "y": 1}, {"x": 1}]}), 0, "path.1.y", ""),
        (call({"type": "keypress", "keys": []}), 0, "keys", ""),
        (
            call({"type": "keypress", "keys": ["CTRL", "PAGEDWN"]}),
            0,
            "keys.1",
            "Did you mean 'PageDown'",
        ),
        (call({"type": "keypress", "keys": "CTRL"}), 0, "keys", "list of key-name strings"),
        (
            call({"type": "click", "button": "left", "x": 1, "y": 1, "keys": ["HYPERSPACE"]}),
            0,
            "keys.0",
            "",
        ),
        (call({"type": "type", "text": 5}), 0, "text", ""),
    ],
)
def test_bad_action_raises_naming_call_index_and_field(
    raw: dict[str, Any], index: int, field: str | None, advice: str
) -> None:
    with pytest.raises(InvalidAction) as info:
        parse_call(raw, VIEWPORT)
    error = info.value
    assert (error.call_id, error.index, error.field) == ("call_7", index, field)
    assert "call_id='call_7'" in str(error) and f"action[{index}]" in str(error)
    assert advice in str(error)


@pytest.mark.parametrize(
    ("raw", "field", "advice"),
    [
        ({"call_id": "call_7"}, "action/actions", "exactly one is required"),
        (
            {"call_id": "call_7", "action": {"type": "wait"}, "actions": [{"type": "wait"}]},
            "action/actions",
            "both",
        ),
        ({"call_id": "call_7", "actions": []}, "actions", "empty batch"),
        ({"call_id": "call_7", "actions": {"type": "wait"}}, "actions", "must be a list"),
        (
            {"call_id": "call_7", "type": "message", "action": {"type": "wait"}},
            "type",
            "computer_call",
        ),
        ({"action": {"type": "wait"}}, "call_id", "exactly as the Responses API returned it"),
        ({"call_id": 7, "action": {"type": "wait"}}, "call_id", "non-empty string"),
    ],
)
def test_bad_call_shape_raises(raw: dict[str, Any], field: str, advice: str) -> None:
    with pytest.raises(InvalidAction) as info:
        parse_call(raw, VIEWPORT)
    assert info.value.field == field and info.value.index is None
    assert advice in str(info.value)


def test_non_mapping_call_raises() -> None:
    with pytest.raises(InvalidAction, match="expected a computer_call"):
        parse_call(["not", "a", "call"], VIEWPORT)  # type: ignore[arg-type]


def test_invalid_action_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_call({"call_id": "c"}, VIEWPORT)


def _positions(action: Any) -> list[Any]:
    if isinstance(action, Drag):
        return list(action.path)
    return [action.at] if hasattr(action, "at") else []


@given(wire_calls(), viewports())
@example(
    {"call_id": "c", "action": {"type": "click", "button": "left", "x": 10**12, "y": -(10**12)}},
    Viewport(1, 1),
)
@example({"call_id": "c", "action": {"type": "move", "x": True, "y": 0}}, Viewport(10, 10))
@example({"call_id": "c", "actions": []}, Viewport(10, 10))
def test_parse_call_returns_in_viewport_actions_or_raises_invalid_action(
    raw: dict[str, Any], viewport: Viewport
) -> None:
    try:
        actions = parse_call(raw, viewport)
    except InvalidAction as error:
        assert error.call_id == "call_1" or error.call_id == "c"
        return
    expected = len(raw["actions"]) if "actions" in raw else 1
    assert len(actions) == expected
    for action in actions:
        for position in _positions(action):
            assert 0 <= position.x < viewport.width and 0 <= position.y < viewport.height


@given(wire_calls(hostile=False), viewports())
def test_valid_calls_always_parse(raw: dict[str, Any], viewport: Viewport) -> None:
    actions = parse_call(raw, viewport)
    wire = raw["actions"] if "actions" in raw else [raw["action"]]
    assert [a.type for a in actions] == [w["type"] for w in wire]
    assert parse_call(raw, viewport) == actions  # deterministic


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_scroll_keeps_model_distance(dx: int, dy: int) -> None:
    (scroll,) = parse_call(
        call({"type": "scroll", "x": 0, "y": 0, "scroll_x": dx, "scroll_y": dy}), VIEWPORT
    )
    assert isinstance(scroll, Scroll)
    assert (scroll.model_scroll_x, scroll.model_scroll_y) == (dx, dy)
