"""Benchmark: the Agents SDK computer-use agent replayed offline vs run against the fake server.

Not a test. Issue 12's note asks for this figure. The agent is the one of
``tests/clients/agents_computer.py`` (``Agent`` + ``ComputerTool`` over the
Agents SDK docs' Playwright ``AsyncComputer``, on real headless Chromium and the
offline fixture site), running the "model version 1" task of fixtures/diff.

It is recorded once (``async_recording_client``) into a temporary cassette. Then
pairs of runs alternate (fake, replay, replay, fake, ...) ``--repeat`` times:

fake
    ``AsyncOpenAI(base_url=<fake server>)``: the model is the fake Responses
    server on loopback (started once, before the timings; its start is not
    counted), every answer made up and sent over HTTP.
replay
    ``AsyncOpenAI(http_client=async_replay_client(cassette))``: no socket, every
    answer read from the cassette, each request checked against the recorded one.
    The cassette is loaded inside the timing.

Each run is timed from creating the client to the agent's final output
(Chromium launch and the page work included: they are the same in both), and
so is its model wait: the time spent in the client's transport, from sending
each request to the last byte of its answer, summed over the run. Ratio =
median replay / median fake (below 1: the replay is faster), for both.

Usage: PYTHONPATH=. python tools/bench_agents_sdk.py [--repeat 5] [--model computer-use-preview]
       [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the agent and its computer live in the test suite
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")


def scenario() -> Any:
    from cua_replay.server import load_scenario
    from tests.clients.checks import V1, without_url_expectations

    return without_url_expectations(load_scenario(V1))


class Timed:
    """An ``httpx2`` async transport that times each exchange, body included, around ``inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    async def handle_async_request(self, request: Any) -> Any:
        import httpx2

        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.stream])
        await response.aclose()
        self.seconds += time.perf_counter() - started
        return httpx2.Response(
            response.status_code, headers=response.headers, content=raw, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def timed_client(inner: Any) -> tuple[Any, Timed]:
    import httpx2

    timed = Timed(inner)
    return httpx2.AsyncClient(transport=timed), timed  # type: ignore[arg-type]


async def run_once(client_kwargs: dict[str, Any], model: str, task: str, start: str) -> str:
    from openai import AsyncOpenAI

    from tests.clients.agents_computer import run_agent

    async with AsyncOpenAI(**client_kwargs) as client:
        result = await run_agent(client, model=model, task=task, start_url=start)
    return str(result.final_output)


def record(directory: Path, model: str) -> Path:
    from cua_replay.record import Recorder, async_recording_client, new_manifest
    from cua_replay.server import FakeResponsesServer

    plan = scenario()
    recorder = Recorder.open(directory, new_manifest(task=plan.task), environ={})
    with FakeResponsesServer(plan) as server:
        kwargs = {
            "base_url": server.urls.openai_base_url,
            "api_key": "sk-bench",
            "http_client": async_recording_client(recorder.exchange),
        }
        final = asyncio.run(run_once(kwargs, model, plan.task, plan.start_url))
    recorder.close()
    if final != plan.turns[-1].message:
        raise SystemExit(f"the recording run ended with {final!r}")
    return directory


def timed_fake(base_url: str, model: str) -> tuple[float, float]:
    """(run, model wait) in seconds, against the fake server at ``base_url``."""
    import httpx2

    plan = scenario()
    started = time.perf_counter()
    http, timed = timed_client(httpx2.AsyncHTTPTransport())
    kwargs = {"base_url": base_url, "api_key": "sk-bench", "http_client": http}
    final = asyncio.run(run_once(kwargs, model, plan.task, plan.start_url))
    elapsed = time.perf_counter() - started
    if final != plan.turns[-1].message:
        raise SystemExit(f"a fake-server run ended with {final!r}")
    return elapsed, timed.seconds


def timed_replay(cassette: Path, model: str) -> tuple[float, float]:
    """(run, model wait) in seconds, every answer from ``cassette``."""
    from cua_replay.replay.transport import ReplayTransport

    plan = scenario()
    started = time.perf_counter()
    replay = ReplayTransport(cassette)
    http, timed = timed_client(replay)
    kwargs = {"base_url": "http://replay.invalid/v1", "api_key": "unused", "http_client": http}
    final = asyncio.run(run_once(kwargs, model, plan.task, plan.start_url))
    elapsed = time.perf_counter() - started
    replay.check()
    if final != plan.turns[-1].message or not replay.finished:
        raise SystemExit(f"a replay ended with {final!r} (finished={replay.finished})")
    return elapsed, timed.seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="pairs of runs (default 5)")
    parser.add_argument("--model", default="computer-use-preview")
    parser.add_argument("--quick", action="store_true", help="one pair: a smoke test")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat

    from cua_replay.server import FakeResponsesServer

    fake: list[tuple[float, float]] = []
    replay: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cassette = record(Path(tmp) / "agent", args.model)
        with FakeResponsesServer(scenario()) as server:
            timed_fake(server.urls.openai_base_url, args.model)  # warm-up: imports, Chromium
            for pair in range(repeat):
                order = ("fake", "replay") if pair % 2 == 0 else ("replay", "fake")
                for kind in order:
                    if kind == "fake":
                        fake.append(timed_fake(server.urls.openai_base_url, args.model))
                    else:
                        replay.append(timed_replay(cassette, args.model))
    figures: dict[str, Any] = {"model": args.model, "pairs": repeat}
    for name, runs in (("fake", fake), ("replay", replay)):
        figures[f"{name}_run_s"] = [run for run, _ in runs]
        figures[f"{name}_model_wait_s"] = [wait for _, wait in runs]
    for part in ("run", "model_wait"):
        a = statistics.median(figures[f"fake_{part}_s"])
        b = statistics.median(figures[f"replay_{part}_s"])
        figures[f"{part}_median_s"] = {"fake": a, "replay": b, "ratio": b / a}
    run, wait = figures["run_median_s"], figures["model_wait_median_s"]
    print(f"Agents SDK ({args.model}), {repeat} interleaved pair(s), medians:")
    print(
        f"  whole run:  fake server {run['fake']:.3f} s, offline replay {run['replay']:.3f} s "
        f"(replay / fake = {run['ratio']:.2f}, speed-up {1 / run['ratio']:.2f}x)"
    )
    print(
        f"  model wait: fake server {wait['fake'] * 1000:.1f} ms, offline replay "
        f"{wait['replay'] * 1000:.1f} ms (replay / fake = {wait['ratio']:.2f}, "
        f"speed-up {1 / wait['ratio']:.2f}x)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
