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
(Chromium launch and the page work included: they are the same in both).
Ratio = median replay / median fake (below 1: the replay is faster).

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


def timed_fake(base_url: str, model: str) -> float:
    plan = scenario()
    started = time.perf_counter()
    final = asyncio.run(
        run_once({"base_url": base_url, "api_key": "sk-bench"}, model, plan.task, plan.start_url)
    )
    elapsed = time.perf_counter() - started
    if final != plan.turns[-1].message:
        raise SystemExit(f"a fake-server run ended with {final!r}")
    return elapsed


def timed_replay(cassette: Path, model: str) -> float:
    from cua_replay.replay import async_replay_client

    plan = scenario()
    started = time.perf_counter()
    http = async_replay_client(cassette)
    kwargs = {"base_url": "http://replay.invalid/v1", "api_key": "unused", "http_client": http}
    final = asyncio.run(run_once(kwargs, model, plan.task, plan.start_url))
    elapsed = time.perf_counter() - started
    http.replay.check()
    if final != plan.turns[-1].message or not http.replay.finished:
        raise SystemExit(f"a replay ended with {final!r} (finished={http.replay.finished})")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="pairs of runs (default 5)")
    parser.add_argument("--model", default="computer-use-preview")
    parser.add_argument("--quick", action="store_true", help="one pair: a smoke test")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat

    from cua_replay.server import FakeResponsesServer

    fake: list[float] = []
    replay: list[float] = []
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
    figures = {
        "model": args.model,
        "pairs": repeat,
        "fake_median_s": statistics.median(fake),
        "replay_median_s": statistics.median(replay),
        "fake_s": fake,
        "replay_s": replay,
    }
    figures["ratio"] = figures["replay_median_s"] / figures["fake_median_s"]
    print(
        f"Agents SDK ({args.model}), {repeat} interleaved pair(s): "
        f"fake server {figures['fake_median_s']:.3f} s, "
        f"offline replay {figures['replay_median_s']:.3f} s (median); "
        f"speed-up {1 / figures['ratio']:.2f}x (replay / fake = {figures['ratio']:.2f})"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
