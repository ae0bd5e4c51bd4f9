"""Benchmark: cassette replays through the ``cua_cassette`` pytest fixture, serial vs ``-n 2``.

Not a test. Issue 11, point 2. Baseline (the issue, at 4e33dc5): replaying
40 / 200 / 1000 copies of a shipped cassette through the fixture with
``pytest -n 2`` (pytest-xdist) ran at 0.60x / 0.73x / 1.23x the speed of a
serial run. Goal: >= 1.6x at 200 on 2 cores.

For each N (default 40 and 200; ``--big`` adds 1000) a temporary directory gets
a ``pytest.ini`` and one test module with one test parametrized N times. Each
test replays the shipped cassette (``--cassette``, default ``injection``, from
the ``cassettes/`` directory of the measured package's tree) with the
``cua_cassette`` fixture exactly as tests/cassette/test_shipped.py does it:
``@pytest.mark.cua_cassette(path=...)``, the loop engine on
``cua_cassette.backend()``, ``cua_cassette.executor()`` (the recorded executor,
no browser), ``cua_cassette.recorded_gate`` and ``cua_cassette.listeners``, then
``cua_cassette.check(result)``.

Then ``python -m pytest -q`` runs that directory serially and with ``-n 2``,
alternating (serial, -n 2, -n 2, serial, ...) ``--repeat`` times; each run is
timed end to end (process start to exit, interpreter start-up and xdist's worker
start-up included, as a user waits for it). Speed-up = median serial / median
``-n 2``. Every run must report N passed.

The package is whichever ``cua_replay`` this interpreter imports (set
``PYTHONPATH`` to a checkout; the pytest children inherit it). The installed
distribution's ``pytest11`` entry points are blocked (``-p no:NAME``) and the
measured tree's plugin module, as its ``pyproject.toml`` names it, is loaded
with ``-p MODULE`` instead: the installed entry point may name a module that the
measured checkout does not have (modules move between commits).

Usage: python tools/bench_xdist_replay.py [--sizes 40,200] [--big] [--repeat 5]
       [--cassette injection] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

GOAL = 1.6
GOAL_AT = 200
# What the tree's pyproject.toml does not say: where the plugin is.
PLUGIN_FALLBACK = "cua_replay.integrations.pytest_plugin"

# The imports of the generated test module: the one place to update when modules move.
TEST_IMPORTS = """
from cua_replay.cassette import load_cassette
from cua_replay.rerun import run_options
from cua_replay.loop import Loop, LoopConfig
"""

TEST_MODULE = """
import asyncio

import pytest
{imports}
CASSETTE = {cassette!r}


@pytest.mark.cua_cassette(path=CASSETTE)
@pytest.mark.parametrize("copy", range({copies}))
def test_replay(cua_cassette, copy):
    cassette = load_cassette(cua_cassette.path)
    options = run_options(cassette)
    config = LoopConfig(
        model=str(cassette.manifest.model),
        tool=options.tool or "computer_use_preview",
        display=options.display or (1024, 768),
        history=options.history,
    )
    loop = Loop(
        cua_cassette.backend(),
        cua_cassette.executor(),
        cua_cassette.recorded_gate,
        config,
        listeners=cua_cassette.listeners,
    )
    result = asyncio.run(loop.run(str(options.task)))
    report = cua_cassette.check(result)
    assert report.ok and report.complete, report
