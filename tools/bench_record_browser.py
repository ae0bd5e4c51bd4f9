"""Benchmark: what recording costs a real run, in a real browser. Not a test.

``tools/bench_cassette.py`` measures recording against a run with no browser
(a fake executor serving PNGs), the harshest baseline: a step there costs a few
milliseconds, so writing a 270 KB screenshot is a visible share of it. This
script measures the same recorder (loop listener + recording transport) on the
run a user records: the loop engine driving headless Chromium on the fixture
site through the Playwright executor, against the in-process fake server, the
24-step scenario of tests/cassette/long.yaml (scrolls, moves, waits, clicks).

Runs alternate (plain, recorded, plain, recorded, ...) in one browser, each in
a fresh context; the timed window is ``await loop.run(task)``. Goal (issue 5):
recorded <= 1.10x plain.

Usage: python tools/bench_record_browser.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI

from cua_replay.backends import SDKBackend
from cua_replay.events import StopReason
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.loop import Loop, LoopConfig
from cua_replay.record import Recorder, async_recording_client, new_manifest
from cua_replay.safety import AllowGate
from cua_replay.sandbox import open_sandbox
from cua_replay.server import FakeResponsesServer, load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "tests" / "cassette" / "long.yaml"


async def one_run(sandbox: Any, record: Path | None) -> tuple[float, int]:
    scenario = load_scenario(str(SCENARIO))
    with FakeResponsesServer(scenario, seed="bench") as server:
        recorder = None
        http_client = None
        if record is not None:
            recorder = Recorder.open(record, new_manifest(task=scenario.task), environ={})
            http_client = async_recording_client(recorder.exchange)
        backend = SDKBackend(
            AsyncOpenAI(
                base_url=server.urls.openai_base_url, api_key="sk-bench", http_client=http_client
            )
        )
        context = await sandbox.browser.new_context(viewport={"width": 1024, "height": 768})
        try:
            await sandbox.site.install(context)
            page = await context.new_page()
            await page.goto(scenario.start_url or "", wait_until="load")
            loop = Loop(
                backend,
                PlaywrightExecutor(page),
                AllowGate(frozenset({"malicious_instructions"})),
                LoopConfig(model=scenario.model, tool="computer_use_preview", max_steps=40),
                listeners=[recorder] if recorder is not None else [],
            )
            started = time.perf_counter()
            result = await loop.run(scenario.task)
            elapsed = time.perf_counter() - started
        finally:
            await context.close()
            await backend.aclose()
    if result.stop.reason is not StopReason.COMPLETED:
        raise RuntimeError(f"the run did not complete: {result.stop}")
    return elapsed, len(result.responses)


async def main_async(runs: int) -> dict[str, Any]:
    plain: list[float] = []
    recorded: list[float] = []
    steps = 0
    with tempfile.TemporaryDirectory() as tmp:
        async with open_sandbox() as sandbox:
            await one_run(sandbox, None)  # warm-up, not counted
            for index in range(runs):
                for kind, into in (("plain", plain), ("recorded", recorded)):
                    where = Path(tmp) / f"run-{index}" if kind == "recorded" else None
                    seconds, steps = await one_run(sandbox, where)
                    into.append(seconds)
    return {
        "steps": steps,
        "runs": runs,
        "plain_s": plain,
        "recorded_s": recorded,
        "plain_median_s": statistics.median(plain),
        "recorded_median_s": statistics.median(recorded),
        "ratio": statistics.median(recorded) / statistics.median(plain),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(main_async(args.runs))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    steps = report["steps"]
    print(f"{steps}-step run in headless Chromium, {args.runs} interleaved pairs, medians:")
    for kind in ("plain", "recorded"):
        median = report[f"{kind}_median_s"]
        print(f"  {kind:<9} {median:7.3f} s  ({median / steps * 1000:6.1f} ms/step)")
    verdict = "PASS" if report["ratio"] <= 1.10 else "MISS"
    print(f"  recorded / plain = {report['ratio']:.3f}x   {verdict} (goal <= 1.10x)")


if __name__ == "__main__":
    main()
