"""Benchmark: the harness's own time per agent step, our loop engine against seed 001's loop.

Not a test. Side by side in one run, on one machine, both loops play the ``form``
scenario (preview tool: 6 computer calls, one action each, then a final message)
against a fresh fake Responses server (``FakeResponsesServer``) per measured run,
alternating (ours, seed, ours, seed, ...) so machine noise hits both alike.

* ours: ``cua_replay.loop.Loop`` with ``PlaywrightExecutor`` on a headless
  sandbox page, an ``AsyncOpenAI`` backend and an approving gate; the timed
  window is ``await loop.run(task)`` (the browser launch is not timed);
  steps = responses received (7: six computer calls and the final message).
* seed: tests/seeds/azure_playwright_loop.py (seed 001's complete Azure OpenAI
  + Playwright script, adapted only to reach the fake server), driven as its
  test drives it (``SEED_001_BASE_URL``, ``SEED_001_START_URL``, ``input()``
  answered with the task, "y", "exit"); the timed window is its
  ``process_model_response`` call. Its ``ITERATIONS = 5`` cap stops it before
  the scenario's final message, so per-step figures are compared, not totals;
  steps = requests the server handled in the window + the initial request
  (sent before the window), which spreads the window over one more step than
  it ran and so, if anything, flatters the seed.

The fake server's own time is measured inside it: ``FakeResponsesApp.__call__``
is wrapped for the run's duration to sum ``time.perf_counter()`` spent in each
HTTP request. Harness overhead per step = (window wall time - server time in the
window) / steps. The seed's fixed pauses (1.5 s after a click, 0.5 s
after other actions) and its 20 ms per typed character are part of its overhead:
that is what the comparison measures. Goal: the seed's median >= 8x ours.

Usage: python tools/bench_loop.py [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import contextlib
import gc
import importlib
import io
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI
from openai.types.responses import Response, ResponseComputerToolCall
from starlette.types import Receive, Scope, Send

from cua_replay.events import StopReason
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.loop import Loop, LoopConfig
from cua_replay.sandbox import open_sandbox
from cua_replay.server import FakeResponsesApp, FakeResponsesServer, Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "form"
SEED_001 = "tests.seeds.azure_playwright_loop"
GOAL = 8.0

# -- the server's own time ----------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class ServerClock:
    """Wraps ``FakeResponsesApp.__call__`` while in use: one :class:`Span` per HTTP request."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        self._original = FakeResponsesApp.__call__

    def __enter__(self) -> ServerClock:
        original = self._original
        clock = self

        async def timed(self: FakeResponsesApp, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await original(self, scope, receive, send)
                return
            started = time.perf_counter()
            try:
                await original(self, scope, receive, send)
            finally:
                span = Span(started, time.perf_counter())
                with clock._lock:
                    clock.spans.append(span)

        FakeResponsesApp.__call__ = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        FakeResponsesApp.__call__ = self._original  # type: ignore[method-assign]

    def reset(self) -> None:
        with self._lock:
            self.spans.clear()

    def within(self, started: float, ended: float) -> list[Span]:
        """The requests that began in the window ``[started, ended]``, their ends clipped to it.

        By start, not by end: the server thread may note a request's end only after
        the client, already answered, has opened the window (the seed's initial
        request) or closed it (the last request of a run).
        """
        with self._lock:
            spans = list(self.spans)
        return [
            Span(s.started, min(s.ended, ended)) for s in spans if started <= s.started <= ended
        ]


@dataclass(frozen=True)
class Measure:
    wall_s: float
    server_s: float
    steps: int
    requests: int
    note: str = ""

    @property
    def overhead_per_step_s(self) -> float:
        return (self.wall_s - self.server_s) / self.steps

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": self.wall_s,
            "server_s": self.server_s,
            "steps": self.steps,
            "requests_in_window": self.requests,
            "overhead_per_step_ms": self.overhead_per_step_s * 1000,
            "note": self.note,
        }


# -- ours ---------------------------------------------------------------------------------


class Backend:
    def __init__(self, base_url: str) -> None:
        self.client = AsyncOpenAI(base_url=base_url, api_key="sk-bench")

    async def create(self, request: dict[str, Any]) -> Response:
        return await self.client.responses.create(**request)


@dataclass(frozen=True)
class Approved:
    approved: bool = True
    decided_by: str = "bench"
    reason: str = ""


class ApproveAll:
    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Approved:
        return Approved()


async def _run_ours(scenario: Scenario, clock: ServerClock) -> Measure:
    with FakeResponsesServer(scenario, seed="bench") as server:
        backend = Backend(server.urls.openai_base_url)
        try:
            async with open_sandbox() as sandbox:
                await sandbox.page.goto(scenario.start_url or "", wait_until="load")
                loop = Loop(
                    backend,
                    PlaywrightExecutor(sandbox.page),
                    ApproveAll(),
                    LoopConfig(model="computer-use-preview", tool="computer_use_preview"),
                )
                clock.reset()
                started = time.perf_counter()
                result = await loop.run(scenario.task)
                ended = time.perf_counter()
                blocked = list(sandbox.site.blocked)
        finally:
            await backend.client.close()
        errors = [r for r in server.state.log if r.status != 200]
    if result.stop.reason is not StopReason.COMPLETED or errors or blocked:
        raise RuntimeError(
            f"our loop did not finish {SCENARIO!r} cleanly: {result.stop}, errors {errors}, "
            f"blocked {blocked}"
        )
    spans = clock.within(started, ended)
    return Measure(
        wall_s=ended - started,
        server_s=sum(s.seconds for s in spans),
        steps=len(result.responses),
        requests=len(spans),
        note=f"stop={result.stop.reason.value}",
    )


