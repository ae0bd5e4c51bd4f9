"""Benchmark: one step in the browser, our Playwright executor against bare Playwright calls.

Not a test. Issue 11, point 6. Baseline (the issue, at 4e33dc5): a step in the
browser cost 119 ms against 72 ms for seed 001's bare Playwright calls on the
same five actions with its fixed sleeps removed (1.6x). Goal: <= 1.25x.

A step is one action and the screenshot that follows it. The same five actions
run in headless Chromium on the bundled fixture site's order form
(``https://shop.example/form.html``, 1024x768), in this order:

1. ``click`` on the name field,
2. ``type`` "Grace Hopper",
3. ``keypress`` Tab,
4. ``scroll`` by 300 px down,
5. ``double_click`` on the name field,

by two sides, each in its own browser context of one browser, each routed
through the fixture site:

* ours: ``PlaywrightExecutor.execute(action)`` + ``executor.screenshot()``, the
  actions parsed from the wire dicts with ``cua_replay.parse_call``;
* bare: what tests/seeds/azure_playwright_loop.py's ``handle_action`` calls,
  minus its fixed sleeps (no ``delay=20`` per typed character; a single key
  has no 0.1 s hold): ``page.mouse.click`` + ``wait_for_load_state
  ("domcontentloaded")``, ``page.keyboard.type``, ``page.keyboard.press``,
  ``page.mouse.move`` + ``window.scrollBy(...)``, ``page.mouse.dblclick``, then
  ``page.screenshot()``.

A round reloads the form on both sides (untimed) and runs the five steps on
one side, then on the other; the side that goes first alternates every round.
Each step is timed alone (``time.perf_counter``); two untimed warm-up rounds
first. Reported: per action, the median step time of each side and their
ratio; overall, the median over rounds of the mean step time of a round
(ours / bare is the headline ratio).

Usage: python tools/bench_step_browser.py [--rounds 30] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# The package's parts used here: the one place to update when modules move.
from cua_replay import Viewport, parse_call
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.sandbox import open_sandbox

GOAL = 1.25
START_URL = "https://shop.example/form.html"
WIDTH, HEIGHT = 1024, 768
NAME_FIELD = (172, 74)
ACTIONS: list[dict[str, Any]] = [
    {"type": "click", "button": "left", "x": NAME_FIELD[0], "y": NAME_FIELD[1]},
    {"type": "type", "text": "Grace Hopper"},
    {"type": "keypress", "keys": ["Tab"]},
    {"type": "scroll", "x": 500, "y": 400, "scroll_x": 0, "scroll_y": 300},
    {"type": "double_click", "x": NAME_FIELD[0], "y": NAME_FIELD[1]},
]
NAMES = [str(a["type"]) for a in ACTIONS]
SEED_KEYS = {"tab": "Tab", "enter": "Enter", "esc": "Escape", "space": " "}


# -- the two sides -----------------------------------------------------------------------------


class Ours:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.executor = PlaywrightExecutor(page)
        viewport = Viewport(WIDTH, HEIGHT)
        self.actions = [
            parse_call({"type": "computer_call", "call_id": f"c{i}", "action": a}, viewport)[0]
            for i, a in enumerate(ACTIONS)
        ]

    async def step(self, index: int) -> bytes:
        await self.executor.execute(self.actions[index])
        return await self.executor.screenshot()


class Bare:
    """Seed 001's ``handle_action`` Playwright calls for these five actions, no fixed sleeps."""

    def __init__(self, page: Any) -> None:
        self.page = page

    async def step(self, index: int) -> bytes:
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        page, action = self.page, ACTIONS[index]
        kind = action["type"]
        if kind == "click":
            await page.mouse.click(action["x"], action["y"], button="left")
            with contextlib.suppress(PlaywrightTimeout):  # the seed's try/except/pass
                await page.wait_for_load_state("domcontentloaded", timeout=3000)
        elif kind == "double_click":
            await page.mouse.dblclick(action["x"], action["y"])
        elif kind == "scroll":
            await page.mouse.move(action["x"], action["y"])
            await page.evaluate(
                f"window.scrollBy({{left: {action['scroll_x']}, top: {action['scroll_y']}, "
                "behavior: 'smooth'});"
            )
        elif kind == "keypress":
            for key in action["keys"]:
                await page.keyboard.press(SEED_KEYS.get(key.lower(), key))
        elif kind == "type":
            await page.keyboard.type(action["text"])
        return await page.screenshot(full_page=False)


