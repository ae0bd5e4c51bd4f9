"""The recording transports: the real SDK over real loopback HTTP to the fake server.

Each client flavour (``OpenAI``, ``AsyncOpenAI``, ``AzureOpenAI`` with a key or
an Entra ID token) and each way of asking (plain, ``create(stream=True)``,
``.stream()``) goes through a recording transport into a transport-only
:class:`Recorder`; the loop engine goes through one next to the recorder as a
listener. The cassette is then loaded and read: steps with status and headers,
streamed events in arrival order, retries as attempts. The tee is checked by
order, not time: the client holds the first event while the exchange is still
open. No credential the client used may reach a byte of the cassette.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import AsyncOpenAI, AzureOpenAI, OpenAI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from cua_replay.cassette import Cassette, load_cassette
from cua_replay.errors import InvalidSetting
from cua_replay.events import StopReason
from cua_replay.record import Exchange, Recorder, new_manifest
from cua_replay.record.transport import (
    AsyncRecordingTransport,
    RecordingTransport,
    async_recording_client,
    recording_client,
)
from cua_replay.server import FakeResponsesApp, FakeResponsesServer, Scenario, load_scenario
from cua_replay.wire.sse import SseParser
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario
from tests.server.scripted import TINY_DATA_URL

CLICK = {"type": "click", "button": "left", "x": 10, "y": 10}
TOOLS: list[dict[str, Any]] = [
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    }
]
CANARY_KEY = "canary-api-key-0f1e2d3c4b5a"
CANARY_TOKEN = "canary-entra-token-9a8b7c6d5e"
MODES = ["plain", "create_stream", "stream_helper"]


def clicks(*, fault: dict[str, Any] | None = None, task: str = "Click it twice.") -> Scenario:
    """Two clicks and a final message; ``fault`` on the first turn."""
    turns: list[dict[str, Any]] = [
        {"reasoning": "Clicking.", "actions": [CLICK]},
        {"reasoning": "Once more.", "actions": [CLICK]},
        {"message": "Done."},
    ]
    if fault is not None:
        turns[0]["fault"] = fault
    return Scenario.model_validate({"name": "clicks", "task": task, "turns": turns})


def request_for(previous: Any, task: str) -> dict[str, Any]:
    params: dict[str, Any] = {"model": "computer-use-preview", "tools": TOOLS, "truncation": "auto"}
    if previous is None:
        return {**params, "input": task}
    (call,) = [item for item in previous.output if item.type == "computer_call"]
    output = {"type": "computer_screenshot", "image_url": TINY_DATA_URL}
    return {
        **params,
        "previous_response_id": previous.id,
        "input": [{"type": "computer_call_output", "call_id": call.call_id, "output": output}],
    }


def create(client: OpenAI, mode: str, params: dict[str, Any]) -> Any:
    if mode == "plain":
        return client.responses.create(**params)
    if mode == "create_stream":
        final = None
        for event in client.responses.create(**params, stream=True):
            if event.type == "response.completed":
                final = event.response
        return final
    with client.responses.stream(**params) as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


async def acreate(client: AsyncOpenAI, mode: str, params: dict[str, Any]) -> Any:
    if mode == "plain":
        return await client.responses.create(**params)
    if mode == "create_stream":
        final = None
        async for event in await client.responses.create(**params, stream=True):
            if event.type == "response.completed":
                final = event.response
        return final
    async with client.responses.stream(**params) as stream:
        async for _ in stream:
            pass
        return await stream.get_final_response()


def run(client: OpenAI, mode: str, task: str = "Click it twice.") -> list[Any]:
    """The client loop: answer each computer call with a screenshot until the message."""
    responses: list[Any] = []
    previous = None
    while previous is None or any(item.type == "computer_call" for item in previous.output):
        previous = create(client, mode, request_for(previous, task))
        responses.append(previous)
    return responses


async def arun(client: AsyncOpenAI, mode: str) -> list[Any]:
    responses: list[Any] = []
    previous = None
    async with client:
        while previous is None or any(item.type == "computer_call" for item in previous.output):
            previous = await acreate(client, mode, request_for(previous, "Click it twice."))
            responses.append(previous)
    return responses


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    rec = Recorder.open(tmp_path / "cas", new_manifest(recorder="transport"), environ={})
    yield rec
    rec.close()


def closed(recorder: Recorder) -> Cassette:
    recorder.close()
    return load_cassette(recorder.directory)


def every_byte(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def check_steps(cassette: Cassette, responses: list[Any], streamed: bool) -> None:
    assert [step.response["id"] for step in cassette.steps] == [r.id for r in responses]  # type: ignore[index]
    request_ids = []
    for step in cassette.steps:
        assert step.http is not None and step.http.status == 200
        assert step.http.path == "/responses"
        request_ids.append(step.http.headers["x-request-id"])
        assert step.latency_ms > 0
        if streamed:
            assert step.events is not None
            times = [event.t_ms for event in step.events]
            assert times == sorted(times) and times[0] > 0
            assert step.events[0].event == "response.created"
            assert step.events[-1].event == "response.completed"
            assert step.events[-1].data["response"]["id"] == step.response["id"]  # type: ignore[index]
        else:
            assert step.events is None
    assert len(set(request_ids)) == len(request_ids) and all(
        r.startswith("req_") for r in request_ids
    )
    log = (cassette.directory / "steps.jsonl").read_text()
    assert "data:image" not in log
    blobs = list(cassette.blobs)
    assert len(blobs) == 1  # the one screenshot, stored once


# -- the SDK through the transports ----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sync_openai_traffic_is_recorded_step_by_step(recorder: Recorder, mode: str) -> None:
    with FakeResponsesServer(clicks()) as server:
        client = OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        )
        with client:
            responses = run(client, mode)
    cassette = closed(recorder)
    assert len(responses) == 3
    check_steps(cassette, responses, streamed=mode != "plain")
    assert cassette.manifest.endpoint.provider == "openai"
    assert cassette.stop is not None and cassette.stop.steps == 3


@pytest.mark.parametrize("mode", MODES)
def test_async_openai_traffic_is_recorded_step_by_step(recorder: Recorder, mode: str) -> None:
    with FakeResponsesServer(clicks()) as server:
        client = AsyncOpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=async_recording_client(recorder.exchange),
        )
        responses = asyncio.run(arun(client, mode))
    check_steps(closed(recorder), responses, streamed=mode != "plain")


@pytest.mark.parametrize("credential", ["api_key", "azure_ad_token", "openai_key"])
@pytest.mark.parametrize("mode", ["plain", "stream_helper"])
def test_no_credential_reaches_the_cassette(recorder: Recorder, credential: str, mode: str) -> None:
    # The canaries match no built-in pattern and no environment variable holds them:
    # only stripping the header, and learning its value, keeps them out. The task
    # carries the credential too, so the learned secret must be scrubbed from bodies.
    secret = CANARY_TOKEN if credential == "azure_ad_token" else CANARY_KEY
    task = f"Click it twice. (debug: {secret})"
    with FakeResponsesServer(clicks(task=task), api_key=secret) as server:
        http_client = recording_client(recorder.exchange)
        client: OpenAI
        if credential == "openai_key":
            client = OpenAI(
                base_url=server.urls.openai_base_url, api_key=secret, http_client=http_client
            )
        else:
            client = AzureOpenAI(
                azure_endpoint=server.urls.azure_endpoint,
                api_version="2025-03-01-preview",
                http_client=http_client,
                **{credential: secret},
            )
        with client:
            responses = run(client, mode, task=task)
    cassette = closed(recorder)
    assert len(cassette.steps) == len(responses) == 3
    everything = every_byte(cassette.directory)
    assert secret.encode() not in everything
    assert b"[redacted]" in everything
    if credential != "openai_key":
        assert cassette.manifest.endpoint.provider == "azure"
        assert all(
            s.http and s.http.query == {"api-version": "2025-03-01-preview"} for s in cassette
        )


def test_a_retried_429_is_an_attempt_of_its_step(recorder: Recorder) -> None:
    with FakeResponsesServer(
        clicks(fault={"kind": "http", "status": 429, "retry_after": 0.01})
    ) as server:
        client = OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        )
        with client:
            responses = run(client, "plain")
        statuses = [record.status for record in server.state.log]
    assert statuses == [429, 200, 200, 200]
    cassette = closed(recorder)
    assert len(cassette.steps) == len(responses) == 3
    first = cassette.steps[0].http
    assert first is not None and first.status == 200
    (attempt,) = first.attempts
    assert attempt.status == 429 and attempt.headers["retry-after"] == "0.01"
    assert attempt.headers["x-request-id"] != first.headers["x-request-id"]
    assert [s.http.attempts for s in cassette.steps[1:]] == [[], []]  # type: ignore[union-attr]


# -- tee, errors, encodings ----------------------------------------------------------------


def test_sse_reaches_the_sync_client_while_the_exchange_is_open() -> None:
    seen: list[Exchange] = []
    with FakeResponsesServer(clicks()) as server:
        client = OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(seen.append),
        )
        with client:
            events = client.responses.create(**request_for(None, "t"), stream=True)
            arrived = []
            for event in events:
                arrived.append((event.type, len(seen)))
    # Buffering would have ended the exchange before the client saw any event.
    assert arrived[0] == ("response.created", 0)
    assert arrived[-1] == ("response.completed", 0)
    (exchange,) = seen
    assert exchange.events is not None and exchange.body == b""
    assert [name for _, name, _ in exchange.events] == [name for name, _ in arrived]


def test_sse_reaches_the_async_client_while_the_exchange_is_open() -> None:
    seen: list[Exchange] = []

    async def go(base_url: str) -> list[tuple[str, int]]:
        client = AsyncOpenAI(
            base_url=base_url, api_key="sk-test", http_client=async_recording_client(seen.append)
        )
        async with client:
            arrived = []
            async for event in await client.responses.create(**request_for(None, "t"), stream=True):
                arrived.append((event.type, len(seen)))
            return arrived

    with FakeResponsesServer(clicks()) as server:
        arrived = asyncio.run(go(server.urls.openai_base_url))
    assert arrived[0] == ("response.created", 0) and arrived[-1][1] == 0
    assert len(seen) == 1 and len(seen[0].events or []) == len(arrived)


def test_a_transport_error_is_reported_then_raised() -> None:
    server = FakeResponsesServer(clicks()).start()
    url = server.urls.openai_base_url + "/responses"
    server.stop()
    seen: list[Exchange] = []
    client = httpx2.Client(transport=RecordingTransport(seen.append))
    with pytest.raises(httpx2.ConnectError):
        client.post(url, json={"model": "m", "input": "t"})
    with pytest.raises(InvalidSetting, match=r"1 request\(s\) .* no complete exchange .*Connect"):
        client.close()  # nothing recorded: the cassette would be empty, and closing says so
    (exchange,) = seen
    assert exchange.status is None and exchange.error and "ConnectError" in exchange.error
    assert json.loads(exchange.request_body) == {"model": "m", "input": "t"}
    assert exchange.is_create and exchange.url == url


def test_a_transport_error_under_the_async_sdk_is_a_failed_step(recorder: Recorder) -> None:
    server = FakeResponsesServer(clicks()).start()
    base_url = server.urls.openai_base_url
    server.stop()

    async def go() -> None:
        client = AsyncOpenAI(
            base_url=base_url,
            api_key="sk-test",
            max_retries=0,
            http_client=async_recording_client(recorder.exchange),
        )
        async with client:
            await client.responses.create(**request_for(None, "t"))

    with pytest.raises(openai.APIConnectionError):
        asyncio.run(go())
    cassette = closed(recorder)
    (step,) = cassette.steps
    assert step.error and "ConnectError" in step.error
    assert step.http is not None and step.http.status is None


def test_a_connection_dropped_mid_body_is_reported_with_its_status() -> None:
    seen: list[Exchange] = []
    with FakeResponsesServer(clicks(fault={"kind": "drop"})) as server:
        client = OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            max_retries=0,
            http_client=recording_client(seen.append),
        )
        with client, pytest.raises(openai.APIConnectionError):
            client.responses.create(**request_for(None, "t"))
    (exchange,) = seen
    assert exchange.status == 200 and exchange.body.startswith(b'{"id": "resp_')
    assert exchange.error and "RemoteProtocolError" in exchange.error


@pytest.fixture
def gzipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fake server answers gzip-compressed, event streams included."""
    call = FakeResponsesApp.__call__

    async def compressed(
        self: FakeResponsesApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await call(self, scope, receive, send)

        await GZipMiddleware(app, minimum_size=1, exclude_content_types=())(scope, receive, send)

    monkeypatch.setattr(FakeResponsesApp, "__call__", compressed)


@pytest.mark.usefixtures("gzipped")
@pytest.mark.parametrize("mode", ["plain", "create_stream"])
def test_gzip_answers_are_recorded_decoded(mode: str) -> None:
    seen: list[Exchange] = []
    with FakeResponsesServer(clicks()) as server:
        client = OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(seen.append),
        )
        with client:
            response = create(client, mode, request_for(None, "t"))
    (exchange,) = seen
    assert ("content-encoding", "gzip") in exchange.response_headers
    assert exchange.error is None
    if mode == "plain":
        assert json.loads(exchange.body)["id"] == response.id
    else:
        assert exchange.events is not None
        assert exchange.events[-1][1] == "response.completed"
        assert exchange.events[-1][2]["response"]["id"] == response.id


