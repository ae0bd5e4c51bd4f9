"""Scripted faults against the real openai SDK: its retry policy must see what the service sends.

docs/api-contract.md §7: the SDK retries 408/409/429/>=500 and broken connections,
obeys ``retry-after(-ms)`` up to 120 s and ``x-should-retry`` above all; a
response that ``failed`` or is ``incomplete`` is a 200 the caller must handle.
Retry delays come from the fault's tiny ``retry-after``, so no test waits long.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from cua_replay.server import FakeResponsesServer, Scenario
from tests.server.scripted import TINY_DATA_URL

PREVIEW_TOOL: list[dict[str, Any]] = [
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    }
]
CLICK = {"type": "click", "button": "left", "x": 10, "y": 10}
FINAL = "Done."
NO_COMPLETED = re.escape("Didn't receive a `response.completed` event.")

Serve = Callable[[Scenario], FakeResponsesServer]


def scenario(fault: dict[str, Any], *, on: int = 1) -> Scenario:
    """Two turns (a click, then a final message) with ``fault`` on turn ``on``."""
    turns: list[dict[str, Any]] = [
        {"reasoning": "Clicking the button.", "actions": [CLICK]},
        {"message": FINAL},
    ]
    turns[on - 1]["fault"] = fault
    return Scenario.model_validate({"name": "faults", "task": "Click it.", "turns": turns})


FIRST: dict[str, Any] = {
    "model": "computer-use-preview",
    "tools": PREVIEW_TOOL,
    "truncation": "auto",
    "input": "Click it.",
    "reasoning": {"summary": "concise"},
}


def first(client: OpenAI, **options: Any) -> Any:
    """The first request of the run (the one a fault on turn 1 hits)."""
    return client.responses.create(**FIRST, **options)


def answer(client: OpenAI, previous: Any, **options: Any) -> Any:
    """The request answering ``previous``'s computer call (the one a fault on turn 2 hits)."""
    (call,) = [item for item in previous.output if item.type == "computer_call"]
    output = {"type": "computer_screenshot", "image_url": TINY_DATA_URL}
    request: dict[str, Any] = {
        **FIRST,
        "previous_response_id": previous.id,
        "input": [{"type": "computer_call_output", "call_id": call.call_id, "output": output}],
    }
    return client.responses.create(**request, **options)


