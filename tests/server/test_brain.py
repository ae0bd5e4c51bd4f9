"""The scripted brain through the wire: expectations, URL safety rules, the end of a script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI

from cua_replay.server import FakeResponsesServer, Scenario
from tests.server.images import data_url, png

PREVIEW = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}


SHOT = data_url(png())

SCENARIO = Scenario.model_validate(
    {
        "name": "brain",
        "task": "Pay with MyBank",
        "safety": [{"code": "sensitive_domain", "url": "https://bank.example/*"}],
        "turns": [
            {
                "reasoning": "Opening the bank.",
                "actions": [{"type": "click", "button": "left", "x": 1, "y": 2}],
                "expect": {"task_contains": "mybank"},
            },
            {
                "reasoning": "Approving.",
                "actions": [
                    {"type": "click", "button": "left", "x": 3, "y": 4},
                    {"type": "type", "text": "ok"},
                ],
                "expect": {"current_url": "https://bank.example/*"},
            },
            {"message": "Paid.", "expect": {"acknowledged": ["sensitive_domain"]}},
        ],
    }
)


@pytest.fixture
def client() -> Iterator[OpenAI]:
    with FakeResponsesServer(SCENARIO) as server:
        yield OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)


def _answer(call: Any, url: str, *, ack: bool = True) -> dict[str, Any]:
    checks = [c.model_dump() for c in call.pending_safety_checks] if ack else []
    return {
        "type": "computer_call_output",
        "call_id": call.call_id,
        "output": {"type": "computer_screenshot", "image_url": SHOT},
        "acknowledged_safety_checks": checks,
        "current_url": url,
    }


def _first(client: OpenAI, task: str = "Pay with MyBank please", **extra: Any) -> Any:
    params: dict[str, Any] = {"model": "computer-use-preview", "tools": [PREVIEW]}
    params.update(truncation="auto", input=task, **extra)
    return client.responses.create(**params)


def _next(client: OpenAI, previous: Any, url: str, **extra: Any) -> Any:
    call = next(item for item in previous.output if item.type == "computer_call")
    return client.responses.create(
        model="computer-use-preview",
        tools=[PREVIEW],
        truncation="auto",
        previous_response_id=previous.id,
        input=[_answer(call, url, **extra)],
    )


def test_the_script_runs_and_a_url_rule_raises_its_check(client: OpenAI) -> None:
    first = _first(client)
    assert [c.code for c in first.output[-1].pending_safety_checks] == []
    second = _next(client, first, "https://bank.example/pay.html")
    assert [c.code for c in second.output[-1].pending_safety_checks] == ["sensitive_domain"]
    # The turn's second action goes out alone, and raises no check of its own.
    third = _next(client, second, "https://shop.example/")
    assert third.output[-1].action.type == "type"
    assert third.output[-1].pending_safety_checks == []


def test_an_unmet_expectation_names_the_turn_and_what_it_wanted(client: OpenAI) -> None:
    first = _first(client)
    with pytest.raises(openai.BadRequestError) as caught:
        _next(client, first, "https://shop.example/checkout.html")
    assert caught.value.code == "scenario_expectation_failed"
    assert "turn 2" in caught.value.message
    assert "'https://bank.example/*'" in caught.value.message
    assert "'https://shop.example/checkout.html'" in caught.value.message


def test_the_task_is_checked_on_the_first_turn(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="expected a task containing 'mybank'"):
        _first(client, task="Buy a mug")


def test_a_request_without_a_computer_tool_is_told_to_send_one(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="declares no 'computer_use_preview'"):
        client.responses.create(model="computer-use-preview", input="Pay with MyBank")


def test_after_the_final_message_the_script_is_over(client: OpenAI) -> None:
    second = _next(client, _first(client), "https://bank.example/pay.html")
    third = _next(client, second, "https://bank.example/pay.html")
    final = _next(client, third, "https://bank.example/pay.html")
    assert final.output_text == "Paid."
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="computer-use-preview",
            tools=[PREVIEW],
            truncation="auto",
            previous_response_id=final.id,
            input="And again?",
        )
    assert caught.value.code == "scenario_exhausted"


def test_the_ga_tool_gets_the_same_turn_as_one_batch(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-5.4", tools=[{"type": "computer"}], input="MyBank")
    call = first.output[-1]
    second = client.responses.create(
        model="gpt-5.4",
        tools=[{"type": "computer"}],
        previous_response_id=first.id,
        input=[_answer(call, "https://bank.example/pay.html")],
    )
    batch = second.output[-1]
    assert batch.action is None
    assert [a.type for a in batch.actions] == ["click", "type"]
    assert [c.code for c in batch.pending_safety_checks] == ["sensitive_domain"]