def test_transport_options_next_to_a_transport_are_refused() -> None:
    with pytest.raises(InvalidSetting, match="set them on the transport you pass"):
        recording_client(print, transport=httpx2.HTTPTransport(), http2=True)
    with pytest.raises(InvalidSetting, match="verify"):
        async_recording_client(print, transport=httpx2.AsyncHTTPTransport(), verify=False)


def test_the_sse_parser_handles_split_lines_comments_and_multiline_data() -> None:
    wire = b': keep-alive\r\nevent: one\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: plain\n\n'
    parser = SseParser()
    events = [event for byte in range(len(wire)) for event in parser.feed(wire[byte : byte + 1])]
    assert events == [("one", {"a": 1}), ("message", "plain")]


EVENT_NAMES = st.sampled_from(["response.created", "response.output_text.delta", "error"])
EVENT_DATA = st.dictionaries(
    st.text(max_size=6), st.text(max_size=12) | st.integers() | st.none(), max_size=3
)


@given(
    events=st.lists(st.tuples(EVENT_NAMES, EVENT_DATA), max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=8),
)
def test_the_sse_parser_gives_the_same_events_however_the_stream_is_cut(
    events: list[tuple[str, dict[str, Any]]], newline: str, cuts: list[int]
) -> None:
    wire = "".join(
        f"event: {name}{newline}data: {json.dumps(data, ensure_ascii=False)}{newline}{newline}"
        for name, data in events
    ).encode()
    bounds = [0, *sorted(cut for cut in cuts if cut < len(wire)), len(wire)]
    parser = SseParser()
    parsed = [e for a, b in itertools.pairwise(bounds) for e in parser.feed(wire[a:b])]
    assert parsed == events


