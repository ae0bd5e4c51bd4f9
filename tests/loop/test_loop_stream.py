"""The loop with ``stream=True``: every request asks for SSE, the backend assembles the response.

Real SDK, real HTTP, real Chromium, as in ``test_loop_scenarios``. An httpx
hook on the backend's client records each exchange as it crossed the wire: the
request body's ``stream`` flag and the answer's content type, next to the fake
server's own log of what it handled. A scripted ``stream_error`` (an ``error``
event mid-stream) and a ``failed`` turn each stop the run with a typed error.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from cua_replay.backends import SDKBackend
from cua_replay.events import RequestSent, ResponseReceived, StopReason
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import Outcome, run_scenario

STREAM_BROKE = "The stream broke mid-answer."


@dataclass
class Wire:
    """What each model request carried and how it was answered, as the client saw it."""

    streamed: list[Any] = field(default_factory=list)
    """The ``stream`` value of each request body."""
    content_types: list[str] = field(default_factory=list)


def streaming_run(
    browser: BrowserHarness, scenario: Scenario, *, stream: bool = True, **options: Any
) -> tuple[Outcome, Wire, FakeResponsesServer]:
    """Run ``scenario`` through the harness (streamed unless ``stream=False``) on a backend
    whose HTTP client records the wire."""
    wire = Wire()

    async def record(response: Any) -> None:
        wire.streamed.append(json.loads(response.request.content).get("stream"))
        wire.content_types.append(response.headers.get("content-type", ""))

    with FakeResponsesServer(scenario) as server:
        backend = SDKBackend(
            AsyncOpenAI(
                base_url=server.urls.openai_base_url,
                api_key="sk-test",
                max_retries=0,
                http_client=DefaultAsyncHttpxClient(event_hooks={"response": [record]}),
            )
        )
        outcome = run_scenario(
            browser, scenario, backend=backend, server=server, stream=stream, **options
        )
    return outcome, wire, server


def with_fault(name: str, fault: dict[str, Any], *, turn: int = 1) -> Scenario:
    """Built-in scenario ``name`` with ``fault`` on its turn ``turn``."""
    data = load_scenario(name).model_dump(mode="json")
    data["turns"][turn - 1]["fault"] = fault
    return Scenario.model_validate(data)


@pytest.mark.parametrize("history", ["chain", "full"])
@pytest.mark.parametrize("tool", ["computer_use_preview", "computer"])
@pytest.mark.parametrize("name", ["form", "demo"])
def test_a_streamed_run_completes_the_scenario(
    browser: BrowserHarness, name: str, tool: str, history: str
) -> None:
    scenario = load_scenario(name)
    outcome, wire, server = streaming_run(browser, scenario, tool=tool, history=history)
    stop = outcome.result.stop
    assert stop.reason is StopReason.COMPLETED, stop.detail
    assert stop.final_message == scenario.turns[-1].message
    assert stop.steps == len(scenario.steps("preview" if tool == "computer_use_preview" else "ga"))
    if scenario.done.url is not None:
        assert fnmatch.fnmatchcase(outcome.final_url, scenario.done.url), outcome.final_url
    for selector, text in scenario.done.text.items():
        assert text in outcome.done_text[selector], (selector, outcome.done_text)
    requests = [e.request for e in outcome.events if isinstance(e, RequestSent)]
    assert len(requests) == stop.steps
    assert all(request["stream"] is True for request in requests)
    # Every request the server handled was one of these, sent with stream: true and
    # answered with server-sent events.
    assert [(r.method, r.status) for r in server.state.log] == [("POST", 200)] * stop.steps
    assert wire.streamed == [True] * stop.steps
    assert all(kind.startswith("text/event-stream") for kind in wire.content_types), wire
    # The assembled responses are the ones the server stored (chain mode reads them back).
    assert [r.id for r in outcome.result.responses] == [r.response_id for r in server.state.log]
    assert all(r.status == "completed" for r in outcome.result.responses)


def test_without_stream_requests_carry_no_stream_key(browser: BrowserHarness) -> None:
    outcome, wire, _ = streaming_run(browser, load_scenario("form"), stream=False)
    assert outcome.result.stop.reason is StopReason.COMPLETED, outcome.result.stop.detail
    requests = [e.request for e in outcome.events if isinstance(e, RequestSent)]
    assert requests and all("stream" not in request for request in requests)
    assert set(wire.streamed) == {None}
    assert all(kind.startswith("application/json") for kind in wire.content_types), wire


@pytest.mark.parametrize("turn", [1, 2])
def test_an_error_event_stops_the_run_with_an_error_naming_it(
    browser: BrowserHarness, turn: int
) -> None:
    scenario = with_fault("form", {"kind": "stream_error", "message": STREAM_BROKE}, turn=turn)
    # The GA tool answers each turn with one response, so turn N is request N.
    outcome, wire, server = streaming_run(browser, scenario, tool="computer")
    stop = outcome.result.stop
    assert stop.reason is StopReason.ERROR
    assert "ModelStreamError" in stop.detail
    assert "server_error" in stop.detail and STREAM_BROKE in stop.detail, stop.detail
    assert stop.steps == turn - 1  # the broken response never reached the loop
    assert wire.streamed == [True] * turn
    assert [r.status for r in server.state.log] == [200] * turn
    assert server.state.finished == []


def test_a_failed_terminal_event_stops_the_run_with_its_error(browser: BrowserHarness) -> None:
    scenario = with_fault("form", {"kind": "failed", "message": "The model gave up."})
    outcome, wire, _ = streaming_run(browser, scenario, tool="computer")
    stop = outcome.result.stop
    assert stop.reason is StopReason.ERROR
    assert "is failed: The model gave up." in stop.detail, stop.detail
    # The response.failed event carried the whole response: the loop received it.
    (received,) = [e for e in outcome.events if isinstance(e, ResponseReceived)]
    assert received.response.status == "failed"
    assert received.response.error is not None
    assert received.response.error.message == "The model gave up."
    assert wire.streamed == [True]
