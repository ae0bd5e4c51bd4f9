"""Clicks, drags, moves and scrolls land where the model asked, clamped into the screen."""

from __future__ import annotations

import asyncio
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cua_replay.actions import Click, Drag, Move, Scroll, parse_call
from cua_replay.errors import InvalidAction, UnknownKey
from cua_replay.executors.desktop import PIXELS_PER_NOTCH, DesktopExecutor
from cua_replay.executors.xdisplay import XDisplay
from cua_replay.geometry import Viewport

from ..strategies import wire_calls
from .xclient import MODIFIER_MASKS, ButtonEvent, Motion, Recorder

SCREEN = Viewport(1024, 768)
coordinates = st.integers(-3000, 5000)
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def executor(xvfb: XDisplay) -> DesktopExecutor:
    return DesktopExecutor(xvfb)


def run(executor: DesktopExecutor, call: dict[str, object], viewport: Viewport = SCREEN) -> list:
    actions = parse_call({"call_id": "c", "actions": [call]}, viewport)
    for action in actions:
        asyncio.run(executor.execute(action))
    return actions


def presses(events: list) -> list[ButtonEvent]:
    return [e for e in events if isinstance(e, ButtonEvent) and e.kind == "press"]


@EXAMPLES
@given(
    x=coordinates,
    y=coordinates,
    button=st.sampled_from(["left", "right", "wheel", "back", "forward"]),
)
def test_a_click_lands_on_the_clamped_point_with_its_x_button(
    executor: DesktopExecutor, recorder: Recorder, x: int, y: int, button: str
) -> None:
    recorder.take()
    (action,) = run(executor, {"type": "click", "x": x, "y": y, "button": button})
    want = {"left": 1, "wheel": 2, "right": 3, "back": 8, "forward": 9}[button]
    (press,) = presses(recorder.take())
    assert (press.button, press.x, press.y) == (want, action.at.x, action.at.y)
    assert (press.x, press.y) == (min(max(x, 0), 1023), min(max(y, 0), 767))


def test_a_double_click_is_two_left_presses(executor: DesktopExecutor, recorder: Recorder) -> None:
    recorder.take()
    run(executor, {"type": "double_click", "x": 300, "y": 200})
    assert [(p.button, p.x, p.y) for p in presses(recorder.take())] == [(1, 300, 200)] * 2


def test_modifier_keys_are_held_during_a_click_and_released(
    executor: DesktopExecutor, recorder: Recorder
) -> None:
    recorder.take()
    run(executor, {"type": "click", "x": 10, "y": 20, "button": "left", "keys": ["CTRL", "SHIFT"]})
    (press,) = presses(recorder.take())
    assert press.state & MODIFIER_MASKS["Control"] and press.state & MODIFIER_MASKS["Shift"]
    run(executor, {"type": "click", "x": 10, "y": 20, "button": "left"})
    (press,) = presses(recorder.take())
    assert press.state & sum(MODIFIER_MASKS.values()) == 0


@EXAMPLES
@given(path=st.lists(st.tuples(coordinates, coordinates), min_size=2, max_size=8))
def test_a_drag_holds_button_1_along_the_whole_path(
    executor: DesktopExecutor, recorder: Recorder, path: list[tuple[int, int]]
) -> None:
    run(executor, {"type": "move", "x": 1023, "y": 767})
    recorder.take()
    (drag,) = run(executor, {"type": "drag", "path": [{"x": x, "y": y} for x, y in path]})
    assert isinstance(drag, Drag)
    events = recorder.take()
    points = [(p.x, p.y) for p in drag.path]
    press, release = (e for e in events if isinstance(e, ButtonEvent))
    assert (press.kind, press.button, press.x, press.y) == ("press", 1, *points[0])
    assert (release.kind, release.button, release.x, release.y) == ("release", 1, *points[-1])
    held = [(m.x, m.y) for m in events if isinstance(m, Motion) and m.state & 0x100]
    assert held == points[1:]  # every point, a repeated one too (XTest reports each motion)


@EXAMPLES
@given(x=coordinates, y=coordinates)
def test_a_move_puts_the_pointer_on_the_clamped_point(
    executor: DesktopExecutor, recorder: Recorder, x: int, y: int
) -> None:
    (move,) = run(executor, {"type": "move", "x": x, "y": y})
    assert isinstance(move, Move)
    assert recorder.pointer() == (move.at.x, move.at.y)


@EXAMPLES
@given(
    scrolls=st.lists(
        st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)), min_size=1, max_size=4
    )
)
def test_scroll_pixels_become_wheel_notches_with_the_remainder_carried(
    xvfb: XDisplay, recorder: Recorder, scrolls: list[tuple[int, int]]
) -> None:
    executor = DesktopExecutor(xvfb)  # a fresh carry
    carry = {"x": 0, "y": 0}
    for dx, dy in scrolls:
        recorder.take()
        (scroll,) = run(
            executor, {"type": "scroll", "x": 50, "y": 60, "scroll_x": dx, "scroll_y": dy}
        )
        assert isinstance(scroll, Scroll)
        want: list[int] = []
        for axis, pixels, (back, forth) in (("y", dy, (4, 5)), ("x", dx, (6, 7))):
            total = carry[axis] + pixels
            notches = abs(total) // PIXELS_PER_NOTCH * (1 if total >= 0 else -1)
            carry[axis] = total - notches * PIXELS_PER_NOTCH
            want += [forth if notches > 0 else back] * abs(notches)
        got = presses(recorder.take())
        assert [p.button for p in got] == want
        assert all((p.x, p.y) == (50, 60) for p in got)


def test_screenshots_are_png_of_the_screen_and_show_the_change(
    executor: DesktopExecutor, recorder: Recorder
) -> None:
    before = Image.open(io.BytesIO(asyncio.run(executor.screenshot())))
    assert before.format == "PNG" and before.size == (1024, 768)
    square = recorder.paint(100, 100, 40, 30, 0xFF8000)
    try:
        after = Image.open(io.BytesIO(asyncio.run(executor.screenshot()))).convert("RGB")
        assert after.getpixel((120, 110)) == (0xFF, 0x80, 0x00)
        assert before.convert("RGB").getpixel((120, 110)) != (0xFF, 0x80, 0x00)
        assert after.getpixel((200, 200)) == before.convert("RGB").getpixel((200, 200))
    finally:
        square.destroy()
        recorder.take()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=wire_calls(hostile=True))
def test_hostile_actions_never_leave_the_screen_or_crash(
    executor: DesktopExecutor, recorder: Recorder, call: dict[str, object]
) -> None:
    small = Viewport(640, 480, model_width=1280, model_height=960)  # scaled, as HiDPI
    try:
        actions = parse_call(call, small)
    except InvalidAction:
        return
    for action in actions:
        try:
            asyncio.run(executor.execute(action))
        except UnknownKey:  # typed text with a control character: refused before sending
            continue
        x, y = recorder.pointer()
        assert 0 <= x < 1024 and 0 <= y < 768
    for event in recorder.take():
        if isinstance(event, (ButtonEvent, Motion)):
            assert 0 <= event.x < 1024 and 0 <= event.y < 768
    recorder.focus()  # a hostile keypress may have moved the focus


def test_the_default_notch_is_documented() -> None:
    assert PIXELS_PER_NOTCH == 100
    assert Click  # the action types come from cua_replay.actions, as in the browser
