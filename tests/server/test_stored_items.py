"""Stored input items: each screenshot kept once, listed as sent, let go on DELETE.

A full-history client resends every screenshot with every request; the server
keeps one string per distinct image (by content) however many stored responses
list it, and frees it when the last of them is deleted (docs/api-contract.md §3.3,
§9.6). A ``store: false`` response can never be listed, so it keeps no input items.
"""

from __future__ import annotations

from typing import Any

from openai import OpenAI

from cua_replay.server import FakeResponsesServer, Scenario
from cua_replay.wire.items import IMAGE_URL_INCLUDE

from .images import data_url, png

STEPS = 4
SCENARIO = Scenario.model_validate(
    {
        "name": "stored-items",
        "task": "Click around.",
        "turns": [{"actions": [{"type": "click", "button": "left", "x": 1, "y": 1}]}] * STEPS
        + [{"message": "Done."}],
    }
)
TOOLS: Any = [
    {
        "type": "computer_use_preview",
        "display_width": 64,
        "display_height": 64,
        "environment": "browser",
    }
]


def full_history_run(sdk: OpenAI, *, store: bool) -> list[str]:
    """Every step resends the whole history; returns the response ids."""
    history: list[Any] = [{"role": "user", "content": SCENARIO.task}]
    ids: list[str] = []
    for step in range(STEPS + 1):
        response = sdk.responses.create(
            model="computer-use-preview",
            input=history,
            tools=TOOLS,
            truncation="auto",
            store=store,
        )
        ids.append(response.id)
        calls = [o for o in response.output if o.type == "computer_call"]
        if not calls:
            break
        history.append(calls[0].model_dump(exclude_none=True))
        shot = data_url(png(step + 1, 1))
        history.append(
            {
                "type": "computer_call_output",
                "call_id": calls[0].call_id,
                "output": {"type": "computer_screenshot", "image_url": shot},
            }
        )
    return ids


def test_each_screenshot_is_kept_once_and_listed_as_sent() -> None:
    with FakeResponsesServer(SCENARIO) as server:
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        ids = full_history_run(sdk, store=True)
        state = server.state
        assert len(state.images) == STEPS
        urls = [
            item["output"]["image_url"]
            for response_id in ids
            for item in state.responses[response_id].input_items
            if item.get("type") == "computer_call_output"
        ]
        assert len(urls) == STEPS * (STEPS + 1) // 2
        assert len({id(url) for url in urls}) == STEPS  # one string per distinct image
        listed = sdk.responses.input_items.list(ids[-1], order="asc", include=[IMAGE_URL_INCLUDE])
        shots = [item.output.image_url for item in listed if item.type == "computer_call_output"]
        assert shots == [data_url(png(step + 1, 1)) for step in range(STEPS)]

        for response_id in ids[:-1]:
            sdk.responses.delete(response_id)
        assert len(state.images) == STEPS  # the last response still lists them all
        sdk.responses.delete(ids[-1])
        assert len(state.images) == 0
        assert all(not state.responses[r].input_items for r in ids)


def test_unstored_responses_keep_no_input_items() -> None:
    with FakeResponsesServer(SCENARIO) as server:
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        ids = full_history_run(sdk, store=False)
        assert len(ids) == STEPS + 1
        assert all(not server.state.responses[r].input_items for r in ids)
        assert len(server.state.images) == 0
