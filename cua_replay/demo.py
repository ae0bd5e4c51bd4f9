"""The offline demo: scripted wire actions driven through the real executor on the fixture site.

For now the "model" is a fixed script of ``computer_call`` items, in both wire
forms (GA batched ``actions`` and preview single ``action``), whose
coordinates come from the fixture page's layout. Each call goes through
:func:`~cua_replay.actions.parse_call` and the Playwright executor exactly as
a live model's would. Later the demo runs the full record / replay / diff cycle
against the fake server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .actions import Action, Click, DoubleClick, Drag, Keypress, Move, Scroll, Type, parse_call
from .executors.playwright import PlaywrightExecutor
from .sandbox import Sandbox, open_sandbox

Listener = Callable[[str], None]


@dataclass(slots=True)
class DemoResult:
    """What the demo did, for the CLI to render and tests to check."""

    steps: list[str] = field(default_factory=list)
    result_text: str = ""
    final_url: str = ""
    screenshot: Path | None = None


async def _center(sandbox: Sandbox, selector: str) -> dict[str, int]:
    box = await sandbox.page.locator(selector).bounding_box()
    if box is None:  # pragma: no cover - the fixture page always lays these out
        raise RuntimeError(f"fixture element {selector!r} is not visible")
    return {"x": int(box["x"] + box["width"] / 2), "y": int(box["y"] + box["height"] / 2)}


async def _script(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The scripted model's calls: fill and submit the order form, go home, back, forward."""
    name, password = await _center(sandbox, "#name"), await _center(sandbox, "#password")
    gift, submit = await _center(sandbox, "#gift"), await _center(sandbox, "#submit")
    home = await _center(sandbox, "header a")
    return [
        {
            "type": "computer_call",
            "call_id": "call_demo_1",
            "actions": [
                {"type": "click", "button": "left", **name},
                {"type": "type", "text": "Ada Lovelace"},
                {"type": "keypress", "keys": ["CTRL", "A"]},
                {"type": "type", "text": "Grace Hopper"},
                {"type": "click", "button": "left", **password},
                {"type": "type", "text": "hunter2"},
                {"type": "click", "button": "left", **gift},
                {"type": "screenshot"},
            ],
        },
        {
            "type": "computer_call",
            "call_id": "call_demo_2",
            "action": {"type": "click", "button": "left", **submit},
        },
        {
            "type": "computer_call",
            "call_id": "call_demo_3",
            "action": {"type": "click", "button": "left", **home},
        },
        {
            "type": "computer_call",
            "call_id": "call_demo_4",
            "actions": [
                {"type": "click", "button": "back", "x": 0, "y": 0},
                {"type": "click", "button": "forward", "x": 0, "y": 0},
                {"type": "wait"},
            ],
        },
    ]


async def run_demo(
    *,
    screenshot_path: Path | None = None,
    on_step: Listener | None = None,
    environ: Mapping[str, str] = os.environ,
) -> DemoResult:
    """Open the fixture form, execute the scripted calls, report every action."""
    result = DemoResult()

    def emit(line: str) -> None:
        result.steps.append(line)
        if on_step is not None:
            on_step(line)

    async with open_sandbox(environ=environ) as sandbox:
        page = sandbox.page
        await page.goto(sandbox.site.url("/"))
        await page.goto(sandbox.site.url("/form.html"))
        emit(f"opened {page.url}")
        executor = PlaywrightExecutor(page)
        for call in await _script(sandbox):
            actions = parse_call(call, sandbox.viewport)
            form = "batched actions" if "actions" in call else "single action"
            emit(f"{call['call_id']}: {len(actions)} {form}")
            for action in actions:
                await executor.execute(action)
                emit(f"  {_describe(action)}  -> {executor.current_url}")
            if call["call_id"] == "call_demo_2":
                result.result_text = (await page.locator("#result").text_content() or "").strip()
                emit(f"  page says: {result.result_text}")
        result.final_url = executor.current_url
        if screenshot_path is not None:
            screenshot_path.parent.mkdir(parents=True, exist_ok=True)
            screenshot_path.write_bytes(await executor.screenshot())
            result.screenshot = screenshot_path
            emit(f"screenshot saved to {screenshot_path}")
    return result


def _describe(action: Action) -> str:
    if isinstance(action, Drag):
        points = " -> ".join(f"({p.x}, {p.y})" for p in action.path)
        return f"drag {points}"
    if isinstance(action, Keypress):
        return f"keypress {'+'.join(action.keys)} (model said {'+'.join(action.model_keys)})"
    if isinstance(action, Type):
        return f"type {action.text!r}"
    if isinstance(action, Click | DoubleClick | Move | Scroll):
        at = action.at
        where = f"({at.x}, {at.y})"
        if at.clamped:
            where += f" clamped from ({at.model_x}, {at.model_y})"
        extra = f" {action.button}" if isinstance(action, Click) else ""
        held = f" holding {'+'.join(action.modifiers)}" if action.modifiers else ""
        return f"{action.type}{extra} at {where}{held}"
    return action.type
