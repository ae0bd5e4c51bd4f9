"""Benchmark: ``cua-replay proxy`` overhead, replaying and recording. Not a test.

* replay: a request carrying a ~300 KB screenshot answered by the proxy from a
  cassette, vs the same request answered by a bare uvicorn app that reads the
  body and returns the recorded response (the floor any HTTP replay pays).
  Goal: proxy <= 2x echo.
* record: the same request through the recording proxy to an upstream that
  takes 50 ms, vs the client talking to that upstream directly.
  Goal: <= 1.10x.

Pairs are interleaved (the order alternates) and medians reported. The client
is one keep-alive ``httpx2.Client`` per side.

    PYTHONPATH=. .venv/bin/python tools/bench_proxy.py [--repeat 30]
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
from starlette.responses import Response
from starlette.routing import Route

from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from cua_replay.server.runner import _PromptServer, bind, uvicorn_config
from cua_replay.server.scenario import load_scenario

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


def canned_app(answer: bytes, latency: float = 0.0) -> Starlette:
    """Reads the body, answers ``answer`` (after ``latency`` seconds: a model's think time)."""

    async def responses(request: Request) -> Response:
        await request.body()
        if latency:  # simulated upstream latency: a timer, not a sleep in the code under test
            loop = asyncio.get_running_loop()
            done = loop.create_future()
            loop.call_later(latency, done.set_result, None)
            await done
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"])])


def timed(send: Callable[[], httpx2.Response]) -> float:
    start = time.perf_counter()
    answer = send()
    elapsed = time.perf_counter() - start
    assert answer.status_code == 200, answer.text[:300]
    return elapsed


def pairs(
    a: Callable[[], httpx2.Response], b: Callable[[], httpx2.Response], repeat: int
) -> tuple[float, float]:
    first: list[float] = []
    second: list[float] = []
    for index in range(repeat):
        if index % 2:
            second.append(timed(b))
            first.append(timed(a))
        else:
            first.append(timed(a))
            second.append(timed(b))
    return statistics.median(first), statistics.median(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    repeat: int = args.repeat
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
                lambda: client.post(url, content=body, headers=headers),
                lambda: client.post(f"{echo}/v1/responses", content=body, headers=headers),
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
                lambda: client.post(url, content=body, headers=headers),
                lambda: client.post(f"{upstream}/v1/responses", content=body, headers=headers),
                repeat,
            )
        print(
            f"record  proxy {recording * 1000:7.2f} ms  direct   {direct * 1000:7.2f} ms  "
            f"ratio {recording / direct:.3f}x  (goal <= 1.10x, upstream "
            f"{UPSTREAM_LATENCY * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
