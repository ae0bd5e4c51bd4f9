"""Benchmark: start-up time of the CLI and the package, against a bare Python. Not a test.

Issue 11, point 1. Baseline (the issue, at 4e33dc5): ``import cua_replay.cli.main``
took 1.34 s against 0.012 s for a bare ``python -c pass``. Goal: ``cua-replay
--version`` and ``cua-replay diff A B`` of two 500-step cassettes each under
0.35 s end to end (wall time of the whole process).

Each row is a fresh child process, timed end to end (spawn to exit) with
``time.perf_counter``. Rounds interleave every row with the bare baseline
(the order rotates each round), ``--repeat`` rounds, medians reported, each
row's ratio to the bare ``python -c pass`` median alongside:

* ``python -c pass``: the baseline, the same interpreter and environment;
* ``import cua_replay``: ``python -c "import cua_replay"``;
* ``import cua_replay.cli.main``: the issue's figure (everything the CLI imports);
* ``cua-replay --version``: ``python -m cua_replay --version`` (the same imports
  as the ``cua-replay`` console script, which imports ``cua_replay.cli.main``;
  ``--console-script`` uses the script beside ``sys.executable`` instead, but
  the installed script may name a module the measured checkout does not have);
* ``cua-replay diff A B``: two synthetic 500-step cassettes (``--steps``), built
  once, untimed, with ``tools/bench_diff.py``'s ``make_runs`` and the test
  builders of the package's own tree (``tests/diff/builders.py``).

Children run in a temporary working directory with bytecode caching on, in a
private ``PYTHONPYCACHEPREFIX`` warmed by one untimed pass (so the first
round does not pay for compiling, and no ``__pycache__`` is written into the
checkout; ``PYTHONDONTWRITEBYTECODE`` is dropped for the children). The package
is whichever ``cua_replay`` this interpreter imports: set ``PYTHONPATH`` to a
checkout to measure it (the children inherit it).

After the table, it lists which heavy modules (openai.types.responses,
playwright, uvicorn, vcr, hypothesis, ...) ``import cua_replay`` and
``import cua_replay.cli.main`` leave in ``sys.modules``, and the biggest
cumulative imports of ``python -X importtime -c "import cua_replay.cli.main"``.

Usage: python tools/bench_startup.py [--repeat 15] [--steps 500] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
GOAL_S = 0.35
GOAL_ROWS = ("cua-replay --version", "cua-replay diff A B")
HEAVY = (
    "openai",
    "openai.types.responses",
    "httpx",
    "pydantic",
    "playwright",
    "playwright.async_api",
    "uvicorn",
    "starlette",
    "vcr",
    "hypothesis",
    "PIL.Image",
    "numpy",
    "typer",
    "rich",
    "yaml",
)


# -- the cassettes (the one place that reaches into the package's tree) ----------------------


def build_cassettes(work: Path, steps: int) -> tuple[Path, Path]:
    """Two cassettes of ``steps`` steps, as tools/bench_diff.py builds them."""
    import cua_replay

    package_root = Path(cua_replay.__file__).resolve().parents[1]
    sys.path.insert(0, str(package_root))  # tests.diff.builders of the measured tree
    from tests.diff.builders import write

    sys.path.insert(0, str(TOOLS))
    from bench_diff import make_runs

    runs_a, runs_b = make_runs(steps)
    return write(work / "a", runs_a), write(work / "b", runs_b)


# -- the children ------------------------------------------------------------------------------


def cli_command(console_script: bool) -> list[str]:
    script = Path(sys.executable).with_name("cua-replay")
    if console_script and script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cua_replay"]


def child_env(pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["NO_COLOR"] = "1"
    return env


def run_once(argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in ok:
        raise RuntimeError(
            f"{argv} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}"
        )
    return elapsed


def heavy_modules(statement: str, env: dict[str, str], cwd: Path) -> list[str]:
    code = (
        f"import sys, json\n{statement}\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
        "print(len(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    names, count = done.stdout.strip().splitlines()[-2:]
    return [*json.loads(names), f"({count} modules in all)"]


def importtime_top(statement: str, env: dict[str, str], cwd: Path, top: int) -> list[str]:
    """The ``top`` largest cumulative import times, any depth (``-X importtime``), indented."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        rows.append((int(cumulative), name.rstrip()))
    rows.sort(reverse=True)
    return [f"{us / 1e3:8.1f} ms  {name}" for us, name in rows[:top]]


