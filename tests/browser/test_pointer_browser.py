"""Pointer actions land where the click grid says, inside the viewport, in a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cua_replay.actions import parse_call
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.geometry import Viewport

from ..conftest import BROWSER_EXAMPLES, BrowserHarness
from ..strategies import wire_calls

#: (CSS width, CSS height, device scale factor, model space or None for "as screenshots")
CONFIGS = {
    "plain": (1024, 768, 1.0, None),
    "hidpi-2x": (800, 600, 2.0, None),
    "display-differs": (1024, 768, 1.0, (1280, 960)),
}


class Grid:
    def __init__(self, browser: BrowserHarness, config: str) -> None:
        width, height, scale, model = CONFIGS[config]
        self.browser = browser
        self.page = browser.run(
            browser.new_page(width=width, height=height, device_scale_factor=scale)
        )
        browser.run(lambda: self.page.goto(browser.sandbox.site.url("/grid.html")))
        if model is not None:
            self.viewport = Viewport(width, height, model_width=model[0], model_height=model[1])
        elif scale != 1:
            self.viewport = Viewport.hidpi(width, height, scale)
        else:
            self.viewport = Viewport(width, height)
        self.executor = browser.executor(self.page)

    def run(self, call: dict[str, Any]) -> list[dict[str, Any]]:
        async def go() -> list[dict[str, Any]]:
            await self.page.evaluate("window.__log.length = 0")
            for action in parse_call(call, self.viewport):
                await self.executor.execute(action)
            log: list[dict[str, Any]] = await self.page.evaluate("window.__log")
            return log

        return self.browser.run(go())


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def grid(request: pytest.FixtureRequest, browser: BrowserHarness) -> Grid:
    return Grid(browser, request.param)


def test_screenshot_size_matches_the_model_space(grid: Grid) -> None:
    import struct

    png = grid.browser.run(grid.executor.screenshot())
    width, height = struct.unpack(">II", png[16:24])
    if grid.viewport.model_width == round(
        grid.viewport.width * 2
    ):  # hidpi: screenshots are device pixels
        assert (width, height) == (grid.viewport.model_width, grid.viewport.model_height)
    else:
        assert (width, height) == (grid.viewport.width, grid.viewport.height)


@settings(max_examples=BROWSER_EXAMPLES)
@given(
    x=st.integers(-(10**6), 10**6) | st.integers(0, 2000),
    y=st.integers(-(10**6), 10**6) | st.integers(0, 1600),
)
@example(x=0, y=0)
@example(x=10**6, y=10**6)
@example(x=1024, y=768)
def test_click_lands_on_the_executed_pixel(grid: Grid, x: int, y: int) -> None:
    log = grid.run(
        {"call_id": "call_g", "action": {"type": "click", "button": "left", "x": x, "y": y}}
    )
    position = grid.viewport.position(x, y)
    clicks = [e for e in log if e["type"] == "click"]
    assert [(c["x"], c["y"], c["button"]) for c in clicks] == [(position.x, position.y, "left")]


@pytest.mark.parametrize(
    ("button", "events"),
    [
        ("left", ["mousedown", "mouseup", "click"]),
        ("right", ["mousedown", "contextmenu", "mouseup", "auxclick"]),
        ("wheel", ["mousedown", "mouseup", "auxclick"]),  # a middle click, not a scroll
    ],
)
def test_click_buttons(grid: Grid, button: str, events: list[str]) -> None:
    log = grid.run(
        {"call_id": "c", "action": {"type": "click", "button": button, "x": 100, "y": 100}}
    )
    assert [e["type"] for e in log] == events
    assert {e["button"] for e in log} == {"middle" if button == "wheel" else button}
    assert not [e for e in log if e["type"] == "wheel"]


def test_double_click_and_modifier_keys_are_held(grid: Grid) -> None:
    log = grid.run(
        {
            "call_id": "c",
            "actions": [
                {"type": "double_click", "x": 40, "y": 40, "keys": ["SHIFT", "CTRL"]},
                {"type": "click", "button": "left", "x": 60, "y": 60, "keys": ["alt"]},
                {"type": "click", "button": "left", "x": 80, "y": 80},
            ],
        }
    )
    dbl = [e for e in log if e["type"] == "dblclick"]
    assert len(dbl) == 1 and dbl[0]["shift"] and dbl[0]["ctrl"] and not dbl[0]["alt"]
    clicks = [e for e in log if e["type"] == "click"]
    assert [c["alt"] for c in clicks] == [False, False, True, False]  # released after the action


def test_scroll_uses_the_wheel_at_the_point(grid: Grid) -> None:
    log = grid.run(
        {
            "call_id": "c",
            "action": {"type": "scroll", "x": 300, "y": 200, "scroll_x": 0, "scroll_y": 240},
        }
    )
    (action,) = parse_call(
        {
            "call_id": "c",
            "action": {"type": "scroll", "x": 300, "y": 200, "scroll_x": 0, "scroll_y": 240},
        },
        grid.viewport,
    )
    wheels = [e for e in log if e["type"] == "wheel"]
    assert wheels and (wheels[0]["x"], wheels[0]["y"]) == (action.at.x, action.at.y)  # type: ignore[union-attr]
    assert all(w["dy"] > 0 and w["dx"] == 0 for w in wheels)


class SpyMouse:
    """Forwards to Playwright's mouse and records every coordinate handed to it."""

    def __init__(self, mouse: Any, seen: list[tuple[float, float]]) -> None:
        self._mouse, self._seen = mouse, seen

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._mouse, name)
        if name in ("move", "click", "dblclick"):

            def spy(x: float, y: float, **kwargs: Any) -> Any:
                self._seen.append((x, y))
                return method(x, y, **kwargs)

            return spy
        return method


class SpyPage:
    def __init__(self, page: Any, seen: list[tuple[float, float]]) -> None:
        self._page, self.mouse = page, SpyMouse(page.mouse, seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)


@settings(max_examples=BROWSER_EXAMPLES)
@given(wire_calls(types=("click", "double_click", "move", "scroll", "drag")))
@example(
    {
        "call_id": "call_1",
        "actions": [{"type": "drag", "path": [{"x": -9, "y": 10**9}, {"x": 10**12, "y": -1}]}],
    }
)
def test_no_out_of_viewport_coordinate_reaches_playwright(grid: Grid, call: dict[str, Any]) -> None:
    for action in call.get("actions") or [call.get("action")]:
        if isinstance(action, dict) and action.get("button") in ("back", "forward"):
            action["button"] = "left"  # keep this test on the grid page
    seen: list[tuple[float, float]] = []
    executor = grid.browser.executor(SpyPage(grid.page, seen))
    try:
        actions = parse_call(call, grid.viewport)
    except ValueError:
        return  # refused before any effect: nothing reached the browser
    grid.browser.run(_run_all(executor, actions))
    width, height = grid.viewport.width, grid.viewport.height
    assert all(0 <= x <= width - 1 and 0 <= y <= height - 1 for x, y in seen), seen


async def _run_all(executor: PlaywrightExecutor, actions: list[Any]) -> None:
    for action in actions:
        await executor.execute(action)
