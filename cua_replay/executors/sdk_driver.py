"""Adapt an executor to the ``openai`` SDK's computer driver protocol.

:class:`SDKComputerDriver` implements ``openai.lib.computer.AsyncComputerDriver``,
so the SDK's own runner (``AsyncComputerToolset``) can drive our executor.
Every action the SDK hands over, modern (``computer_action``) or legacy
(``response_computer_tool_call.Action*``), goes through
:func:`cua_replay.actions.parse_call` first: the same strict validation,
clamping, coordinate scaling and key mapping as our own loop. An action that
cannot be executed raises :class:`~cua_replay.errors.InvalidAction` before the
browser is touched, as the SDK's protocol requires.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..actions import parse_call
from ..geometry import Viewport
from .base import Executor

if TYPE_CHECKING:
    from openai.types.responses import computer_action as modern
    from openai.types.responses import response_computer_tool_call as legacy
    from openai.types.responses.response_computer_tool_call_output_screenshot_param import (
        ResponseComputerToolCallOutputScreenshotParam,
    )


class SDKComputerDriver:
    """Runs the SDK's computer actions on ``executor``; ``viewport`` maps model pixels to CSS."""

    def __init__(self, executor: Executor, viewport: Viewport) -> None:
        self.executor = executor
        self.viewport = viewport

    async def click(self, action: modern.Click | legacy.ActionClick) -> None:
        await self._run(action)

    async def double_click(self, action: modern.DoubleClick | legacy.ActionDoubleClick) -> None:
        await self._run(action)

    async def drag(self, action: modern.Drag | legacy.ActionDrag) -> None:
        await self._run(action)

    async def keypress(self, action: modern.Keypress | legacy.ActionKeypress) -> None:
        await self._run(action)

    async def move(self, action: modern.Move | legacy.ActionMove) -> None:
        await self._run(action)

    async def scroll(self, action: modern.Scroll | legacy.ActionScroll) -> None:
        await self._run(action)

    async def type(self, action: modern.Type | legacy.ActionType) -> None:
        await self._run(action)

    async def wait(self, action: modern.Wait | legacy.ActionWait) -> None:
        await self._run(action)

    async def screenshot(self) -> ResponseComputerToolCallOutputScreenshotParam:
        """The current screen as the SDK's ``computer_screenshot`` with a PNG data URL."""
        png = await self.executor.screenshot()
        return {
            "type": "computer_screenshot",
            "image_url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        }

    async def _run(self, action: BaseModel) -> None:
        call = {"call_id": "sdk", "actions": [action.model_dump()]}
        for parsed in parse_call(call, self.viewport):
            await self.executor.execute(parsed)
