"""The offline demo: the fake Responses API's ``demo`` scenario, driven in a real Chromium.

Everything real but the model: the official SDK talks over loopback HTTP to the
fake server (:mod:`cua_replay.server`), every ``computer_call`` goes through
:func:`~cua_replay.actions.parse_call` and the Playwright executor on the
fixture site, and the screenshots go back as ``computer_call_output``. The loop
here is deliberately minimal (chaining with ``previous_response_id``, safety
checks shown and acknowledged); the loop engine proper is its own module.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI

from .actions import Action, Click, DoubleClick, Drag, Keypress, Move, Scroll, Type, parse_call
from .executors.playwright import PlaywrightExecutor
from .sandbox import open_sandbox
from .server import FakeResponsesServer, load_scenario

Listener = Callable[[str], None]

MAX_RESPONSES = 20


@dataclass(slots=True)
class DemoResult:
    """What the demo did, for the CLI to render and tests to check."""

    steps: list[str] = field(default_factory=list)
    result_text: str = ""
    final_url: str = ""
    final_message: str = ""
    responses: int = 0
    screenshot: Path | None = None


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def run_demo(
    *,
    scenario: str = "demo",
    screenshot_path: Path | None = None,
    on_step: Listener | None = None,
    environ: Mapping[str, str] = os.environ,
) -> DemoResult:
    """Run ``scenario`` against an in-process fake server; report every step."""
    result = DemoResult()
    script = load_scenario(scenario)

    def emit(line: str) -> None:
        result.steps.append(line)
        if on_step is not None:
            on_step(line)

    tools: list[Any] = [{"type": "computer"}]
    if script.tool == "computer_use_preview":
        tools = [
            {
                "type": "computer_use_preview",
                "display_width": script.display.width,
                "display_height": script.display.height,
                "environment": script.environment,
            }
        ]
    base: dict[str, Any] = {
        "model": script.model,
        "tools": tools,
        "truncation": "auto",
        "reasoning": {"summary": "concise"},
    }
    with FakeResponsesServer(script) as server:
        emit(f"fake Responses API at {server.urls.openai_base_url}, scenario '{script.name}'")
        client = AsyncOpenAI(base_url=server.urls.openai_base_url, api_key="sk-demo-not-secret")
        async with client, open_sandbox(environ=environ) as sandbox:
            page = sandbox.page
            await page.goto(script.start_url)
            emit(f"opened {page.url}")
            executor = PlaywrightExecutor(page)
            shot = _data_url(await executor.screenshot())
            params: dict[str, Any] = {
                **base,
                "input": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_text", "text": script.task},
                            {"type": "input_image", "image_url": shot},
                        ],
                    }
                ],
            }
            for _ in range(MAX_RESPONSES):
                response = await client.responses.create(**params)
                result.responses += 1
                emit(f"response {result.responses}: {response.id}")
                outputs: list[dict[str, Any]] = []
                for item in response.output:
                    if item.type == "reasoning":
                        for part in item.summary:
                            emit(f"  reasoning: {part.text}")
                    elif item.type == "message":
                        result.final_message = response.output_text
                        emit(f"  model says: {response.output_text}")
                    elif item.type == "computer_call":
                        actions = parse_call(item, sandbox.viewport)
                        form = "batched" if item.actions else "single"
                        plural = "s" if len(actions) != 1 else ""
                        emit(f"  {item.call_id}: {len(actions)} action{plural} ({form})")
                        for check in item.pending_safety_checks or []:
                            emit(f"  safety check {check.code}: acknowledged (demo)")
                        for action in actions:
                            await executor.execute(action)
                            emit(f"    {_describe(action)}  -> {executor.current_url}")
                        checks = item.pending_safety_checks or []
                        outputs.append(
                            {
                                "type": "computer_call_output",
                                "call_id": item.call_id,
                                "output": {
                                    "type": "computer_screenshot",
                                    "image_url": _data_url(await executor.screenshot()),
                                },
                                "acknowledged_safety_checks": [c.model_dump() for c in checks],
                                "current_url": executor.current_url,
                            }
                        )
                if not outputs:
                    break
                params = {**base, "previous_response_id": response.id, "input": outputs}
            result.final_url = executor.current_url
            for selector in script.done.text:
                text = await page.locator(selector).text_content() or ""
                result.result_text = text.strip()
                emit(f"page says: {result.result_text}")
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
