"""Benchmark: ``cua-replay proxy`` overhead, replaying and recording. Not a test.

* replay: a request carrying a ~300 KB screenshot answered by the proxy from a
  cassette, vs the same request answered by a bare uvicorn app that reads the
  body and returns the recorded response (the floor any HTTP replay pays).
  Goal: proxy <= 2x echo.
* record: the same request through the recording proxy to an upstream that
  takes 50 ms, vs the client talking to that upstream directly.
  Goal: <= 1.10x.
* first SSE event: the same request with ``stream: true`` to an upstream that
  emits ``response.created`` at once (stamped with the time it left) and the
  rest 50 ms later; the time from the upstream emitting the first event to the
  client having read it, through the recording proxy vs directly. Goal: the
  proxy's figure <= 5 ms (streaming is never buffered).

Pairs are interleaved (the order alternates) and medians reported. The client
is one keep-alive ``httpx2.Client`` per side.

    PYTHONPATH=. .venv/bin/python tools/bench_proxy.py [--repeat 30] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from cua_replay.server.runner import _PromptServer, bind, uvicorn_config
from cua_replay.server.scenario import load_scenario
from cua_replay.wire.sse import encode

UPSTREAM_LATENCY = 0.050
TASK = load_scenario("demo").task


def screenshot(size: int = 300_000) -> str:
    """A PNG data URL of about ``size`` bytes: noise compresses to what it is."""
    rng = random.Random(13)
    side = int((size / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def request_body(image_url: str) -> bytes:
    return json.dumps(
        {
            "model": "gpt-5.4",
            "tools": [{"type": "computer"}],
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": TASK},
                        {"type": "input_image", "image_url": image_url},
                    ],
                }
            ],
        }
    ).encode()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """A bare ASGI app on loopback in a thread: its origin."""
    sock = bind()
    server = _PromptServer(uvicorn_config(app))
    thread = threading.Thread(target=server.run_until_stopped, args=([sock],), daemon=True)
    thread.start()
    server.settled.wait(timeout=60)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.request_stop()
        thread.join(timeout=10)
        sock.close()


async def _after(latency: float) -> None:
    """Simulated upstream latency: a timer, not a sleep in the code under test."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_later(latency, done.set_result, None)
    await done


def canned_app(answer: bytes, latency: float = 0.0) -> Starlette:
    """Reads the body, answers ``answer`` (after ``latency`` seconds: a model's think time)."""

    async def responses(request: Request) -> Response:
        await request.body()
        if latency:
            await _after(latency)
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"])])


def streaming_app(latency: float = UPSTREAM_LATENCY) -> Starlette:
    """Streams ``response.created`` at once, stamped with when it left; the rest ``latency`` on."""

    async def responses(request: Request) -> Response:
        await request.body()
        response = {"id": "resp_bench", "object": "response", "status": "in_progress"}

        async def events() -> Any:
            created = {"type": "response.created", "response": response}
            yield encode("response.created", {**created, "sent_at": time.perf_counter()})
            await _after(latency)
            done = {**response, "status": "completed", "output": []}
            yield encode("response.completed", {"type": "response.completed", "response": done})

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"])])


def first_event_delay(client: httpx2.Client, url: str, body: bytes, headers: Any) -> float:
    """Seconds from the upstream emitting the first SSE event to this client having read it."""
    with client.stream("POST", url, content=body, headers=headers) as answer:
        assert answer.status_code == 200
        buffer = b""
        chunks = answer.iter_raw()
        for chunk in chunks:
            buffer += chunk
            if b"\n\n" in buffer:
                break
        received = time.perf_counter()
        for _ in chunks:  # the rest, so the connection is reused
            pass
    data = next(line for line in buffer.split(b"\n") if line.startswith(b"data: "))
    sent_at = float(json.loads(data.removeprefix(b"data: "))["sent_at"])
    return received - sent_at


