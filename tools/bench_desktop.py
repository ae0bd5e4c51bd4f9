"""Benchmark: the desktop executor against the Playwright executor, and screenshot libraries.

Not a test. Issue 14 asks for two figures:

1. Per-action latency of :class:`~cua_replay.executors.desktop.DesktopExecutor`
   (xdotool commands on a private 1024x768 Xvfb, the bundled Tk app open)
   against :class:`~cua_replay.executors.playwright.PlaywrightExecutor`
   (headless Chromium on the fixture site's order form, 1024x768), the same
   five actions on each: click a text field, type "Grace Hopper", keypress
   Tab, scroll 300 px down, double click the field. ``execute`` alone is
   timed, then the screenshot that follows it, separately. The two sides
   alternate which goes first every round; medians over rounds; the ratio is
   desktop / Playwright.
2. Screenshot cost per frame of the whole 1024x768 screen as a PNG, by each
   way we tried: ``xwd -root`` run as a command and read by
   :mod:`cua_replay.executors.xwd` (what the executor does, one capture),
   python-xlib's ``GetImage`` and ``mss`` (each in-process, then the same
   Pillow PNG encoding), interleaved frame by frame; the ratio is against xwd.
   A library that is not installed is reported as such.
3. Input cost per click (move, press, release, and the server done with it):
   one ``xdotool`` command (ours) against python-xlib's XTest in-process
   with an ``XSync``, interleaved.

Usage: python tools/bench_desktop.py [--rounds 30] [--frames 30] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The package's parts used here: the one place to update when modules move.
from cua_replay import Viewport, parse_call
from cua_replay.executors.desktop import DesktopExecutor
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.executors.xfixture import FixtureApp
from cua_replay.executors.xvfb import VirtualDisplay
from cua_replay.executors.xwd import xwd_to_png
from cua_replay.sandbox import open_sandbox

WIDTH, HEIGHT = 1024, 768
START_URL = "https://shop.example/form.html"
FIELDS = {"playwright": (172, 74), "desktop": (250, 115)}  # the name field on each side


def actions(side: str) -> list[dict[str, Any]]:
    x, y = FIELDS[side]
    return [
        {"type": "click", "button": "left", "x": x, "y": y},
        {"type": "type", "text": "Grace Hopper"},
        {"type": "keypress", "keys": ["Tab"]},
        {"type": "scroll", "x": 600, "y": 200, "scroll_x": 0, "scroll_y": 300},
        {"type": "double_click", "x": x, "y": y},
    ]


NAMES = [str(a["type"]) for a in actions("desktop")]


def parsed(side: str) -> list[Any]:
    viewport = Viewport(WIDTH, HEIGHT)
    return [
        parse_call({"call_id": f"c{i}", "action": a}, viewport)[0]
        for i, a in enumerate(actions(side))
    ]


async def timed_round(executor: Any, steps: list[Any]) -> tuple[list[float], list[float]]:
    execute: list[float] = []
    shots: list[float] = []
    for action in steps:
        started = time.perf_counter()
        await executor.execute(action)
        execute.append(time.perf_counter() - started)
        started = time.perf_counter()
        png = await executor.screenshot()
        shots.append(time.perf_counter() - started)
        if not png.startswith(b"\x89PNG"):
            raise RuntimeError(f"{type(executor).__name__} gave no PNG")
    return execute, shots


async def executors(rounds: int, warmup: int) -> dict[str, Any]:
    times: dict[str, dict[str, list[list[float]]]] = {
        side: {"execute": [], "screenshot": []} for side in ("desktop", "playwright")
    }
    with VirtualDisplay(WIDTH, HEIGHT) as display:
        async with FixtureApp(display), open_sandbox(width=WIDTH, height=HEIGHT) as sandbox:
            await sandbox.page.goto(START_URL, wait_until="load")
            sides = {
                "desktop": (DesktopExecutor(display), parsed("desktop")),
                "playwright": (PlaywrightExecutor(sandbox.page), parsed("playwright")),
            }
            for index in range(warmup + rounds):
                order = ("desktop", "playwright") if index % 2 == 0 else ("playwright", "desktop")
                for side in order:
                    executor, steps = sides[side]
                    execute, shots = await timed_round(executor, steps)
                    if index >= warmup:
                        times[side]["execute"].append(execute)
                        times[side]["screenshot"].append(shots)
    return times


def grabbers(display: str) -> dict[str, Callable[[], bytes] | str]:
    """One PNG frame of the screen, by each way; a string says why a way is missing."""
    import subprocess

    from PIL import Image

    def png(image: Image.Image) -> bytes:
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=1)  # as cua_replay.executors.xwd does
        return out.getvalue()

    env = {**os.environ, "DISPLAY": display}

    def xwd() -> bytes:
        done = subprocess.run(["xwd", "-root", "-silent"], env=env, capture_output=True, check=True)
        return xwd_to_png(done.stdout)

    ways: dict[str, Callable[[], bytes] | str] = {"xwd command (ours)": xwd}
    try:
        from Xlib import X
        from Xlib import display as xdisplay
    except ImportError:
        ways["python-xlib GetImage"] = "not installed (pip install python-xlib)"
    else:
        root = xdisplay.Display(display).screen().root

        def xlib() -> bytes:
            raw = root.get_image(0, 0, WIDTH, HEIGHT, X.ZPixmap, 0xFFFFFFFF).data
            return png(Image.frombuffer("RGB", (WIDTH, HEIGHT), raw, "raw", "BGRX"))

        ways["python-xlib GetImage"] = xlib
    try:
        import mss
    except ImportError:
        ways["mss"] = "not installed (pip install mss)"
    else:
        grabber = getattr(mss, "MSS", None) or mss.mss
        shooter = grabber(display=display)

        def with_mss() -> bytes:
            shot = shooter.grab(shooter.monitors[0])
            return png(Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX"))

        ways["mss"] = with_mss
    return ways


def screenshots(frames: int) -> dict[str, list[float] | str]:
    with VirtualDisplay(WIDTH, HEIGHT) as display:
        ways = grabbers(display.name)
        times: dict[str, list[float] | str] = {
            name: ([] if callable(way) else way) for name, way in ways.items()
        }
        for _ in range(frames):  # interleaved: every way once per frame
            for name, way in ways.items():
                if callable(way):
                    started = time.perf_counter()
                    if not way().startswith(b"\x89PNG"):
                        raise RuntimeError(f"{name} gave no PNG")
                    bucket = times[name]
                    assert isinstance(bucket, list)
                    bucket.append(time.perf_counter() - started)
    return times


def inputs(clicks: int) -> dict[str, list[float] | str]:
    """Seconds per click, by an xdotool command and by python-xlib XTest (if installed)."""
    import subprocess

    with VirtualDisplay(WIDTH, HEIGHT) as display:
        env = {**os.environ, "DISPLAY": display.name}
        argv = ["xdotool", "mousemove", "100", "100", "click", "--delay", "0", "1"]
        ways: dict[str, Callable[[], object] | str] = {
            "xdotool command (ours)": lambda: subprocess.run(argv, env=env, check=True)
        }
        try:
            from Xlib import X
            from Xlib import display as xdisplay
            from Xlib.ext import xtest
        except ImportError:
            ways["python-xlib XTest"] = "not installed (pip install python-xlib)"
        else:
            connection = xdisplay.Display(display.name)

            def fake_click() -> None:
                xtest.fake_input(connection, X.MotionNotify, x=100, y=100)
                xtest.fake_input(connection, X.ButtonPress, 1)
                xtest.fake_input(connection, X.ButtonRelease, 1)
                connection.sync()

            ways["python-xlib XTest"] = fake_click
        times: dict[str, list[float] | str] = {
            name: ([] if callable(way) else way) for name, way in ways.items()
        }
        for _ in range(clicks):
            for name, way in ways.items():
                if callable(way):
                    started = time.perf_counter()
                    way()
                    bucket = times[name]
                    assert isinstance(bucket, list)
                    bucket.append(time.perf_counter() - started)
    return times


def _print_ways(title: str, ways: dict[str, list[float] | str], report: dict[str, Any]) -> None:
    print(f"\n{title}")
    baseline = next(v for v in ways.values() if not isinstance(v, str))
    base_ms = statistics.median(baseline) * 1e3
    for name, value in ways.items():
        if isinstance(value, str):
            print(f"  {name:<24} {value}")
            continue
        median = statistics.median(value) * 1e3
        report[name] = median
        print(f"  {name:<24} {median:>7.2f}  ({median / base_ms:.2f}x ours)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds of 5 actions")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument("--frames", type=int, default=30, help="screenshots per library")
    parser.add_argument("--quick", action="store_true", help="smoke: 2 rounds, 3 frames")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup, args.frames = 2, 1, 3
    if args.rounds < 1 or args.warmup < 0 or args.frames < 1:
        parser.error("--rounds and --frames must be >= 1, --warmup >= 0")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    times = asyncio.run(executors(args.rounds, args.warmup))
    frames = screenshots(args.frames)
    print(
        f"{args.rounds} rounds of 5 actions per executor (order alternates), 1024x768, medians; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"\n{'action':<24} {'desktop ms':>11} {'playwright ms':>14} {'ratio':>7}")
    report: dict[str, Any] = {"per_action": {}}
    for what in ("execute", "screenshot"):
        for i, name in enumerate(NAMES):
            ours = statistics.median(r[i] for r in times["desktop"][what]) * 1e3
            theirs = statistics.median(r[i] for r in times["playwright"][what]) * 1e3
            label = f"{name}" if what == "execute" else f"shot after {name}"
            report["per_action"][label] = {"desktop_ms": ours, "playwright_ms": theirs}
            print(f"{label:<24} {ours:>11.1f} {theirs:>14.1f} {ours / theirs:>6.2f}x")
    every = {
        side: statistics.median(t for r in times[side]["execute"] for t in r) * 1e3
        for side in times
    }
    report["median_action_ms"] = every
    print(
        f"{'any action':<24} {every['desktop']:>11.1f} {every['playwright']:>14.1f} "
        f"{every['desktop'] / every['playwright']:>6.2f}x"
    )
    report["screenshot_ms"], report["click_ms"] = {}, {}
    _print_ways(
        f"screenshot of the whole screen as PNG, {args.frames} frames, median ms per frame",
        frames,
        report["screenshot_ms"],
    )
    clicks = inputs(args.frames)
    _print_ways(f"one click, {args.frames} clicks, median ms per click", clicks, report["click_ms"])
    print(
        "\ngoal: information only (the desktop executor's choice of commands is for reaching "
        "a container's display; see README, Desktop computers)"
    )
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    if args.json:
        report["times_s"] = times
        report["frames_s"] = frames
        report["clicks_s"] = clicks
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