async def _page(sandbox: Any) -> Any:
    context = await sandbox.browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    if sandbox.site is not None:
        await sandbox.site.install(context)
    page = await context.new_page()
    await page.goto(START_URL, wait_until="load")
    return page


async def run(rounds: int, warmup: int) -> dict[str, Any]:
    times: dict[str, list[list[float]]] = {"ours": [], "bare": []}
    async with open_sandbox() as sandbox:
        sides = {"ours": Ours(await _page(sandbox)), "bare": Bare(await _page(sandbox))}
        for index in range(warmup + rounds):
            order = ("ours", "bare") if index % 2 == 0 else ("bare", "ours")
            for name in order:
                await sides[name].page.goto(START_URL, wait_until="load")
            for name in order:
                side = sides[name]
                steps: list[float] = []
                for step in range(len(ACTIONS)):
                    started = time.perf_counter()
                    png = await side.step(step)
                    steps.append(time.perf_counter() - started)
                    if not png.startswith(b"\x89PNG"):
                        raise RuntimeError(f"{name}: step {step} gave no PNG")
                if index >= warmup:
                    times[name].append(steps)
        blocked = list(sandbox.site.blocked) if sandbox.site is not None else []
    if blocked:
        raise RuntimeError(f"the fixture site blocked requests: {blocked}")
    return times


def summary(times: dict[str, list[list[float]]]) -> dict[str, Any]:
    per_action: dict[str, dict[str, float]] = {}
    for i, name in enumerate(NAMES):
        ours = statistics.median(r[i] for r in times["ours"])
        bare = statistics.median(r[i] for r in times["bare"])
        per_action[f"{i + 1}. {name}"] = {"ours_ms": ours * 1e3, "bare_ms": bare * 1e3}
    ours_step = statistics.median(statistics.fmean(r) for r in times["ours"])
    bare_step = statistics.median(statistics.fmean(r) for r in times["bare"])
    return {
        "per_action": per_action,
        "ours_step_ms": ours_step * 1e3,
        "bare_step_ms": bare_step * 1e3,
        "ratio": ours_step / bare_step,
        "ratio_paired_median": statistics.median(
            sum(o) / sum(b) for o, b in zip(times["ours"], times["bare"], strict=True)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument("--quick", action="store_true", help="smoke: 2 rounds, 1 warm-up")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup = 2, 1
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be >= 1 and --warmup >= 0")
    import cua_replay

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    times = asyncio.run(run(args.rounds, args.warmup))
    report = summary(times)
    load_after = os.getloadavg()[0]
    print(
        f"package: {Path(cua_replay.__file__).resolve().parent}; headless Chromium, {START_URL}, "
        f"{args.rounds} rounds of 5 steps per side (side order alternates), step = action + "
        "screenshot, medians"
    )
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")
    print()
    print(f"{'step':<16} {'ours ms':>8} {'bare ms':>8} {'ratio':>7}")
    for name, row in report["per_action"].items():
        print(
            f"{name:<16} {row['ours_ms']:>8.1f} {row['bare_ms']:>8.1f} "
            f"{row['ours_ms'] / row['bare_ms']:>6.2f}x"
        )
    print(
        f"{'mean step':<16} {report['ours_step_ms']:>8.1f} {report['bare_step_ms']:>8.1f} "
        f"{report['ratio']:>6.2f}x   (median of paired round ratios "
        f"{report['ratio_paired_median']:.2f}x)"
    )
    verdict = "PASS" if report["ratio"] <= GOAL else "MISS"
    print(f"\ngoal: ours <= {GOAL}x bare per step: {verdict} ({report['ratio']:.2f}x)")
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    if args.json:
        report["times_s"] = times
        report["load"] = [load_before, load_after]
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
