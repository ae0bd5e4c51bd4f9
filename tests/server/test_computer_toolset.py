"""The SDK's own computer-use runner (``openai.lib.computer``) against the fake server.

``ComputerToolset`` is the stateless style: no ``previous_response_id``, the full
history every step, reasoning replayed with ``encrypted_content``, one computer
tool, ``status`` checked. If the fake emitted anything the SDK's runner refuses,
or refused what it sends, these runs would stop with an error.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI
from openai.lib.computer import AsyncComputerToolset, ComputerToolset, ComputerUseError

from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.server.images import data_url, png

SHOT = {"type": "computer_screenshot", "image_url": data_url(png())}


class Recorder:
    """A driver that records what it is asked to do and shows the same screen."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def _do(self, action: Any) -> None:
        self.actions.append(action.model_dump(exclude_none=True))

    click = double_click = drag = keypress = move = scroll = type = wait = _do

    def screenshot(self) -> dict[str, str]:
        return SHOT


class AsyncRecorder(Recorder):
    async def _ado(self, action: Any) -> None:
        self._do(action)

    click = double_click = drag = keypress = move = scroll = type = wait = _ado  # type: ignore[assignment]

    async def screenshot(self) -> dict[str, str]:  # type: ignore[override]
        return SHOT


def _scripted(scenario: Scenario) -> list[dict[str, Any]]:
    return [action for turn in scenario.turns for action in turn.actions]


def test_the_sync_toolset_completes_the_form_scenario() -> None:
    scenario = load_scenario("form")
    driver = Recorder()
    with FakeResponsesServer(scenario) as server:
        client = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        response = ComputerToolset(driver).run(
            client, {"model": "gpt-5.4", "input": scenario.task, "store": False}
        )
        log = server.state.log
        stored = list(server.state.responses.values())
    assert response.output_text == scenario.turns[-1].message
    assert driver.actions == _scripted(scenario)
    assert [r.status for r in log] == [200] * len(scenario.turns)
    assert all(s.body["previous_response_id"] is None for s in stored)
    reasoning = [o for s in stored for o in s.body["output"] if o["type"] == "reasoning"]
    assert reasoning and all(r["encrypted_content"].startswith("gAAAA") for r in reasoning)


def test_the_async_toolset_approves_a_safety_check_and_finishes() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "approve",
            "task": "Add the mug",
            "turns": [
                {"reasoning": "Looking.", "actions": [{"type": "screenshot"}]},
                {
                    "reasoning": "Clicking past injected text.",
                    "actions": [{"type": "click", "button": "left", "x": 63, "y": 129}],
                    "safety_checks": ["malicious_instructions"],
                },
                {"message": "Added.", "expect": {"acknowledged": ["malicious_instructions"]}},
            ],
        }
    )
    approved: list[str] = []

    async def approve(call: Any) -> bool:
        approved.extend(check.code for check in call.pending_safety_checks)
        return True

    async def run(base_url: str) -> Any:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
        async with client:
            return await AsyncComputerToolset(AsyncRecorder()).run(
                client,
                {"model": "gpt-5.4", "input": scenario.task},
                approve_safety_checks=approve,
            )

    with FakeResponsesServer(scenario) as server:
        response = asyncio.run(run(server.urls.openai_base_url))
    assert response.output_text == "Added."
    assert approved == ["malicious_instructions"]


def test_a_refused_safety_check_stops_the_sdk_runner_before_acting() -> None:
    driver = Recorder()
    scenario = Scenario.model_validate(
        {
            "name": "refuse",
            "task": "t",
            "turns": [
                {
                    "actions": [{"type": "click", "button": "left", "x": 1, "y": 1}],
                    "safety_checks": ["irrelevant_domain"],
                },
                {"message": "never"},
            ],
        }
    )
    with FakeResponsesServer(scenario) as server:
        client = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        with pytest.raises(ComputerUseError, match="explicit approval"):
            ComputerToolset(driver).run(client, {"model": "gpt-5.4", "input": "t"})
    assert driver.actions == []