"""

PYTEST_INI = """[pytest]
addopts = -p no:cacheprovider
"""


def shipped_cassette(name: str) -> Path:
    import cua_replay

    path = Path(cua_replay.__file__).resolve().parents[1] / "cassettes" / name
    if not (path / "run.json").is_file():
        raise SystemExit(f"no shipped cassette at {path}")
    return path


def plugin_options() -> list[str]:
    """``-p no:NAME`` for the installed cua-replay entry points, ``-p MODULE`` for the tree's."""
    import cua_replay

    options: list[str] = []
    for entry in metadata.entry_points(group="pytest11"):
        dist = getattr(entry, "dist", None)
        if dist is not None and dist.metadata["Name"].replace("_", "-") == "cua-replay":
            options += ["-p", f"no:{entry.name}"]
    module = PLUGIN_FALLBACK
    pyproject = Path(cua_replay.__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        with pyproject.open("rb") as file:
            project = tomllib.load(file).get("project", {})
        named = project.get("entry-points", {}).get("pytest11", {})
        module = next(iter(named.values()), module)
    return [*options, "-p", module]


def make_project(root: Path, cassette: Path, copies: int) -> Path:
    project = root / f"n{copies}"
    project.mkdir(parents=True)
    (project / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    (project / "test_replays.py").write_text(
        TEST_MODULE.format(
            imports=textwrap.dedent(TEST_IMPORTS),
            cassette=str(cassette),
            copies=copies,
        ),
        encoding="utf-8",
    )
    return project


def run_pytest(
    project: Path, copies: int, workers: int, env: dict[str, str], plugin: list[str]
) -> float:
    argv = [sys.executable, "-m", "pytest", "-q", *plugin]
    if workers:
        argv += ["-n", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not re.search(rf"\b{copies} passed\b", done.stdout):
        raise RuntimeError(
            f"pytest {'-n ' + str(workers) if workers else 'serial'} on {copies} copies failed "
            f"({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="40,200", help="comma-separated N (default 40,200)")
    parser.add_argument("--big", action="store_true", help="also N=1000")
    parser.add_argument("--repeat", type=int, default=5, help="serial/-n 2 pairs per N")
    parser.add_argument("--workers", type=int, default=2, help="the -n of the parallel runs")
    parser.add_argument("--cassette", default="injection", help="shipped cassette to replay")
    parser.add_argument("--quick", action="store_true", help="smoke: N=8, one pair")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write raw numbers here")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    if args.big and 1000 not in sizes:
        sizes.append(1000)
    if args.quick:
        sizes, args.repeat = [8], 1
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--repeat and every size must be >= 1")

    import cua_replay

    cassette = shipped_cassette(args.cassette)
    plugin = plugin_options()
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="cua-replay-bench-xdist-"))
    results: dict[int, dict[str, list[float]]] = {}
    try:
        for copies in sizes:
            project = make_project(root, cassette, copies)
            run_pytest(project, copies, 0, env, plugin)  # warm-up: file caches, bytecode
            serial: list[float] = []
            parallel: list[float] = []
            for index in range(args.repeat):
                order = (0, args.workers) if index % 2 == 0 else (args.workers, 0)
                for workers in order:
                    seconds = run_pytest(project, copies, workers, env, plugin)
                    (parallel if workers else serial).append(seconds)
                    print(
                        f"  N={copies:<5} {'-n ' + str(workers) if workers else 'serial':<7} "
                        f"{seconds:7.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
            results[copies] = {"serial_s": serial, "parallel_s": parallel}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()[0]

    print(
        f"package: {Path(cua_replay.__file__).resolve().parent}; cassette {cassette.name}; "
        f"{os.cpu_count()} CPUs; {args.repeat} serial/-n {args.workers} pairs per N, "
        f"alternating; wall seconds of the whole pytest run, medians; plugin {' '.join(plugin)}"
    )
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")
    print()
    print(
        f"{'N':>6} {'serial s':>9} {'-n ' + str(args.workers) + ' s':>9} {'speed-up':>9} "
        f"{'serial ms/test':>15} {'-n ms/test':>11}"
    )
    report: dict[str, Any] = {"cassette": cassette.name, "workers": args.workers, "sizes": {}}
    for copies, times in results.items():
        s, p = statistics.median(times["serial_s"]), statistics.median(times["parallel_s"])
        print(
            f"{copies:>6} {s:>9.2f} {p:>9.2f} {s / p:>8.2f}x {s / copies * 1e3:>15.1f} "
            f"{p / copies * 1e3:>11.1f}"
        )
        report["sizes"][copies] = {**times, "speedup": s / p}
    if GOAL_AT in results:
        speedup = report["sizes"][GOAL_AT]["speedup"]
        verdict = "PASS" if speedup >= GOAL else "MISS"
        print(f"\ngoal: -n 2 >= {GOAL}x serial at N={GOAL_AT}: {verdict} ({speedup:.2f}x)")
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    report["load"] = [load_before, load_after]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
