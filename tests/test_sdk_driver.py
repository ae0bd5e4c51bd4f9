"""SDKComputerDriver turns the SDK's action models into our validated actions (no browser)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from openai.lib.computer import AsyncComputerToolset
from openai.types.responses import computer_action as modern
from openai.types.responses import response_computer_tool_call as legacy

from cua_replay.actions import Action, Click, Drag, Keypress, Scroll, Type, Wait
from cua_replay.errors import InvalidAction
from cua_replay.executors.sdk_driver import SDKComputerDriver
from cua_replay.geometry import Viewport

PNG = b"\x89PNG\r\n\x1a\nnot-really"


class Recorder:
    """An executor that keeps what it was asked to run."""

    def __init__(self) -> None:
        self.actions: list[Action] = []

    async def execute(self, action: Action) -> None:
        self.actions.append(action)

    async def screenshot(self) -> bytes:
        return PNG

    @property
    def current_url(self) -> str:
        return "https://shop.example/"


def run(driver: SDKComputerDriver, method: str, action: Any) -> None:
    asyncio.run(getattr(driver, method)(action))


def test_modern_and_legacy_actions_become_the_same_validated_action() -> None:
    pairs = [
        ("click", modern.Click(type="click", button="left", x=10, y=20, keys=["shift"])),
        ("click", legacy.ActionClick(type="click", button="left", x=10, y=20, keys=["shift"])),
    ]
    recorders = []
    for method, action in pairs:
        recorder = Recorder()
        run(SDKComputerDriver(recorder, Viewport(1024, 768)), method, action)
        recorders.append(recorder.actions)
    assert recorders[0] == recorders[1]
    [click] = recorders[0]
    assert isinstance(click, Click) and (click.at.x, click.at.y) == (10, 20)
    assert click.modifiers == ("Shift",)


def test_every_driver_method_reaches_the_executor_scaled_and_mapped() -> None:
    recorder = Recorder()
    driver = SDKComputerDriver(recorder, Viewport(1024, 768, model_width=2048, model_height=1536))
    run(driver, "drag", modern.Drag(type="drag", path=[{"x": 0, "y": 0}, {"x": 200, "y": 100}]))
    run(driver, "keypress", modern.Keypress(type="keypress", keys=["CTRL", "a"]))
    run(driver, "scroll", modern.Scroll(type="scroll", x=100, y=100, scroll_x=0, scroll_y=400))
    run(driver, "type", legacy.ActionType(type="type", text="Grace"))
    run(driver, "wait", legacy.ActionWait(type="wait"))
    drag, keypress, scroll, typed, wait = recorder.actions
    assert isinstance(drag, Drag) and [(p.x, p.y) for p in drag.path] == [(0, 0), (100, 50)]
    assert isinstance(keypress, Keypress) and keypress.keys == ("Control", "a")
    assert isinstance(scroll, Scroll) and (scroll.scroll_y, scroll.model_scroll_y) == (200, 400)
    assert isinstance(typed, Type) and typed.text == "Grace"
    assert isinstance(wait, Wait)


def test_an_unknown_key_raises_before_the_executor_runs_anything() -> None:
    recorder = Recorder()
    driver = SDKComputerDriver(recorder, Viewport(1024, 768))
    with pytest.raises(InvalidAction, match="NOPE"):
        run(driver, "keypress", modern.Keypress(type="keypress", keys=["NOPE"]))
    assert recorder.actions == []


def test_screenshot_is_the_sdk_shape_with_a_png_data_url() -> None:
    shot = asyncio.run(SDKComputerDriver(Recorder(), Viewport(1024, 768)).screenshot())
    assert shot == {
        "type": "computer_screenshot",
        "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    }


def test_the_sdk_accepts_the_driver_as_an_async_driver() -> None:
    AsyncComputerToolset(SDKComputerDriver(Recorder(), Viewport(1024, 768)))  # checks flavours