# -- the loop engine -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("history", ["chain", "full"])
def test_a_loop_run_records_http_events_and_retries(
    browser: BrowserHarness, tmp_path: Path, history: str, stream: bool
) -> None:
    data = load_scenario("form").model_dump(mode="json")
    data["turns"][1]["fault"] = {"kind": "http", "status": 429, "retry_after": 0.01}
    scenario = Scenario.model_validate(data)
    recorder = Recorder.open(tmp_path / "cas", new_manifest(task=scenario.task), environ={})
    outcome = run_scenario(
        browser,
        scenario,
        tool="computer",  # one call per turn: step n answers turn n
        history=history,
        stream=stream,
        listeners=[recorder],
        http_client=async_recording_client(recorder.exchange),
    )
    assert outcome.result.stop.reason is StopReason.COMPLETED, outcome.result.stop.detail
    cassette = load_cassette(tmp_path / "cas")
    assert cassette.complete and len(cassette.steps) == len(scenario.turns)
    for number, step in enumerate(cassette.steps, start=1):
        assert step.http is not None and step.http.status == 200
        assert step.http.headers["x-request-id"].startswith("req_")
        assert [a.status for a in step.http.attempts] == ([429] if number == 2 else [])
        assert step.response is not None
        if stream:
            assert step.events is not None
            times = [event.t_ms for event in step.events]
            assert times == sorted(times)
            assert step.events[-1].event == "response.completed"
            assert step.events[-1].data["response"]["id"] == step.response["id"]
        else:
            assert step.events is None
    assert all(step.observations for step in cassette.steps[:-1])
    assert "data:image" not in (tmp_path / "cas" / "steps.jsonl").read_text()


