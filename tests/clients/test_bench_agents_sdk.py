"""tools/bench_agents_sdk.py runs in its --quick form (one pair), so it never rots.

No timing is asserted: the figures are information for the note.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("agents")
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_the_agents_sdk_benchmark_runs_quick() -> None:
    done = subprocess.run(
        [sys.executable, "tools/bench_agents_sdk.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "model wait" in done.stdout and "speed-up" in done.stdout, done.stdout
