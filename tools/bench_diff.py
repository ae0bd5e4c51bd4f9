"""Benchmark ``cua-replay diff`` on two 500-step cassettes (hand-built, no browser).

B is A with a few steps inserted and deleted and a few clicks moved (some within the
8 px tolerance, some beyond). Prints the median of several runs of the diff alone
(cassettes already loaded) and of load + diff (what the CLI does).

    .venv/bin/python tools/bench_diff.py [--steps 500] [--runs 9]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cua_replay.cassette.store import load_cassette
from cua_replay.diff import diff_cassettes
from tests.diff.builders import Step, click, key, scroll, type_, write


def make_runs(steps: int, seed: int = 7) -> tuple[list[Step], list[Step]]:
    rng = random.Random(seed)
    a: list[Step] = []
    for n in range(steps - 1):
        actions = [
            click(rng.randrange(1024), rng.randrange(768)),
            type_(f"text {n}") if n % 3 else key("Enter"),
        ]
        if n % 7 == 0:
            actions.append(scroll(500, 400, 0, 300))
        a.append(Step(actions=actions, shade=n % 200, url=f"https://shop.example/{n % 9}"))
    a.append(Step(message="Done."))
    b = [Step(actions=list(s.actions), message=s.message, shade=s.shade, url=s.url) for s in a]

    def spot(fraction: float) -> int:  # the same places, relative, at any --steps
        return max(0, min(len(b) - 2, int(fraction * steps)))

    for at in (0.08, 0.36, 0.666):  # detours
        b.insert(spot(at), Step(actions=[click(5, 5), key("Escape")], shade=3))
    for at in (0.2, 0.52):  # skipped steps
        del b[spot(at)]
    for at, d in ((0.1, 3), (0.3, 6), (0.6, 40), (0.84, 25)):  # moved clicks
        if not b[spot(at)].actions:
            continue
        first = dict(b[spot(at)].actions[0])
        first["at"] = {**first["at"], "x": first["at"]["x"] + d}
        b[spot(at)].actions = [first, *b[spot(at)].actions[1:]]
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    runs_a, runs_b = make_runs(args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        da, db = write(Path(tmp) / "a", runs_a), write(Path(tmp) / "b", runs_b)
        ca, cb = load_cassette(da), load_cassette(db)
        result = diff_cassettes(ca, cb)
        actions = sum(len(s.actions) for s in ca.steps)
        print(f"{args.steps} steps, {actions} actions in A; counts {result.counts}")
        alone, loaded = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            diff_cassettes(ca, cb)
            t1 = time.perf_counter()
            diff_cassettes(load_cassette(da), load_cassette(db))
            t2 = time.perf_counter()
            alone.append(t1 - t0)
            loaded.append(t2 - t1)
        print(f"diff only:     median {statistics.median(alone) * 1000:.1f} ms ({args.runs} runs)")
        print(f"load + diff:   median {statistics.median(loaded) * 1000:.1f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
