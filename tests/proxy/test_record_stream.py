"""Recording through the proxy: SSE relayed as it arrives, credentials forwarded, never stored."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio.to_thread
import httpx2
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from cua_replay.cassette import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from cua_replay.server.runner import _PromptServer, bind, uvicorn_config
from cua_replay.wire.sse import encode
from tests.cassette.test_secrets import spellings
from tests.proxy.conftest import KEY, SCENARIO

CANARY = "sk-canary-7e1f0c2b9d4a8e6f3b5c"


def assert_absent(directory: Path, secret: str) -> None:
    """Not raw, URL-encoded, JSON-escaped or base64 (any alignment) in any file."""
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for name, form in spellings(secret).items():
                assert form not in data, f"{name} {form!r} in {path}"


def test_a_streamed_step_is_relayed_and_recorded(tmp_path: Path) -> None:
    directory = tmp_path / "streamed"
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        ProxyServer(ProxyApp(directory, "all", upstream=upstream.urls.openai_base_url)) as proxy,
        OpenAI(base_url=proxy.urls.openai_base_url, api_key=KEY, max_retries=0) as client,
    ):
        stream = client.responses.create(
            model="gpt-5.4", tools=[{"type": "computer"}], input=SCENARIO.task, stream=True
        )
        kinds = [event.type for event in stream]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    cassette = load_cassette(directory)
    assert len(cassette) == 1
    assert cassette.steps[0].http is not None
    report = verify(directory, environ={}, secrets=[KEY])
    assert report.ok, [str(f) for f in report.findings]


class GatedUpstream:
    """An upstream that sends one event, then waits for the test before it finishes.

    If the proxy buffered the stream, the client would never see the first event
    while the upstream waits: the gate is opened only by the client having read it.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.opened_by_client: bool | None = None
        app = Starlette(routes=[Route("/v1/responses", self.responses, methods=["POST"])])
        self._socket = bind()
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/v1"
        self._server = _PromptServer(uvicorn_config(app))
        self._thread = threading.Thread(
            target=self._server.run_until_stopped, args=([self._socket],), daemon=True
        )

    async def responses(self, request: Request) -> Response:
        await request.body()
        response = {"id": "resp_gated", "object": "response", "status": "in_progress"}

        async def events() -> AsyncIterator[bytes]:
            yield encode("response.created", {"type": "response.created", "response": response})
            self.opened_by_client = await anyio.to_thread.run_sync(self.gate.wait, 30)
            done = {**response, "status": "completed", "output": []}
            yield encode("response.completed", {"type": "response.completed", "response": done})

        return StreamingResponse(events(), media_type="text/event-stream")

    def __enter__(self) -> GatedUpstream:
        self._thread.start()
        self._server.settled.wait(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self._server.request_stop()
        self._thread.join(timeout=10)
        self._socket.close()


def test_the_first_event_reaches_the_client_before_the_upstream_finishes(tmp_path: Path) -> None:
    with (
        GatedUpstream() as upstream,
        ProxyServer(ProxyApp(tmp_path / "gated", "all", upstream=upstream.base_url)) as proxy,
        httpx2.Client() as client,
        client.stream(
            "POST",
            f"{proxy.urls.openai_base_url}/responses",
            json={"model": "gpt-5.4", "input": "hi", "stream": True},
            headers={"authorization": f"Bearer {KEY}"},
        ) as answer,
    ):
        lines: Iterator[str] = answer.iter_lines()
        seen = []
        for line in lines:
            if line.startswith("event: "):
                seen.append(line.removeprefix("event: "))
                upstream.gate.set()
    assert seen == ["response.created", "response.completed"]
    assert upstream.opened_by_client is True


@pytest.mark.parametrize("header", ["authorization", "api-key", "x-custom-token"])
def test_a_canary_in_headers_and_body_never_reaches_the_cassette(
    tmp_path: Path, header: str
) -> None:
    directory = tmp_path / "canary"
    value = f"Bearer {CANARY}" if header == "authorization" else CANARY
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        ProxyServer(
            ProxyApp(directory, "all", upstream=upstream.urls.openai_base_url, secrets=(CANARY,))
        ) as proxy,
        httpx2.Client() as client,
    ):
        answer = client.post(
            f"{proxy.urls.openai_base_url}/responses?token={CANARY}",
            headers={"authorization": f"Bearer {KEY}", header: value},
            json={
                "model": "gpt-5.4",
                "tools": [{"type": "computer"}],
                "input": f"{SCENARIO.task} {CANARY}",
                "metadata": {"note": CANARY, "quoted": f'say "{CANARY}"'},
                "user": CANARY,
            },
        )
    assert answer.status_code == 200, answer.text
    assert_absent(directory, CANARY)
    report = verify(directory, environ={}, secrets=[CANARY])
    assert report.ok, [str(f) for f in report.findings]