def statuses(server: FakeResponsesServer) -> list[int]:
    return [record.status for record in server.state.log]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a server for an inline scenario; stopped at teardown."""
    started: list[FakeResponsesServer] = []

    def start(scripted: Scenario) -> FakeResponsesServer:
        server = FakeResponsesServer(scripted).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def openai_client(server: FakeResponsesServer, **options: Any) -> OpenAI:
    return OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", **options)


# -- HTTP errors the SDK retries ----------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [{"retry_after": 0.01}, {"retry_after_ms": 10}],
    ids=["retry-after", "retry-after-ms"],
)
@pytest.mark.parametrize("flavour", ["openai", "azure"])
def test_429_with_retry_after_is_retried_and_the_run_continues(
    serve: Serve, header: dict[str, Any], flavour: str
) -> None:
    server = serve(scenario({"kind": "http", "status": 429, **header}))
    client: OpenAI = (
        openai_client(server)
        if flavour == "openai"
        else AzureOpenAI(
            azure_endpoint=server.urls.azure_endpoint,
            api_key="azure-key",
            api_version="2025-03-01-preview",
        )
    )
    with client:
        response = first(client)
        assert statuses(server) == [429, 200]
        assert server.state.log[0].code == "rate_limit_exceeded"
        final = answer(client, response)
    assert final.output_text == FINAL
    assert statuses(server) == [429, 200, 200]
    assert server.state.finished == [final.id]


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_until_the_fault_is_used_up(serve: Serve, status: int) -> None:
    # times=2 with the SDK's default max_retries=2: two failures, then the third attempt wins.
    server = serve(scenario({"kind": "http", "status": status, "retry_after": 0.01, "times": 2}))
    with openai_client(server) as client:
        response = first(client)
        assert [item.type for item in response.output] == ["reasoning", "computer_call"]
        assert statuses(server) == [status, status, 200]
        assert answer(client, response).output_text == FINAL


def test_fault_on_a_later_turn_hits_that_turn_only(serve: Serve) -> None:
    server = serve(scenario({"kind": "http", "status": 500, "retry_after": 0.01}, on=2))
    with openai_client(server) as client:
        final = answer(client, first(client))
    assert final.output_text == FINAL
    assert statuses(server) == [200, 500, 200]


# -- HTTP errors the SDK must not retry ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, openai.RateLimitError), (500, openai.InternalServerError)],
)
def test_should_retry_false_makes_the_sdk_give_up_at_once(
    serve: Serve, status: int, error: type[openai.APIStatusError]
) -> None:
    fault = {"kind": "http", "status": status, "retry_after": 0.01, "should_retry": False}
    server = serve(scenario(fault))
    with openai_client(server) as client, pytest.raises(error) as raised:
        first(client)
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert statuses(server) == [status]


@pytest.mark.parametrize(
    "header",
    [{"retry_after": 121}, {"retry_after_ms": 121_000}],
    ids=["retry-after", "retry-after-ms"],
)
def test_retry_after_above_120_seconds_is_not_retried(serve: Serve, header: dict[str, Any]) -> None:
    # MAX_RETRY_AFTER_DELAY: the SDK would rather fail than wait so long (docs/api-contract.md §7).
    server = serve(scenario({"kind": "http", "status": 429, **header}))
    with openai_client(server) as client, pytest.raises(openai.RateLimitError):
        first(client)
    assert statuses(server) == [429]


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (
            429,
            openai.RateLimitError,
            r"Rate limit reached for computer-use-preview in organization org-cua-replay-fake on "
            r"requests per min \(RPM\): Limit 3, Used 3, Requested 1\. Please try again in 20ms\. "
            r"Visit https://platform\.openai\.com/account/rate-limits to learn more\.",
        ),
        (
            500,
            openai.InternalServerError,
            r"An error occurred while processing your request\. You can retry your request, or "
            r"contact us through our help center at help\.openai\.com if the error persists\. "
            r"Please include the request ID (req_[0-9a-f]{32}) in your message\.",
        ),
        (
            503,
            openai.InternalServerError,
            r"That model is currently overloaded with other requests\. You can retry your "
            r"request, or contact us through our help center at help\.openai\.com if the error "
            r"persists\. \(Please include the request ID (req_[0-9a-f]{32}) in your message\.\)",
        ),
    ],
)
def test_max_retries_0_surfaces_the_error_with_its_message_and_request_id(
    serve: Serve, status: int, error: type[openai.APIStatusError], message: str
) -> None:
    server = serve(scenario({"kind": "http", "status": status, "retry_after": 0.01}))
    with openai_client(server, max_retries=0) as client, pytest.raises(error) as raised:
        first(client)
    exc = raised.value
    match = re.fullmatch(f"Error code: {status} - {message}", str(exc))
    assert match is not None, str(exc)
    assert exc.status_code == status
    assert re.fullmatch(r"req_[0-9a-f]{32}", exc.request_id or "")
    assert exc.request_id == exc.response.headers["x-request-id"]
    if match.groups():  # 5xx messages quote the request id, as the service's do
        assert match.group(1) == exc.request_id
    assert exc.code == ("rate_limit_exceeded" if status == 429 else "server_error")
    assert statuses(server) == [status]


def test_fault_is_used_up_after_times_attempts_of_the_same_body(serve: Serve) -> None:
    server = serve(scenario({"kind": "http", "status": 429, "times": 2}))
    with openai_client(server, max_retries=0) as client:
        for _ in range(2):
            with pytest.raises(openai.RateLimitError):
                first(client)
        first(client)  # the third identical body is past `times`
    assert statuses(server) == [429, 429, 200]


def test_scripted_message_is_the_exception_text(serve: Serve) -> None:
    fault = {"kind": "http", "status": 429, "message": "Slow down, please."}
    server = serve(scenario(fault))
    with openai_client(server, max_retries=0) as client, pytest.raises(openai.RateLimitError) as e:
        first(client)
    assert str(e.value) == "Error code: 429 - Slow down, please."
    assert e.value.body == {
        "message": "Slow down, please.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }


# -- broken connections and timeouts ------------------------------------------------------


def test_dropped_connection_is_retried_by_the_sdk(serve: Serve) -> None:
    server = serve(scenario({"kind": "drop"}))
    with openai_client(server) as client:
        response = first(client)
        assert len(server.state.log) == 2  # the dropped attempt, then the retry
        assert answer(client, response).output_text == FINAL
    assert server.state.finished != []


def test_dropped_connection_without_retries_raises_api_connection_error(serve: Serve) -> None:
    server = serve(scenario({"kind": "drop"}))
    with openai_client(server, max_retries=0) as client, pytest.raises(openai.APIConnectionError):
        first(client)
    assert len(server.state.log) == 1
    assert server.state.responses == {}  # nothing was built for the dropped request


def test_delay_longer_than_the_client_timeout_raises_api_timeout_error(serve: Serve) -> None:
    server = serve(scenario({"kind": "delay", "seconds": 0.5}))
    with (
        openai_client(server, max_retries=0, timeout=0.1) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        first(client)


def test_delay_timeout_is_retried_and_the_retry_is_answered_at_once(serve: Serve) -> None:
    # The retry repeats the body byte for byte: attempt 2 is past `times`, so no delay.
    # A roomy timeout: the undelayed retry must fit in it even on a loaded machine.
    server = serve(scenario({"kind": "delay", "seconds": 2}))
    with openai_client(server, max_retries=1, timeout=1) as client:
        response = first(client)
    assert [item.type for item in response.output] == ["reasoning", "computer_call"]


# -- failed and incomplete responses ------------------------------------------------------


def test_failed_response_carries_error_and_a_retry_succeeds(serve: Serve) -> None:
    fault = {"kind": "failed", "code": "server_error", "message": "The model broke."}
    server = serve(scenario(fault))
    with openai_client(server) as client:
        failed = first(client)
        assert failed.status == "failed"
        assert failed.error is not None
        assert (failed.error.code, failed.error.message) == ("server_error", "The model broke.")
        assert failed.incomplete_details is None
        assert failed.output == []
        assert failed.completed_at is None
        retried = first(client)
        assert retried.status == "completed" and retried.error is None
        assert [item.type for item in retried.output] == ["reasoning", "computer_call"]
        assert retried.id != failed.id
        assert answer(client, retried).output_text == FINAL
    assert statuses(server) == [200, 200, 200]


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_incomplete_response_carries_its_reason_and_a_retry_succeeds(
    serve: Serve, reason: str
) -> None:
    server = serve(scenario({"kind": "incomplete", "reason": reason}))
    with openai_client(server) as client:
        cut = first(client)
        assert cut.status == "incomplete"
        assert cut.incomplete_details is not None and cut.incomplete_details.reason == reason
        assert cut.error is None
        # Cut off while thinking: the reasoning is there, the call it led to is not.
        assert [item.type for item in cut.output] == ["reasoning"]
        retried = first(client)
        assert retried.status == "completed"
        assert [item.type for item in retried.output] == ["reasoning", "computer_call"]


def test_failed_final_message_is_not_finished_until_retried(serve: Serve) -> None:
    server = serve(scenario({"kind": "failed"}, on=2))
    with openai_client(server) as client:
        response = first(client)
        failed = answer(client, response)
        assert failed.status == "failed" and failed.output_text == ""
        assert server.state.finished == []
        final = answer(client, response)
    assert final.output_text == FINAL
    assert server.state.finished == [final.id]


@pytest.mark.parametrize(
    ("kind", "terminal"), [("failed", "response.failed"), ("incomplete", "response.incomplete")]
)
def test_failed_or_incomplete_stream_ends_without_response_completed(
    serve: Serve, kind: str, terminal: str
) -> None:
    server = serve(scenario({"kind": kind}))
    with openai_client(server) as client:
        with first(client, stream=True) as events:
            types = [event.type for event in events]
        assert types[-1] == terminal
        assert "response.completed" not in types
        assert "error" not in types
        with (
            # Another body (metadata), so the fault strikes again.
            client.responses.stream(**FIRST, metadata={"attempt": "helper"}) as stream,
            pytest.raises(RuntimeError, match=NO_COMPLETED),
        ):
            stream.get_final_response()


# -- errors inside a stream ---------------------------------------------------------------


def test_stream_error_yields_an_error_event_and_ends_the_stream(serve: Serve) -> None:
    server = serve(scenario({"kind": "stream_error", "message": "The stream broke."}))
    with openai_client(server) as client:
        with first(client, stream=True) as events:
            received = list(events)
        assert [event.type for event in received] == [
            "response.created",
            "response.in_progress",
            "error",
        ]
        error = received[-1]
        assert error.type == "error"
        assert (error.code, error.message, error.param) == (
            "server_error",
            "The stream broke.",
            None,
        )
        assert [event.sequence_number for event in received] == [0, 1, 2]
        assert server.state.responses == {}  # a broken stream stores nothing
        retried = first(client, stream=True)  # same bytes, fault used up: a full stream
        types = [event.type for event in retried]
        assert types[-1] == "response.completed"


def test_stream_error_makes_the_stream_helper_raise(serve: Serve) -> None:
    server = serve(scenario({"kind": "stream_error"}))
    with (
        openai_client(server) as client,
        client.responses.stream(**FIRST) as stream,
        pytest.raises(RuntimeError, match=NO_COMPLETED),
    ):
        stream.get_final_response()
    assert server.state.finished == []


def test_stream_error_on_a_plain_request_is_a_500(serve: Serve) -> None:
    # A stream fault has no stream to break: the server answers a retryable 500 instead.
    server = serve(scenario({"kind": "stream_error"}))
    with openai_client(server, max_retries=0) as client, pytest.raises(openai.InternalServerError):
        first(client)
    assert statuses(server) == [500]