def timed(send: Callable[[], httpx2.Response]) -> Callable[[], float]:
    """``send``, measured: the seconds it took, its answer checked."""

    def run() -> float:
        start = time.perf_counter()
        answer = send()
        elapsed = time.perf_counter() - start
        assert answer.status_code == 200, answer.text[:300]
        return elapsed

    return run


def pairs(a: Callable[[], float], b: Callable[[], float], repeat: int) -> tuple[float, float]:
    """Medians of ``repeat`` interleaved measurements of ``a`` and ``b`` (the order alternates)."""
    first: list[float] = []
    second: list[float] = []
    for index in range(repeat):
        if index % 2:
            second.append(b())
            first.append(a())
        else:
            first.append(a())
            second.append(b())
    return statistics.median(first), statistics.median(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="3 pairs: a smoke run")
    args = parser.parse_args()
    repeat: int = 3 if args.quick else args.repeat
    body = request_body(screenshot())
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    print(f"request body: {len(body) / 1000:.0f} KB, {repeat} interleaved pairs, medians")

    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "bench"
        # The cassette: `repeat` + 1 identical first requests, recorded through the proxy.
        with (
            FakeResponsesServer("demo") as fake,
            ProxyServer(ProxyApp(cassette, "once", upstream=fake.urls.openai_base_url)) as proxy,
            httpx2.Client() as client,
        ):
            for _ in range(repeat + 1):
                recorded = client.post(
                    f"{proxy.urls.openai_base_url}/responses", content=body, headers=headers
                )
                assert recorded.status_code == 200, recorded.text[:300]
        answer = recorded.content

        with (
            ProxyServer(ProxyApp(cassette, "none")) as proxy,
            serve(canned_app(answer)) as echo,
            httpx2.Client() as client,
        ):
            url = f"{proxy.urls.openai_base_url}/responses"
            client.post(url, content=body, headers=headers)  # warm-up: the first step
            replay, floor = pairs(
                timed(lambda: client.post(url, content=body, headers=headers)),
                timed(lambda: client.post(f"{echo}/v1/responses", content=body, headers=headers)),
                repeat,
            )
        print(
            f"replay  proxy {replay * 1000:7.2f} ms  echo app {floor * 1000:7.2f} ms  "
            f"ratio {replay / floor:.2f}x  (goal <= 2x)"
        )

        with (
            serve(canned_app(answer, UPSTREAM_LATENCY)) as upstream,
            ProxyServer(ProxyApp(Path(tmp) / "rec", "all", upstream=f"{upstream}/v1")) as proxy,
            httpx2.Client() as client,
        ):
            url = f"{proxy.urls.openai_base_url}/responses"
            client.post(url, content=body, headers=headers)
            recording, direct = pairs(
                timed(lambda: client.post(url, content=body, headers=headers)),
                timed(
                    lambda: client.post(f"{upstream}/v1/responses", content=body, headers=headers)
                ),
                repeat,
            )
        print(
            f"record  proxy {recording * 1000:7.2f} ms  direct   {direct * 1000:7.2f} ms  "
            f"ratio {recording / direct:.3f}x  (goal <= 1.10x, upstream "
            f"{UPSTREAM_LATENCY * 1000:.0f} ms)"
        )

        streamed = json.dumps({**json.loads(body), "stream": True}).encode()
        with (
            serve(streaming_app()) as upstream,
            ProxyServer(ProxyApp(Path(tmp) / "sse", "all", upstream=f"{upstream}/v1")) as proxy,
            httpx2.Client() as client,
        ):
            url = f"{proxy.urls.openai_base_url}/responses"
            first_event_delay(client, url, streamed, headers)
            through, straight = pairs(
                lambda: first_event_delay(client, url, streamed, headers),
                lambda: first_event_delay(client, f"{upstream}/v1/responses", streamed, headers),
                repeat,
            )
        print(
            f"first SSE event  proxy {through * 1000:6.2f} ms  direct {straight * 1000:6.2f} ms  "
            f"after leaving the upstream  (goal: proxy <= 5 ms; the rest follows "
            f"{UPSTREAM_LATENCY * 1000:.0f} ms later)"
        )


if __name__ == "__main__":
    main()
