"""Benchmark task suites: workers 1 vs N, a remote browser vs a local one, compare at scale.

Three rows, each a ratio against its baseline, measured as interleaved pairs
(baseline, candidate, baseline, candidate, ...) so a noisy shared machine
slows both sides alike:

* ``workers``: a fake suite (``--tasks`` tasks x 2 models x ``--trials``) with
  ``--workers 1`` vs ``--workers N``: runs per minute and the speed-up (goal >= 1.7x
  for 200 runs at N=4 on two cores).
* ``remote``: the same suite in a ``playwright run-server`` browser on loopback vs a
  locally launched Chromium: the per-step overhead of the remote browser.
* ``compare``: ``suite compare`` of two folders of ``--cassettes`` cassettes each
  (copies, hard-linked, of the runs above): seconds and peak traced memory.

    python tools/bench_suite.py                 # the issue's sizes (200 runs, 1,000 cassettes)
    python tools/bench_suite.py --quick         # a smoke run: tiny sizes, numbers meaningless
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cua_replay.browser import BrowserSource, find_chromium  # noqa: E402
from cua_replay.suite.compare import compare  # noqa: E402
from cua_replay.suite.runner import SuiteRunOptions, run_suite  # noqa: E402
from cua_replay.suite.spec import load_suite  # noqa: E402

SCENARIOS = ("drag", "new_tab", "scroll", "form")
"""The quick built-in scenarios the benchmark suite cycles through."""


def write_suite(folder: Path, tasks: int) -> Path:
    """A suite of ``tasks`` tasks cycling through :data:`SCENARIOS`, from the built-in suite."""
    builtin = load_suite(ROOT / "fixtures" / "suites" / "builtin.yaml")
    lines = ["name: bench", "tasks:"]
    for n in range(tasks):
        task = builtin.task(SCENARIOS[n % len(SCENARIOS)])
        lines.append(f"  - id: t{n:02d}-{task.id}")
        lines.append(f"    task: {json.dumps(task.task)}")
        lines.append(f"    start_url: {task.start_url}")
        lines.append(f"    success: {task.success.model_dump_json(exclude_defaults=True)}")
        lines.append(f"    fake: {task.id}")
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed_run(
    suite_path: Path, root: Path, workers: int, trials: int, source: BrowserSource
) -> tuple[float, int]:
    """Seconds for one suite run (into an empty ``root``) and the steps it recorded."""
    shutil.rmtree(root, ignore_errors=True)
    options = SuiteRunOptions(
        models=("bench-v1", "bench-v2"),
        trials=trials,
        workers=workers,
        fake=True,
        root=root,
        browser=source,
    )
    started = time.perf_counter()
    records = asyncio.run(run_suite(load_suite(suite_path), options, environ={}))
    elapsed = time.perf_counter() - started
    errors = [r for r in records if r.passed is None]
    if errors:
        raise SystemExit(f"bench: {len(errors)} runs errored, first: {errors[0].error}")
    steps = sum(json.loads((r.directory / "run.json").read_text("utf-8"))["steps"] for r in records)
    return elapsed, steps


@contextmanager
def run_server(scratch: Path) -> Iterator[str]:
    """``playwright run-server`` on loopback, its headless shell this machine's Chromium."""
    import playwright

    listed = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    browsers = json.loads(listed.read_text("utf-8"))["browsers"]
    revision = next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")
    shell = scratch / f"chromium_headless_shell-{revision}/chrome-headless-shell-linux64"
    shell.mkdir(parents=True, exist_ok=True)
    if not (shell / "chrome-headless-shell").exists():
        (shell / "chrome-headless-shell").symlink_to(find_chromium().path)
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(scratch)}
    command = [sys.executable, "-m", "playwright", "run-server", "--port", "0", "--host"]
    with subprocess.Popen(
        [*command, "127.0.0.1"], stdout=subprocess.PIPE, text=True, env=env
    ) as server:
        assert server.stdout is not None
        found = re.search(r"ws://127\.0\.0\.1:\d+/", server.stdout.readline())
        try:
            if found is None:
                raise SystemExit("bench: playwright run-server printed no endpoint")
            yield found.group(0)
        finally:
            server.terminate()
            server.wait()
            server.stdout.close()


