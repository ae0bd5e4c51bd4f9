"""The suite benchmark still runs end to end at --quick size; no timing asserted."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_bench_suite_quick_runs_every_row(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "tools" / "bench_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_suite"] = module
    try:
        spec.loader.exec_module(module)
        out = tmp_path / "bench.json"
        assert module.main(["--quick", "--json", str(out)]) == 0
    finally:
        sys.modules.pop("bench_suite", None)
    report = json.loads(out.read_text("utf-8"))
    assert set(report) == {"workers", "remote", "compare"}
    assert report["workers"]["runs"] == 4 and report["workers"]["speedup"] > 0
    assert report["remote"]["ms_per_step_remote"] > 0
    assert report["compare"]["cassettes_per_side"] == 20
