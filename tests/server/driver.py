"""A minimal computer-use client for the server tests: the real SDK, the real executor.

Not the loop engine (that is its own issue): just enough to run a scenario to
its final message in each wire mode, so the tests can check the fake server
against a real client and a real page. It approves every safety check.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

from openai import AsyncOpenAI
from openai.types.responses import Response

from cua_replay.actions import parse_call
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.geometry import Viewport
from cua_replay.server import Scenario

Tool = Literal["preview", "ga"]
History = Literal["chain", "full"]


@dataclass
class Run:
    responses: list[Response] = field(default_factory=list)
    page: Any = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> Response:
        return self.responses[-1]


def tools_for(scenario: Scenario, tool: Tool) -> list[dict[str, Any]]:
    if tool == "ga":
        return [{"type": "computer"}]
    return [
        {
            "type": "computer_use_preview",
            "display_width": scenario.display.width,
            "display_height": scenario.display.height,
            "environment": scenario.environment,
        }
    ]


# Counts tabs a page asks for (target=_blank links, window.open), so the driver knows
# when to wait for one: Playwright reports the new page a little after the click.
COUNT_OPENS = """
(() => {
  window.__opens = 0;
  const open = window.open;
  window.open = function (...args) { window.__opens++; return open.apply(this, args); };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[target=_blank]");
    if (link) window.__opens++;
  }, true);
})();
"""


async def opens(page: Any) -> int:
    return int(await page.evaluate("window.__opens || 0"))


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def create(client: AsyncOpenAI, stream: bool, **params: Any) -> Response:
    if not stream:
        return await client.responses.create(**params)
    async with client.responses.stream(**params) as events:
        async for _ in events:
            pass
        return await events.get_final_response()


async def drive(
    client: AsyncOpenAI,
    scenario: Scenario,
    page: Any,
    *,
    tool: Tool = "preview",
    history: History = "chain",
    stream: bool = False,
    max_steps: int = 30,
) -> Run:
    """Run ``scenario`` from its start URL to its final message; return every response."""
    await page.context.add_init_script(COUNT_OPENS)
    new_pages: list[Any] = []
    page.context.on("page", lambda new: new_pages.append(new))
    await page.goto(scenario.start_url)
    executor = PlaywrightExecutor(page)
    viewport = Viewport(scenario.display.width, scenario.display.height)
    base: dict[str, Any] = {"model": scenario.model, "tools": tools_for(scenario, tool)}
    if tool == "preview":
        base["truncation"] = "auto"
    if history == "full":
        base["include"] = ["reasoning.encrypted_content"]
        base["store"] = False
    first = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": scenario.task},
                {"type": "input_image", "image_url": data_url(await executor.screenshot())},
            ],
        }
    ]
    run = Run(page=page)
    items: list[Any] = list(first)
    params = {**base, "input": first, "reasoning": {"summary": "concise"}}
    for _ in range(max_steps):
        run.requests.append(params)
        response = await create(client, stream, **params)
        run.responses.append(response)
        calls = [item for item in response.output if item.type == "computer_call"]
        if not calls:
            return run
        outputs = []
        for call in calls:
            for action in parse_call(call, viewport):
                before = await opens(page)
                await executor.execute(action)
                if not page.is_closed() and await opens(page) > before and not new_pages:
                    await page.context.wait_for_event("page")
                if new_pages:
                    page = run.page = new_pages.pop()
                    new_pages.clear()
                    await page.wait_for_load_state()
                    executor = PlaywrightExecutor(page)
            outputs.append(
                {
                    "type": "computer_call_output",
                    "call_id": call.call_id,
                    "output": {
                        "type": "computer_screenshot",
                        "image_url": data_url(await executor.screenshot()),
                    },
                    "acknowledged_safety_checks": [
                        c.model_dump() for c in call.pending_safety_checks or []
                    ],
                    "current_url": page.url,
                }
            )
        if history == "chain":
            params = {**base, "previous_response_id": response.id, "input": outputs}
        else:
            items += [item.to_dict() for item in response.output] + outputs
            params = {**base, "input": list(items)}
    raise AssertionError(f"scenario {scenario.name!r} did not finish in {max_steps} steps")
