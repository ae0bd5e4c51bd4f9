"""Streaming (docs/api-contract.md §6): the exact event sequence, ending in the plain answer.

The SDK's stream helper rebuilds the response from these events and checks
their order, ids and indexes (§6.3), so a wrong sequence breaks real clients;
and a client must get the same ``Response`` whether it streams or not.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.conftest import BrowserHarness
from tests.scenarios import browser_scenarios
from tests.server.driver import Run, Tool, drive, tools_for
from tests.server.scripted import exchange, sse_events

SUMMARY = "Clicking the address bar."
FINAL = "I clicked the address bar and the page is open."
CLICK = {"type": "click", "button": "left", "x": 156, "y": 50}
LIFECYCLE = {"response.created", "response.in_progress", "response.completed"}
DELTAS = {"response.reasoning_summary_text.delta", "response.output_text.delta"}

SCENARIO = Scenario.model_validate(
    {
        "name": "streaming",
        "task": "Open the address bar.",
        "turns": [{"reasoning": SUMMARY, "actions": [CLICK]}, {"message": FINAL}],
    }
)
MESSAGE_ONLY = Scenario.model_validate(
    {"name": "message", "task": "Say what you see.", "turns": [{"message": FINAL}]}
)


@pytest.fixture
def server() -> Iterator[FakeResponsesServer]:
    with FakeResponsesServer(SCENARIO) as running:
        yield running


def params(scenario: Scenario, tool: Tool = "preview", **extra: Any) -> dict[str, Any]:
    """A first request asking for a reasoning summary."""
    body: dict[str, Any] = {
        "model": scenario.model,
        "tools": tools_for(scenario, tool),
        "input": scenario.task,
        "reasoning": {"summary": "concise"},
        **extra,
    }
    if tool == "preview":
        body["truncation"] = "auto"
    return body


def dumped(events: Any) -> list[dict[str, Any]]:
    return [event.to_dict() for event in events]


def plain(response: Any) -> dict[str, Any]:
    """``model_dump()`` without the ``parsed: None`` the stream helper adds to text parts.

    ``responses.stream()`` returns a ``ParsedResponse`` whose ``output_text``
    parts carry the SDK's own ``parsed`` field; it is not on the wire.
    """
    dump: dict[str, Any] = response.model_dump()
    for item in dump["output"]:
        for part in item.get("content") or []:
            if part.get("parsed", ...) is None:
                del part["parsed"]
    return dump


# -- the event sequence -------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["preview", "ga"])
def test_computer_call_turn_streams_the_contract_sequence(
    server: FakeResponsesServer, tool: Tool
) -> None:
    with OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
        events = dumped(client.responses.create(**params(SCENARIO, tool), stream=True))
        stored = client.responses.retrieve(events[0]["response"]["id"])
    types = [event["type"] for event in events]
    deltas = types.count("response.reasoning_summary_text.delta")
    assert deltas >= 1
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * deltas,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    lifecycle = [event["response"] for event in events if event["type"] in LIFECYCLE]
    assert len({response["id"] for response in lifecycle}) == 1
    for start in lifecycle[:2]:
        assert (start["status"], start["output"], start["usage"]) == ("in_progress", [], None)
    final = lifecycle[-1]
    assert final["status"] == "completed"
    assert final == stored.to_dict()  # the stream ends in exactly what GET returns

    reasoning, call = final["output"]
    summary = [e for e in events if e["type"].startswith("response.reasoning_summary")]
    assert {(e["item_id"], e["output_index"], e["summary_index"]) for e in summary} == {
        (reasoning["id"], 0, 0)
    }
    text = "".join(e["delta"] for e in summary if e["type"].endswith(".delta"))
    assert text == SUMMARY == reasoning["summary"][0]["text"]
    ends = [e for e in summary if not e["type"].endswith(("delta", "part.added"))]
    assert [e.get("text") or e["part"]["text"] for e in ends] == [SUMMARY, SUMMARY]
    added = [e for e in events if e["type"] == "response.output_item.added"]
    done = [e for e in events if e["type"] == "response.output_item.done"]
    assert [e["output_index"] for e in added] == [e["output_index"] for e in done] == [0, 1]
    assert added[0]["item"] == {"id": reasoning["id"], "type": "reasoning", "summary": []}
    assert done[0]["item"] == reasoning

    # A computer call has no deltas: added whole (in_progress), then at once done (completed).
    assert done[1]["sequence_number"] == added[1]["sequence_number"] + 1
    assert added[1]["item"] == {**call, "status": "in_progress"}
    assert done[1]["item"] == call and call["status"] == "completed"
    if tool == "ga":
        assert call["actions"] == [CLICK] and "action" not in call
    else:
        assert call["action"] == CLICK and "actions" not in call


def test_final_message_streams_content_part_and_output_text_events() -> None:
    with (
        FakeResponsesServer(MESSAGE_ONLY) as server,
        OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client,
    ):
        events = dumped(client.responses.create(**params(MESSAGE_ONLY), stream=True))
    types = [event["type"] for event in events]
    deltas = types.count("response.output_text.delta")
    assert deltas >= 2  # word-sized chunks
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    (message,) = events[-1]["response"]["output"]
    where = {"item_id": message["id"], "output_index": 0, "content_index": 0}
    added = events[2]["item"]
    assert added == {**message, "status": "in_progress", "content": []}
    assert events[3] == {
        "type": "response.content_part.added",
        **where,
        "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        "sequence_number": 3,
    }
    text_events = events[4 : 4 + deltas]
    assert all({k: e[k] for k in where} == where for e in text_events)
    assert all(e["logprobs"] == [] for e in text_events)
    assert "".join(e["delta"] for e in text_events) == FINAL
    done = events[4 + deltas]
    assert (done["text"], done["logprobs"]) == (FINAL, [])
    assert events[5 + deltas]["part"] == message["content"][0]
    assert events[6 + deltas]["item"] == message
    assert message["content"][0]["text"] == FINAL and message["status"] == "completed"


@pytest.mark.parametrize(
    ("options", "present"),
    [(None, True), ({"include_obfuscation": True}, True), ({"include_obfuscation": False}, False)],
    ids=["default", "true", "false"],
)
def test_obfuscation_is_on_deltas_unless_switched_off(
    options: dict[str, bool] | None, present: bool
) -> None:
    extra: dict[str, Any] = {} if options is None else {"stream_options": options}
    with (
        FakeResponsesServer(SCENARIO) as server,
        OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client,
    ):
        first = dumped(client.responses.create(**params(SCENARIO, **extra), stream=True))
        call = first[-1]["response"]["output"][1]
        follow = {
            **params(SCENARIO, **extra),
            "previous_response_id": first[0]["response"]["id"],
            "input": [
                {
                    "type": "computer_call_output",
                    "call_id": call["call_id"],
                    "output": {"type": "computer_screenshot", "file_id": "file-shot"},
                }
            ],
        }
        final = dumped(client.responses.create(**follow, stream=True))
    for events in (first, final):
        deltas = [e for e in events if e["type"] in DELTAS]
        assert deltas
        assert all(("obfuscation" in e) is present for e in deltas)
        assert all(isinstance(e.get("obfuscation", ""), str) for e in deltas)
        assert not any("obfuscation" in e for e in events if e["type"] not in DELTAS)


def test_stream_is_text_event_stream_with_event_names_matching_data_types(
    server: FakeResponsesServer,
) -> None:
    answer = exchange(
        server.urls.openai_base_url, "POST", "/responses", {**params(SCENARIO), "stream": True}
    )
    assert answer.status == 200
    assert answer.content_type.startswith("text/event-stream")
    assert answer.request_id.startswith("req_")
    events = sse_events(answer.body)
    assert [name for name, _ in events] == [data["type"] for _, data in events]
    assert events[-1][0] == "response.completed"


# -- the SDK's two ways to stream, sync and async -----------------------------------------


@pytest.mark.parametrize("way", ["create", "helper"])
def test_sync_client_streams_and_ends_in_the_completed_response(
    server: FakeResponsesServer, way: str
) -> None:
    with OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
        if way == "create":
            with client.responses.create(**params(SCENARIO), stream=True) as stream:
                events = list(stream)
            final = events[-1].response
        else:
            with client.responses.stream(**params(SCENARIO)) as helper:
                events = list(helper)
                final = helper.get_final_response()
        stored = client.responses.retrieve(final.id)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert plain(final) == stored.model_dump()


@pytest.mark.parametrize("way", ["create", "helper"])
def test_async_client_streams_and_ends_in_the_completed_response(
    server: FakeResponsesServer, way: str
) -> None:
    async def run() -> tuple[list[Any], Any, Any]:
        async with AsyncOpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
            if way == "create":
                stream = await client.responses.create(**params(SCENARIO), stream=True)
                async with stream:
                    events = [event async for event in stream]
                final = events[-1].response
            else:
                async with client.responses.stream(**params(SCENARIO)) as helper:
                    events = [event async for event in helper]
                    final = await helper.get_final_response()
            return events, final, await client.responses.retrieve(final.id)

    events, final, stored = asyncio.run(run())
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert plain(final) == stored.model_dump()


# -- re-streaming a stored response -------------------------------------------------------


@pytest.mark.parametrize("after", [0, 3, 11, 12])
def test_retrieve_stream_starting_after_resumes_the_same_events(
    server: FakeResponsesServer, after: int
) -> None:
    with OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
        original = dumped(client.responses.create(**params(SCENARIO), stream=True))
        response_id = original[0]["response"]["id"]
        resumed = dumped(client.responses.retrieve(response_id, stream=True, starting_after=after))
        whole = dumped(client.responses.retrieve(response_id, stream=True))
    assert whole == original  # same ids, same sequence numbers, same obfuscation
    assert resumed == original[after + 1 :]


def test_stream_helper_resumes_a_stored_response(server: FakeResponsesServer) -> None:
    with OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
        created = client.responses.create(**params(SCENARIO))
        with client.responses.stream(response_id=created.id, starting_after=5) as helper:
            numbers = [event.sequence_number for event in helper]
            final = helper.get_final_response()
    assert numbers[0] == 6 and numbers == list(range(6, numbers[-1] + 1))
    assert plain(final) == created.model_dump()


def test_retrieve_stream_honours_include_obfuscation_false(server: FakeResponsesServer) -> None:
    with OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test") as client:
        created = client.responses.create(**params(SCENARIO))
        events = dumped(
            client.responses.retrieve(created.id, stream=True, include_obfuscation=False)
        )
    deltas = [event for event in events if event["type"] in DELTAS]
    assert deltas and not any("obfuscation" in event for event in deltas)


# -- every built-in scenario, streamed and not, in a real browser -------------------------

SEED = "streaming-equivalence"


async def _run(
    browser: BrowserHarness, scenario: Scenario, tool: Tool, stream: bool
) -> tuple[Run, str, dict[str, str | None]]:
    """One run on a fresh server and a fresh 1024x768 context; the page's end state."""
    with FakeResponsesServer(scenario, seed=SEED) as server:
        page = await browser.new_page(width=1024, height=768)
        try:
            async with AsyncOpenAI(
                base_url=server.urls.openai_base_url, api_key="sk-test"
            ) as client:
                run = await drive(client, scenario, page, tool=tool, stream=stream)
            texts = {
                selector: await run.page.locator(selector).text_content()
                for selector in scenario.done.text
            }
            assert server.state.finished == [run.final.id]
            return run, run.page.url, texts
        finally:
            await page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("tool", ["preview", "ga"])
@pytest.mark.parametrize("path", browser_scenarios(), ids=lambda path: path.stem)
def test_builtin_scenario_streamed_and_not_gives_identical_responses(
    browser: BrowserHarness, path: Any, tool: Tool
) -> None:
    # Both tools: a preview run answers one action per response, a GA run a batch.
    scenario = load_scenario(path)
    streamed, streamed_url, streamed_texts = browser.run(_run(browser, scenario, tool, True))
    plain_run, plain_url, plain_texts = browser.run(_run(browser, scenario, tool, False))
    assert len(streamed.responses) == len(plain_run.responses) == len(scenario.steps(tool))
    assert [plain(r) for r in streamed.responses] == [r.model_dump() for r in plain_run.responses]
    assert plain_run.final.output_text == scenario.turns[-1].message
    for url, texts in ((streamed_url, streamed_texts), (plain_url, plain_texts)):
        if scenario.done.url is not None:
            assert fnmatch.fnmatchcase(url, scenario.done.url), url
        for selector, wanted in scenario.done.text.items():
            assert wanted in (texts[selector] or ""), (selector, texts[selector])
