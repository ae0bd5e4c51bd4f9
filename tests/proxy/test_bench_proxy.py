"""tools/bench_proxy.py still runs end to end in its --quick form (no timing is asserted).

The benchmark is not a test, but one nobody runs rots as the proxy moves on:
this runs every row (replay vs echo, record vs direct, first SSE event) with
three pairs, in the style of tests/test_bench_smoke.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_proxy_benchmark_runs_quick() -> None:
    done = subprocess.run(
        [sys.executable, "tools/bench_proxy.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for row in ("replay  proxy", "record  proxy", "first SSE event  proxy"):
        assert row in done.stdout, done.stdout
    assert done.stdout.count("goal") == 3, done.stdout
