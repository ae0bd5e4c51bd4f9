"""Benchmark: how long the fake Responses server takes to handle a request carrying a screenshot.

Not a test. Side by side in one run, on one machine, it sends the same ~300 KB
request bodies to the fake server (``FakeResponsesServer``) and to a bare ASGI
echo app served by uvicorn with the fake's own config (``runner.bind`` and
``runner.uvicorn_server``), interleaving the two so machine noise hits both
alike, and reports the ratio of the median handling times.

Issue 11, point 7. Baseline (the issue, at 4e33dc5): fake/echo 1.7x with the
client, the fake server and the echo app in separate processes, 2.7x all in one
process. Goal: < 1.5x in the realistic set-up, which is the default here
(``--topology separate``): the fake server and the echo app each run in a child
process of their own (this script with ``--serve fake|echo``: the server on
loopback in a background thread, exactly as in a user's process, the main
thread waiting), and the client is this process. ``--topology inprocess`` runs
both servers in background threads of the client's process (the older set-up,
where the client, both servers and the GIL compete); ``both`` runs the two.

Two request shapes, both with a deterministic 1024x768 PNG "screenshot" as a
base64 data URL:

* ``follow-up``: the agent loop's common case, a ``computer_call_output``
  answering the previous response's call through ``previous_response_id``,
  with the screenshot and a ``current_url`` (computer_use_preview tool);
* ``first``: a first request whose user message carries the task and the
  screenshot as ``input_image``; each one opens a new conversation.

Usage: python tools/bench_server.py [--requests 300] [--warmup 20] [--mode both]
       [--topology separate|inprocess|both] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import base64
import gc
import http.client
import json
import os
import random
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from cua_replay.server import FakeResponsesServer, Scenario
from cua_replay.server.runner import bind, uvicorn_server

WIDTH, HEIGHT = 1024, 768
PATH = "/v1/responses"
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
TOOLS = [
    {
        "type": "computer_use_preview",
        "display_width": WIDTH,
        "display_height": HEIGHT,
        "environment": "browser",
    }
]
TASK = "Find the blue mug on shop.example and add it to the cart."
CURRENT_URL = "https://shop.example/products/blue-mug"
GOAL = 1.5  # issue 11, separate processes (issue 1's goal was <= 2x in one process)

# -- the screenshot -----------------------------------------------------------------------

_BACKGROUND = b"\xf4\xf5\xf7"
_HEADER = b"\x23\x4a\x8c"
_INK = [bytes((20 + 14 * i, 24 + 14 * i, 32 + 13 * i)) for i in range(16)]
_INK_OF_BYTE = bytes(b % 16 for b in range(256))
_PHOTO_X, _PHOTO_WIDTH, _PHOTO_TOP = 680, 320, 80


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _render_png(seed: int, photo_rows: int) -> bytes:
    """A page-like RGB image: header bar, lines of noisy "text", a noisy "photo" block."""
    rng = random.Random(seed)
    rows: list[bytes] = []
    for y in range(HEIGHT):
        row = bytearray(_BACKGROUND * WIDTH)
        if y < 56:
            row[:] = _HEADER * WIDTH
        elif y % 18 < 12 and y < HEIGHT - 20:
            pixels = rng.randbytes(rng.randrange(200, 600)).translate(_INK_OF_BYTE)
            line = b"".join([_INK[i] for i in pixels])
            row[120 : 120 + len(line)] = line
        if _PHOTO_TOP <= y < _PHOTO_TOP + photo_rows:
            start = 3 * _PHOTO_X
            row[start : start + 3 * _PHOTO_WIDTH] = rng.randbytes(3 * _PHOTO_WIDTH)
        rows.append(b"\x00" + bytes(row))  # filter type 0 (None) per scanline
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


def screenshot_png(target: int = 300_000, seed: int = 7) -> bytes:
    """Deterministic PNG bytes of about ``target`` bytes: the photo block's height sets the size."""
    row_bytes = 3 * _PHOTO_WIDTH  # random bytes do not compress
    limit = HEIGHT - _PHOTO_TOP
    rows = 0
    png = _render_png(seed, rows)
    for _ in range(3):
        rows = max(0, min(limit, rows + (target - len(png)) // row_bytes))
        png = _render_png(seed, rows)
    return png


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -- the baseline -------------------------------------------------------------------------


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: read the whole body, answer a small JSON saying how much arrived."""
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    reply = b'{"object":"echo","bytes":%d}' % len(body)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(reply)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": reply})


class EchoServer:
    """``echo_app`` on loopback in a background thread, exactly as the fake server is run."""

    def __init__(self) -> None:
        self._socket = bind("127.0.0.1", 0)
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn_server(echo_app)  # type: ignore[arg-type]
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name="bench-echo-server",
        )

    def __enter__(self) -> EchoServer:
        self._thread.start()
        ready = threading.Event()
        while not self._server.started and self._thread.is_alive():
            ready.wait(0.005)
        if not self._server.started:
            raise RuntimeError("the echo server failed to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def _scenario(turns: int) -> Scenario:
    click = {"type": "click", "button": "left", "x": 10, "y": 10}
    return Scenario.model_validate(
        {
            "name": "bench",
            "task": TASK,
            "turns": [{"actions": [click]}] * turns + [{"message": "done"}],
        }
    )


def serve_child(kind: str, turns: int) -> int:
    """``--serve fake|echo``: serve on loopback, print the port, stop when stdin closes."""
    if kind == "fake":
        with FakeResponsesServer(_scenario(turns), seed="bench") as server:
            print(urlsplit(server.urls.openai_base_url).port, flush=True)
            sys.stdin.read()
    else:
        with EchoServer() as echo:
            print(echo.port, flush=True)
            sys.stdin.read()
    return 0


@contextmanager
def child_server(kind: str, turns: int) -> Iterator[int]:
    """A ``--serve`` child process; yields its port."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--turns", str(turns)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the {kind} server child did not start (exit {child.poll()})")
        yield int(line)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextmanager
def servers(topology: str, turns: int) -> Iterator[tuple[int, int]]:
    """(fake port, echo port): in child processes (``separate``) or in this one."""
    if topology == "separate":
        with child_server("fake", turns) as fake, child_server("echo", turns) as echo:
            yield fake, echo
    else:
        with FakeResponsesServer(_scenario(turns), seed="bench") as server, EchoServer() as e:
            yield urlsplit(server.urls.openai_base_url).port or 80, e.port


# -- the client ---------------------------------------------------------------------------


class _Connection(http.client.HTTPConnection):
    """With ``TCP_NODELAY``, as the SDK's httpx (through anyio) connects: ``http.client``
    writes the headers and the body separately, and Nagle's algorithm must not hold either
    back waiting for an ACK, or TCP timers rather than the servers get measured."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """One keep-alive connection; ``post`` returns (seconds, parsed JSON body)."""

    def __init__(self, port: int) -> None:
        self.conn = _Connection("127.0.0.1", port, timeout=30)
        self.response_bytes = 0

    def post(self, body: bytes) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        self.conn.request("POST", PATH, body=body, headers=HEADERS)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {raw[:500]!r}")
        self.response_bytes = len(raw)
        return elapsed, json.loads(raw)

    def close(self) -> None:
        self.conn.close()


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _first_body(image: str | None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": TASK}]
    if image is not None:
        content.append({"type": "input_image", "image_url": image, "detail": "auto"})
    return {
        "model": "computer-use-preview",
        "tools": TOOLS,
        "input": [{"role": "user", "content": content}],
        "truncation": "auto",
    }


def _follow_up_body(previous: dict[str, Any], image: str) -> dict[str, Any]:
    call = next(item for item in previous["output"] if item["type"] == "computer_call")
    return {
        "model": "computer-use-preview",
        "previous_response_id": previous["id"],
        "tools": TOOLS,
        "input": [
            {
                "type": "computer_call_output",
                "call_id": call["call_id"],
                "acknowledged_safety_checks": [],
                "output": {"type": "computer_screenshot", "image_url": image},
                "current_url": CURRENT_URL,
            }
        ],
        "truncation": "auto",
    }


def _run_pairs(
    fake: Client,
    echo: Client,
    next_body: Callable[[dict[str, Any] | None], bytes],
    warmup: int,
    requests: int,
) -> tuple[list[float], list[float], int]:
    """Send each body to both servers, alternating which goes first; keep the timed ones."""
    fake_times: list[float] = []
    echo_times: list[float] = []
    last: dict[str, Any] | None = None
    size = 0
    for index in range(warmup + requests):
        body = next_body(last)
        size = len(body)
        if index % 2 == 0:
            fake_time, last = fake.post(body)
            echo_time, _ = echo.post(body)
        else:
            echo_time, _ = echo.post(body)
            fake_time, last = fake.post(body)
        if index >= warmup:
            fake_times.append(fake_time)
            echo_times.append(echo_time)
    return fake_times, echo_times, size


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p90_ms": p90 * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "min_ms": ordered[0] * 1000,
        "requests_per_s": len(ordered) / sum(ordered),
    }


def bench_mode(
    mode: str, image: str, requests: int, warmup: int, topology: str = "separate"
) -> dict[str, Any]:
    """One fresh fake server and echo server; ``requests`` timed pairs after ``warmup``."""
    with servers(topology, requests + warmup) as (fake_port, echo_port):
        fake = Client(fake_port)
        echo = Client(echo_port)
        try:
            if mode == "follow-up":
                # The conversation's first request (no screenshot) is setup, not timed.
                _, opening = fake.post(_encode(_first_body(None)))

                def next_body(last: dict[str, Any] | None) -> bytes:
                    return _encode(_follow_up_body(last or opening, image))

            else:
                first = _encode(_first_body(image))

                def next_body(last: dict[str, Any] | None) -> bytes:
                    return first

            fake_times, echo_times, size = _run_pairs(fake, echo, next_body, warmup, requests)
            fake_reply = fake.response_bytes
        finally:
            fake.close()
            echo.close()
    fake_stats, echo_stats = _stats(fake_times), _stats(echo_times)
    return {
        "mode": mode,
        "topology": topology,
        "body_bytes": size,
        "fake_response_bytes": fake_reply,
        "requests": requests,
        "warmup": warmup,
        "fake": fake_stats,
        "echo": echo_stats,
        "ratio_median": fake_stats["median_ms"] / echo_stats["median_ms"],
        "ratio_mean": fake_stats["mean_ms"] / echo_stats["mean_ms"],
        "ratio_min": fake_stats["min_ms"] / echo_stats["min_ms"],
        "ratio_paired_median": statistics.median(
            f / e for f, e in zip(fake_times, echo_times, strict=True)
        ),
    }


def _table(png: bytes, image: str, results: list[dict[str, Any]]) -> str:
    lines = [
        f"screenshot: {WIDTH}x{HEIGHT} PNG, {len(png):,} bytes; data URL {len(image):,} chars",
        "",
        "topology: separate = client, fake server and echo app in three processes; "
        "inprocess = all three in one",
        "",
        f"{'topology':<10} {'mode':<10} {'server':<6} {'body B':>9} {'median ms':>10} "
        f"{'p90 ms':>8} {'mean ms':>8} {'min ms':>7} {'req/s':>7}",
    ]
    for result in results:
        for name in ("fake", "echo"):
            s = result[name]
            lines.append(
                f"{result['topology']:<10} {result['mode']:<10} {name:<6} "
                f"{result['body_bytes']:>9,} "
                f"{s['median_ms']:>10.2f} {s['p90_ms']:>8.2f} {s['mean_ms']:>8.2f} "
                f"{s['min_ms']:>7.2f} {s['requests_per_s']:>7.0f}"
            )
        verdict = "ok" if result["ratio_median"] <= GOAL else f"ABOVE the {GOAL:g}x goal"
        lines.append(
            f"{result['topology']:<10} {result['mode']:<10} ratio fake/echo: median "
            f"{result['ratio_median']:.2f}x "
            f"({verdict}); mean {result['ratio_mean']:.2f}x, min {result['ratio_min']:.2f}x, "
            f"median of pairs {result['ratio_paired_median']:.2f}x"
        )
        lines.append(
            f"{'':<21} {result['requests']} timed pairs after {result['warmup']} warm-up; "
            f"fake's reply {result['fake_response_bytes']:,} B"
        )
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed pairs per mode")
    parser.add_argument("--warmup", type=int, default=20, help="untimed pairs first, per mode")
    parser.add_argument(
        "--mode", choices=["follow-up", "first", "both"], default="both", help="request shape"
    )
    parser.add_argument("--png-bytes", type=int, default=300_000, help="screenshot size target")
    parser.add_argument(
        "--topology",
        choices=["separate", "inprocess", "both"],
        default="separate",
        help="servers in child processes (default) or in this process",
    )
    parser.add_argument("--quick", action="store_true", help="smoke: 20 requests, 2 warm-up")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--serve", choices=["fake", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--turns", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve_child(args.serve, args.turns)
    if args.quick:
        args.requests, args.warmup = 20, 2
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be >= 1 and --warmup >= 0")

    png = screenshot_png(args.png_bytes)
    image = data_url(png)
    modes = ["follow-up", "first"] if args.mode == "both" else [args.mode]
    topologies = ["separate", "inprocess"] if args.topology == "both" else [args.topology]
    load_before = os.getloadavg()[0]
    results = []
    for topology in topologies:
        for mode in modes:
            results.append(bench_mode(mode, image, args.requests, args.warmup, topology))
            gc.collect()  # drop the previous mode's server state before the next one
    load = [load_before, os.getloadavg()[0]]
    if args.json:
        report = {
            "png_bytes": len(png),
            "data_url_chars": len(image),
            "goal_ratio": GOAL,
            "load": load,
            "results": results,
            "within_goal": all(r["ratio_median"] <= GOAL for r in results),
        }
        print(json.dumps(report, indent=2))
    else:
        print(_table(png, image, results))
        print(f"load average {load[0]:.2f} before, {load[1]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