# -- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--steps", type=int, default=500, help="steps per diffed cassette")
    parser.add_argument("--quick", action="store_true", help="smoke: 2 rounds, 20-step cassettes")
    parser.add_argument(
        "--console-script", action="store_true", help="run the installed cua-replay script"
    )
    parser.add_argument("--no-imports", action="store_true", help="skip the import listings")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.steps = 2, 20
    if args.repeat < 1 or args.steps < 10:
        parser.error("--repeat must be >= 1 and --steps >= 10")

    import cua_replay

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="cua-replay-bench-startup-"))
    try:
        a, b = build_cassettes(work, args.steps)
        env = child_env(work / "pycache")
        cwd = work / "cwd"
        cwd.mkdir()
        cli = cli_command(args.console_script)
        rows: dict[str, tuple[list[str], tuple[int, ...]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], (0,)),
            "import cua_replay": ([sys.executable, "-c", "import cua_replay"], (0,)),
            "import cua_replay.cli.main": (
                [sys.executable, "-c", "import cua_replay.cli.main"],
                (0,),
            ),
            "cua-replay --version": ([*cli, "--version"], (0,)),
            "cua-replay diff A B": ([*cli, "diff", str(a), str(b)], (0, 1)),  # 1: they differ
        }
        names = list(rows)
        for name in names:  # warm the bytecode cache and the OS file cache, untimed
            run_once(rows[name][0], env, cwd, rows[name][1])
        samples: dict[str, list[float]] = {name: [] for name in names}
        others = names[1:]
        for round_ in range(args.repeat):
            shift = round_ % len(others)
            for name in others[shift:] + others[:shift]:
                pair = ("python -c pass", name) if round_ % 2 == 0 else (name, "python -c pass")
                for which in pair:
                    samples[which].append(run_once(rows[which][0], env, cwd, rows[which][1]))
        heavy: dict[str, list[str]] = {}
        top: list[str] = []
        if not args.no_imports:
            for statement in ("import cua_replay", "import cua_replay.cli.main"):
                heavy[statement] = heavy_modules(statement, env, cwd)
            top = importtime_top("import cua_replay.cli.main", env, cwd, 30)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    bare = statistics.median(samples["python -c pass"])
    load_after = os.getloadavg()[0]
    print(
        f"package: {Path(cua_replay.__file__).resolve().parent}; python {sys.version.split()[0]}; "
        f"{args.repeat} rounds, each row paired with a bare run (order alternates), medians; "
        f"diff of two {args.steps}-step cassettes; cli: {' '.join(cli)}"
    )
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")
    print()
    print(
        f"{'row':<28} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7} {'x bare':>8} "
        f"{'- bare s':>9}"
    )
    report: dict[str, Any] = {"rows": {}, "load": [load_before, load_after], "steps": args.steps}
    for name in names:
        s = samples[name]
        med = statistics.median(s)
        print(
            f"{name:<28} {len(s):>3} {med:>9.3f} {min(s):>7.3f} {max(s):>7.3f} "
            f"{med / bare:>7.1f}x {med - bare:>9.3f}"
        )
        report["rows"][name] = {"median_s": med, "samples_s": s, "ratio_bare": med / bare}
    print()
    print(f"goal: {' and '.join(GOAL_ROWS)} each < {GOAL_S} s end to end (wall medians):")
    for name in GOAL_ROWS:
        med = statistics.median(samples[name])
        print(f"  {'PASS' if med < GOAL_S else 'MISS'}  {name}: {med:.3f} s")
    for statement, found in heavy.items():
        print(f"\nheavy modules after `{statement}`: {', '.join(found)}")
    if top:
        print("\nlargest cumulative imports, python -X importtime -c 'import cua_replay.cli.main':")
        print("\n".join(top))
    print(f"\ntotal wall time {time.perf_counter() - started:.1f} s")
    report["heavy"] = heavy
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
