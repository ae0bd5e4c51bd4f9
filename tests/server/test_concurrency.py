"""Many clients on one server at once: every conversation sees only its own state.

A test suite shares one fake server between parallel agents; the brain's
position, the ids, the stored chain and the fault counters are per
conversation, so interleaved requests must never leak from one run into
another. No browser: each call is answered with a tiny PNG and a
``current_url`` that satisfies the scenario.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from openai import AsyncOpenAI, OpenAI
from openai.types.responses import Response

from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.server.driver import History, Tool
from tests.server.scripted import run_scripted

MODES: list[tuple[Tool, History, bool]] = list(
    itertools.product(("preview", "ga"), ("chain", "full"), (False, True))
)
COPIES = 3  # 8 modes x 3 = 24 clients


def task(number: int) -> str:
    # Each client's own task: the demo expects it to mention a mug.
    return f"Client {number}: order a blue mug for Ada Lovelace from shop.example, gift wrapped."


def expected_actions(scenario: Scenario, tool: Tool) -> list[list[dict[str, Any]] | None]:
    return [list(step.actions) if step.actions else None for step in scenario.steps(tool)]


def actions_of(response: Response) -> list[dict[str, Any]] | None:
    calls = [item for item in response.output if item.type == "computer_call"]
    if not calls:
        return None
    (call,) = calls
    if call.actions is not None:
        return [a.to_dict() for a in call.actions]
    assert call.action is not None
    return [call.action.to_dict()]


def ids_of(response: Response) -> list[str]:
    ids = [response.id]
    for item in response.output:
        ids.append(item.id or "")
        if item.type == "computer_call":
            ids.append(item.call_id)
            ids += [check.id for check in item.pending_safety_checks or []]
    return ids


def test_many_async_clients_each_finish_their_own_run() -> None:
    scenario = load_scenario("demo")
    clients = [(n, *mode) for n, mode in enumerate(MODES * COPIES)]
    assert len(clients) >= 16

    async def one(base_url: str, number: int, tool: Tool, history: History, stream: bool) -> Any:
        async with AsyncOpenAI(base_url=base_url, api_key=f"sk-client-{number}") as client:
            responses = await run_scripted(
                client, scenario, tool=tool, history=history, stream=stream, task=task(number)
            )
            first_text = None
            if history == "chain":
                # The SDK parses every listed message as an output message: quiet its warnings.
                page = await client.responses.input_items.list(responses[0].id, order="asc")
                first_text = page.data[0].model_dump(warnings=False)["content"][0]["text"]
            return responses, first_text

    async def all_at_once(base_url: str) -> list[Any]:
        return await asyncio.gather(*(one(base_url, *client) for client in clients))

    with FakeResponsesServer(scenario) as server:
        results = asyncio.run(all_at_once(server.urls.openai_base_url))
        finished = list(server.state.finished)
        log = list(server.state.log)

    seen: list[str] = []
    for (number, tool, history, _stream), (responses, first_text) in zip(
        clients, results, strict=True
    ):
        # The script, step by step, with nobody else's steps in between.
        assert [actions_of(r) for r in responses] == expected_actions(scenario, tool), number
        assert responses[-1].output_text == scenario.turns[-1].message
        assert all(r.status == "completed" for r in responses)
        if history == "chain":
            chain = [None, *(r.id for r in responses[:-1])]
            assert [r.previous_response_id for r in responses] == chain, number
            assert first_text == task(number)
        else:
            assert all(r.previous_response_id is None for r in responses)
            assert all(r.store is False for r in responses)
        seen += [i for r in responses for i in ids_of(r)]
    assert len(seen) == len(set(seen)), "an id was handed to two conversations"
    finals = [responses[-1].id for responses, _ in results]
    assert sorted(finished) == sorted(finals) and len(finished) == len(clients)
    assert {record.status for record in log} == {200}


def test_faults_strike_each_conversation_once_under_concurrency() -> None:
    # A 429 on turn 2: every client's turn-2 body differs, so each sees exactly one 429.
    scenario = Scenario.model_validate(
        {
            "name": "busy",
            "task": "Click the button.",
            "turns": [
                {
                    "reasoning": "Clicking the button.",
                    "actions": [{"type": "click", "button": "left", "x": 10, "y": 10}],
                },
                {
                    "reasoning": "Typing the name.",
                    "actions": [{"type": "type", "text": "Ada"}],
                    "fault": {"kind": "http", "status": 429, "retry_after": 0.01},
                },
                {"message": "Done."},
            ],
        }
    )
    tools: list[Tool] = ["preview", "ga"]

    def one(base_url: str, number: int) -> list[Response]:
        tool = tools[number % 2]
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")

        async def run() -> list[Response]:
            async with client:
                return await run_scripted(
                    client, scenario, tool=tool, task=f"Click the button ({number})."
                )

        return asyncio.run(run())  # one event loop per thread

    with FakeResponsesServer(scenario) as server, ThreadPoolExecutor(max_workers=16) as pool:
        url = server.urls.openai_base_url
        runs = list(pool.map(lambda number: one(url, number), range(16)))
        statuses = [record.status for record in server.state.log]
        finished = list(server.state.finished)
    assert all(run[-1].output_text == "Done." for run in runs)
    assert statuses.count(429) == 16
    assert statuses.count(200) == sum(len(run) for run in runs)
    assert sorted(finished) == sorted(run[-1].id for run in runs)


def test_identical_first_requests_from_two_clients_open_two_conversations() -> None:
    # Byte-identical bodies are still separate conversations: new ids, own chains.
    scenario = load_scenario("demo")
    params: dict[str, Any] = {
        "model": scenario.model,
        "tools": [{"type": "computer"}],
        "input": scenario.task,
    }
    with FakeResponsesServer(scenario) as server:
        url = server.urls.openai_base_url
        with OpenAI(base_url=url, api_key="sk-a") as a, OpenAI(base_url=url, api_key="sk-b") as b:
            one, two = a.responses.create(**params), b.responses.create(**params)
        assert len(server.state.conversations) == 2
    assert set(ids_of(one)).isdisjoint(ids_of(two))
    assert actions_of(one) == actions_of(two) == [{"type": "screenshot"}]
