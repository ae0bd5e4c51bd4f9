"""The SVG overlay: one well-formed <svg> per action, the right marks, all text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from cua_replay.report.overlay import action_label, action_svg

SVG = "{http://www.w3.org/2000/svg}"


def at(x: int, y: int) -> dict[str, Any]:
    return {"x": x, "y": y, "model_x": x, "model_y": y, "clamped": False}


ACTIONS: dict[str, dict[str, Any]] = {
    "click": {"type": "click", "button": "right", "at": at(10, 20), "modifiers": []},
    "double_click": {"type": "double_click", "at": at(30, 40), "modifiers": ["Shift"]},
    "move": {"type": "move", "at": at(50, 60), "modifiers": []},
    "scroll": {
        "type": "scroll",
        "at": at(500, 400),
        "scroll_x": 0,
        "scroll_y": 300,
        "model_scroll_x": 0,
        "model_scroll_y": 300,
        "modifiers": [],
    },
    "drag": {"type": "drag", "path": [at(1, 2), at(100, 50), at(200, 300)], "modifiers": []},
    "type": {"type": "type", "text": "Grace Hopper"},
    "keypress": {"type": "keypress", "keys": ["Control", "A"], "model_keys": ["CTRL", "A"]},
    "wait": {"type": "wait"},
    "screenshot": {"type": "screenshot"},
}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_every_action_is_one_well_formed_svg_in_the_screenshot_space(kind: str) -> None:
    root = parse(action_svg(ACTIONS[kind], 1024, 768))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 1024 768"
    assert root.get("data-action") == kind
    assert root.get("aria-label") == action_label(ACTIONS[kind])


def texts(root: ET.Element) -> str:
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_click_marks_the_point_and_names_the_button() -> None:
    root = parse(action_svg(ACTIONS["click"], 1024, 768))
    circles = list(root.iter(f"{SVG}circle"))
    assert any(c.get("cx") == "10" and c.get("cy") == "20" for c in circles)
    assert "right click" in texts(root)


def test_double_click_draws_more_rings_than_a_click() -> None:
    left = {**ACTIONS["click"], "button": "left"}
    one = len(list(parse(action_svg(left, 1024, 768)).iter(f"{SVG}circle")))
    two = len(list(parse(action_svg(ACTIONS["double_click"], 1024, 768)).iter(f"{SVG}circle")))
    assert two > one
    assert "Shift+double click" in texts(parse(action_svg(ACTIONS["double_click"], 1024, 768)))


def test_drag_draws_its_whole_path_with_an_arrowhead_at_the_end() -> None:
    root = parse(action_svg(ACTIONS["drag"], 1024, 768))
    lines = [p.get("points") for p in root.iter(f"{SVG}polyline")]
    assert "1,2 100,50 200,300" in lines
    heads = [p.get("points") or "" for p in root.iter(f"{SVG}polygon")]
    assert heads and heads[0].startswith("200,300 ")


def test_scroll_points_the_way_it_scrolled_and_says_by_how_much() -> None:
    root = parse(action_svg(ACTIONS["scroll"], 1024, 768))
    points = next(p.get("points") or "" for p in root.iter(f"{SVG}polyline")).split()
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in points)
    assert x1 == x0 and y1 > y0  # scroll_y > 0: down
    assert "dy=300" in texts(root)


def test_typed_text_and_key_chords_are_labels() -> None:
    assert "“Grace Hopper”" in texts(parse(action_svg(ACTIONS["type"], 1024, 768)))
    assert "Control+A" in texts(parse(action_svg(ACTIONS["keypress"], 1024, 768)))


def test_stacked_labels_do_not_overlap() -> None:
    def top(slot: int) -> float:
        root = parse(action_svg(ACTIONS["type"], 1024, 768, slot=slot))
        return float(next(root.iter(f"{SVG}rect")).get("y") or 0)

    assert abs(top(0) - top(1)) >= 14


def test_number_badges_order_several_actions() -> None:
    root = parse(action_svg(ACTIONS["click"], 1024, 768, number=3))
    assert "3" in texts(root).split()


def test_cassette_text_is_escaped() -> None:
    evil = "<script>alert(1)</script>\"'&"
    for action in (
        {"type": "type", "text": evil},
        {"type": "keypress", "keys": [evil], "model_keys": [evil]},
        {"type": evil},
        {"type": "click", "button": evil, "at": at(1, 1)},
    ):
        markup = action_svg(action, 1024, 768)
        assert "<script" not in markup
        root = parse(markup)
        assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))


def test_garbage_shapes_do_not_crash() -> None:
    for action in (
        {},
        {"type": "click"},
        {"type": "click", "at": {"x": "1"}},
        {"type": "drag", "path": [at(1, 1)]},
        {"type": "scroll", "at": at(5, 5), "scroll_x": 0, "scroll_y": 0},
    ):
        parse(action_svg(action, 0, 0))


def test_long_typed_text_is_cut_in_the_label() -> None:
    label = action_label({"type": "type", "text": "x" * 500})
    assert len(label) < 80 and label.endswith("…”")