def test_the_async_transport_reports_an_exchange_once_when_closed_early() -> None:
    seen: list[Exchange] = []

    async def go(url: str) -> None:
        transport = AsyncRecordingTransport(seen.append)
        async with httpx2.AsyncClient(transport=transport) as client:
            body = {**request_for(None, "t"), "stream": True}
            async with client.stream(
                "POST", url, json=body, headers={"authorization": "Bearer x"}
            ) as response:
                async for _ in response.aiter_bytes():
                    break

    with FakeResponsesServer(clicks()) as server:
        asyncio.run(go(server.urls.openai_base_url + "/responses"))
    (exchange,) = seen
    assert exchange.status == 200


def test_a_mock_transport_records_every_exchange(tmp_path: Path) -> None:
    """A mock built whole (``json=``) is never read through its stream; it is recorded anyway."""
    body = {
        "id": "resp_mock",
        "object": "response",
        "created_at": 1,
        "model": "computer-use-preview",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "done", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=body)

    recorder = Recorder.open(tmp_path / "mock", new_manifest(task="t"), environ={})
    client = recording_client(recorder.exchange, transport=httpx2.MockTransport(handler))
    with OpenAI(base_url="http://mock.invalid/v1", api_key="sk-x", http_client=client) as sdk:
        for _ in range(2):
            assert sdk.responses.create(model="computer-use-preview", input="go").output_text
    recorder.close()
    cassette = load_cassette(tmp_path / "mock")
    assert len(cassette.steps) == 2
    assert all(step.response == body for step in cassette.steps)