def copy_runs(source: Path, target: Path, count: int) -> None:
    """``count`` runs in ``target`` (``<task>/<trial>/``), hard-linked copies of ``source``'s."""
    runs = sorted(p.parent for p in source.glob("*/*/run.json"))
    for n in range(count):
        original = runs[n % len(runs)]
        shutil.copytree(original, target / original.parent.name / str(n + 1), copy_function=os.link)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=1, help="Interleaved pairs per row.")
    parser.add_argument("--cassettes", type=int, default=1000)
    parser.add_argument("--skip", action="append", default=[], help="workers, remote, compare")
    parser.add_argument("--quick", action="store_true", help="Tiny sizes: a smoke run.")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.trials, args.workers, args.pairs, args.cassettes = 2, 1, 2, 1, 20
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        suite_path = write_suite(scratch, args.tasks)
        runs = args.tasks * 2 * args.trials
        if "workers" not in args.skip:
            one, many = [], []
            for _ in range(args.pairs):
                one.append(
                    timed_run(suite_path, scratch / "w1", 1, args.trials, BrowserSource())[0]
                )
                many.append(
                    timed_run(
                        suite_path, scratch / "wn", args.workers, args.trials, BrowserSource()
                    )[0]
                )
            a, b = min(one), min(many)
            report["workers"] = {
                "runs": runs,
                "workers": args.workers,
                "runs_per_minute_1": runs * 60 / a,
                "runs_per_minute_n": runs * 60 / b,
                "speedup": a / b,
            }
            print(
                f"workers: {runs} runs, 1 worker {runs * 60 / a:.1f} runs/min, {args.workers} "
                f"workers {runs * 60 / b:.1f} runs/min: speed-up {a / b:.2f}x"
            )
        if "remote" not in args.skip:
            local, remote = [], []
            here = BrowserSource()
            with run_server(scratch / "pw") as endpoint:
                there = BrowserSource(endpoint=endpoint)
                for _ in range(args.pairs):
                    local.append(timed_run(suite_path, scratch / "l", 1, args.trials, here))
                    remote.append(timed_run(suite_path, scratch / "r", 1, args.trials, there))
            per_local = min(t / s for t, s in local)
            per_remote = min(t / s for t, s in remote)
            report["remote"] = {
                "ms_per_step_local": per_local * 1000,
                "ms_per_step_remote": per_remote * 1000,
                "overhead_ms_per_step": (per_remote - per_local) * 1000,
                "ratio": per_remote / per_local,
            }
            print(
                f"remote: {per_local * 1000:.0f} ms/step local, {per_remote * 1000:.0f} ms/step "
                f"through playwright run-server: {per_remote / per_local:.2f}x "
                f"({(per_remote - per_local) * 1000:+.0f} ms/step)"
            )
        if "compare" not in args.skip:
            source = scratch / "source"
            if not source.exists():
                timed_run(suite_path, source, args.workers, 1, BrowserSource())
            folders = []
            for model in ("bench-v1", "bench-v2"):
                target = scratch / "big" / model
                copy_runs(source / "bench" / model, target, args.cassettes)
                folders.append(target)
            started = time.perf_counter()
            result = compare(folders[0], folders[1])
            elapsed = time.perf_counter() - started
            tracemalloc.start()  # a second pass for the memory: tracing slows it down
            compare(folders[0], folders[1])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            report["compare"] = {
                "cassettes_per_side": args.cassettes,
                "seconds": elapsed,
                "peak_traced_mb": peak / 2**20,
                "tasks": len(result.tasks),
            }
            print(
                f"compare: 2 x {args.cassettes} cassettes in {elapsed:.2f} s, "
                f"peak traced memory {peak / 2**20:.1f} MiB"
            )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
