"""Recording through mocks, as a team tests its client code, and never silently empty.

``httpx2.MockTransport`` (bodies built whole, or streamed) and ``pytest_httpx2``'s
``httpx2_mock`` (a pytest-httpx style mock that patches ``HTTPTransport``, so it
sits *under* the recording transport's default inner transport) both record
every exchange the real SDK makes, sync and async. A transport that forwarded
requests but recorded nothing, or met a body it cannot tee, fails when it is
closed, in one line; while another error is on its way out it only logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI, OpenAI
from pytest_httpx2 import HTTPXMock, IteratorStream

from cua_replay.cassette import load_cassette
from cua_replay.errors import InvalidSetting
from cua_replay.record import Recorder, new_manifest
from cua_replay.record.transport import (
    RecordingTransport,
    async_recording_client,
    recording_client,
)

BASE_URL = "http://mock.invalid/v1"


def body(n: int) -> dict[str, Any]:
    return {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": 1,
        "model": "computer-use-preview",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": f"msg_{n}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": f"done {n}", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


def sse(n: int) -> list[bytes]:
    """The stream of response ``n``: created, then completed, one chunk per event."""
    events = [
        ("response.created", {**body(n), "status": "in_progress", "output": []}),
        ("response.completed", body(n)),
    ]
    return [
        f"event: {name}\ndata: {json.dumps({'type': name, 'sequence_number': i, 'response': r})}"
        "\n\n".encode()
        for i, (name, r) in enumerate(events)
    ]


def run_sync(http: httpx2.Client, stream: bool) -> list[str]:
    with OpenAI(base_url=BASE_URL, api_key="sk-x", http_client=http) as client:
        if not stream:
            return [client.responses.create(model="m", input="go").output_text for _ in range(2)]
        texts = []
        for _ in range(2):
            with client.responses.stream(model="m", input="go") as events:
                texts.append(events.get_final_response().output_text)
        return texts


def run_async(http: httpx2.AsyncClient, stream: bool) -> list[str]:
    async def go() -> list[str]:
        async with AsyncOpenAI(base_url=BASE_URL, api_key="sk-x", http_client=http) as client:
            if not stream:
                return [
                    (await client.responses.create(model="m", input="go")).output_text
                    for _ in range(2)
                ]
            texts = []
            for _ in range(2):
                async with client.responses.stream(model="m", input="go") as events:
                    texts.append((await events.get_final_response()).output_text)
            return texts

    return asyncio.run(go())


def recorded(directory: Path) -> list[str]:
    cassette = load_cassette(directory)
    return [str(step.response["id"]) for step in cassette.steps if step.response]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_mock_transport_records_every_exchange(tmp_path: Path, flavour: str, stream: bool) -> None:
    count = iter(range(1, 100))

    def handler(request: httpx2.Request) -> httpx2.Response:
        n = next(count)
        if json.loads(request.content).get("stream"):
            headers = {"content-type": "text/event-stream"}
            return httpx2.Response(200, headers=headers, content=b"".join(sse(n)))
        return httpx2.Response(200, json=body(n))

    recorder = Recorder.open(tmp_path / "cas", new_manifest(task="t"), environ={})
    mock = httpx2.MockTransport(handler)
    if flavour == "sync":
        texts = run_sync(recording_client(recorder.exchange, transport=mock), stream)
    else:
        texts = run_async(async_recording_client(recorder.exchange, transport=mock), stream)
    recorder.close()
    assert texts == ["done 1", "done 2"]
    assert recorded(tmp_path / "cas") == ["resp_1", "resp_2"]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_patched_http_transport_records_every_exchange(
    tmp_path: Path, httpx2_mock: HTTPXMock, flavour: str, stream: bool
) -> None:
    for n in (1, 2):
        if stream:
            httpx2_mock.add_response(
                headers={"content-type": "text/event-stream"}, stream=IteratorStream(sse(n))
            )
        else:
            httpx2_mock.add_response(json=body(n))
    recorder = Recorder.open(tmp_path / "cas", new_manifest(task="t"), environ={})
    if flavour == "sync":
        texts = run_sync(recording_client(recorder.exchange), stream)
    else:
        texts = run_async(async_recording_client(recorder.exchange), stream)
    recorder.close()
    assert texts == ["done 1", "done 2"]
    assert recorded(tmp_path / "cas") == ["resp_1", "resp_2"]


class Opaque:
    """A response body that is no ``httpx2`` byte stream (a broken mock)."""


def test_a_body_that_cannot_be_teed_fails_at_close_naming_the_transport() -> None:
    """httpx2's clients refuse such a body too; a caller of the transport itself does not."""
    mock = httpx2.MockTransport(lambda request: httpx2.Response(200, stream=Opaque()))  # type: ignore[arg-type]
    seen: list[Any] = []
    transport = RecordingTransport(seen.append, mock)
    transport.handle_request(httpx2.Request("POST", BASE_URL + "/responses", json={}))
    assert seen and seen[0].error and "unreadable stream" in seen[0].error
    with pytest.raises(InvalidSetting, match=r"cannot tee the responses of <httpx2\.Mock") as e:
        transport.close()
    assert "\n" not in str(e.value) and "Opaque" in str(e.value)


def test_nothing_recorded_is_logged_not_raised_while_another_error_leaves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    transport = RecordingTransport(lambda exchange: None, httpx2.MockTransport(refuse))
    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(httpx2.ConnectError),
        httpx2.Client(transport=transport) as client,
    ):
        client.post(BASE_URL + "/responses", json={})
    assert "recorded no complete exchange" in caplog.text
    assert transport.requests == 1 and transport.recorded == 0


def test_a_transport_that_saw_nothing_closes_quietly() -> None:
    transport = RecordingTransport(lambda exchange: None, httpx2.MockTransport(lambda r: None))  # type: ignore[arg-type,return-value]
    transport.close()
    transport.check()