# -- the seed -----------------------------------------------------------------------------


def _run_seed(scenario: Scenario, clock: ServerClock) -> Measure:
    # The test's answers [task, "y", "exit"], given by prompt: ``form`` raises no safety
    # check, so a "y" in line would become a second task for the script.
    tasks = iter([scenario.task, "exit"])

    def answer(prompt: str = "") -> str:
        return "y" if "proceed?" in prompt else next(tasks)

    windows: list[tuple[float, float]] = []
    output = io.StringIO()
    saved_input = builtins.input
    saved_env = {k: os.environ.get(k) for k in ("SEED_001_BASE_URL", "SEED_001_START_URL")}
    with FakeResponsesServer(scenario, seed="bench") as server:
        os.environ["SEED_001_BASE_URL"] = server.urls.azure_v1_base_url
        os.environ["SEED_001_START_URL"] = scenario.start_url or ""
        builtins.input = answer
        if str(ROOT) not in sys.path:  # the seed copy is imported as tests.seeds.<module>
            sys.path.insert(0, str(ROOT))
        try:
            sys.modules.pop(SEED_001, None)  # it reads its configuration when imported
            seed = importlib.import_module(SEED_001)
            process = seed.process_model_response

            async def timed(client: Any, response: Any, page: Any, **kwargs: Any) -> None:
                clock.reset()  # the initial request is in the log, not in the window
                started = time.perf_counter()
                try:
                    await process(client, response, page, **kwargs)
                finally:
                    windows.append((started, time.perf_counter()))

            seed.process_model_response = timed
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                asyncio.run(seed.main())
        finally:
            builtins.input = saved_input
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            sys.modules.pop(SEED_001, None)
        log = list(server.state.log)
    text = output.getvalue()
    if (
        len(windows) != 1
        or any(r.status != 200 for r in log)
        or "Error" in text
        or "error occurred" in text
    ):
        raise RuntimeError(f"the seed loop did not run cleanly: log {log}\n{text[-3000:]}")
    started, ended = windows[0]
    spans = clock.within(started, ended)
    return Measure(
        wall_s=ended - started,
        server_s=sum(s.seconds for s in spans),
        steps=len(spans) + 1,
        requests=len(spans),
        note=f"ITERATIONS={seed.ITERATIONS}; final message reached: {bool(server.state.finished)}",
    )


# -- report -------------------------------------------------------------------------------


def _summary(measures: list[Measure]) -> dict[str, Any]:
    per_step = [m.overhead_per_step_s * 1000 for m in measures]
    return {
        "overhead_per_step_ms": {
            "median": statistics.median(per_step),
            "min": min(per_step),
            "max": max(per_step),
        },
        "runs": [m.as_dict() for m in measures],
    }


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"scenario {report['scenario']!r}, {report['runs']} runs each, alternating ours/seed; "
        "overhead = (wall - fake server time) / steps",
        "",
        f"{'loop':<5} {'run':>3} {'wall s':>8} {'server ms':>10} {'steps':>5} {'reqs':>4} "
        f"{'overhead ms/step':>17}",
    ]
    for name in ("ours", "seed"):
        for index, run in enumerate(report[name]["runs"], 1):
            lines.append(
                f"{name:<5} {index:>3} {run['wall_s']:>8.3f} {run['server_s'] * 1000:>10.2f} "
                f"{run['steps']:>5} {run['requests_in_window']:>4} "
                f"{run['overhead_per_step_ms']:>17.2f}"
            )
    lines.append("")
    for name in ("ours", "seed"):
        s = report[name]["overhead_per_step_ms"]
        lines.append(
            f"{name:<5} overhead per step: median {s['median']:.2f} ms, min {s['min']:.2f} ms, "
            f"max {s['max']:.2f} ms"
        )
    verdict = "ok" if report["within_goal"] else f"BELOW the {GOAL:g}x goal"
    lines.append(
        f"ratio seed/ours: median {report['ratio_median']:.1f}x ({verdict}), "
        f"min {report['ratio_min']:.1f}x"
    )
    lines.append("")
    lines.extend(report["notes"])
    return "\n".join(lines)


NOTES = [
    "ours: the whole task (7 responses: 6 computer calls + the final message), browser launch "
    "not timed.",
    "seed: its process_model_response only; ITERATIONS=5 stops it before the final message, so "
    "per-step figures (not totals) are compared; its steps = requests in the window + the "
    "initial request sent before it (generous to the seed).",
    "The seed's fixed pauses (1.5 s per click, 0.5 s per other action) and 20 ms per typed "
    "character count as its overhead, by design.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each loop")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    scenario = load_scenario(SCENARIO)
    ours: list[Measure] = []
    seed: list[Measure] = []
    with ServerClock() as clock:
        for _ in range(args.runs):
            ours.append(asyncio.run(_run_ours(scenario, clock)))
            gc.collect()
            seed.append(_run_seed(scenario, clock))
            gc.collect()

    report: dict[str, Any] = {"scenario": SCENARIO, "runs": args.runs, "goal_ratio": GOAL}
    report["ours"] = _summary(ours)
    report["seed"] = _summary(seed)
    ours_ms, seed_ms = (
        report["ours"]["overhead_per_step_ms"],
        report["seed"]["overhead_per_step_ms"],
    )
    report["ratio_median"] = seed_ms["median"] / ours_ms["median"]
    report["ratio_min"] = seed_ms["min"] / ours_ms["min"]
    report["within_goal"] = report["ratio_median"] >= GOAL
    report["notes"] = NOTES
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
