"""The cassette benchmark still runs end to end: tiny N, every row, no timing asserted.

``tools/bench_cassette.py`` is not a test, but a benchmark nobody runs rots as
the recorder, the replay modules and vcrpy move on. This runs it with three
steps so every row (our recording and replay, the floor, vcrpy recording and
replay with and without body matching) still completes and the report keeps
its shape. The numbers themselves mean nothing at this size.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    module = _load("bench_cassette")
    yield module
    sys.modules.pop("bench_cassette", None)


def test_bench_cassette_runs_every_row(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--steps",
            "3",
            "--repeat",
            "1",
            "--vcr-body-full-steps",
            "2",
            "--quiet",
            "--json",
            str(out),
        ]
    )

    assert code == 0
    table = capsys.readouterr().out
    assert "goals, on wall-time medians" in table
    report = json.loads(out.read_text("utf-8"))
    assert [(w["history"], w["steps"]) for w in report["workloads"]] == [
        ("chain", 3),
        ("full", 3),
        ("full", 2),
    ]
    expected = {"run", "record ours", "floor", "record vcrpy", "replay vcrpy", "replay vcrpy +body"}
    if report["replay_ours"]:
        expected.add("replay ours")
    chain, full, full_vcr = report["workloads"]
    assert set(chain["rows"]) == expected
    assert set(full["rows"]) == expected - {"replay vcrpy +body"}
    assert set(full_vcr["rows"]) == expected
    for workload in report["workloads"]:
        sizes = workload["sizes"]
        assert sizes["ours"] >= sizes["unique screenshots"] > 0
    assert chain["sizes"]["vcrpy yaml"] > 0
    assert [g["goal"].split()[0] for g in report["goals"]] == [
        "cassette",
        "offline",
        "vcrpy",
        "recording",
    ]


def test_screenshots_are_distinct_and_screenshot_sized(bench: ModuleType) -> None:
    pngs = bench.screenshots(3)

    assert len(set(pngs)) == 3
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    assert all(200_000 <= len(png) <= 320_000 for png in pngs)


def test_the_diff_benchmark_runs_small() -> None:
    """tools/bench_diff.py on 20 steps, so it never rots (no timing is asserted)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "tools/bench_diff.py", "--steps", "20", "--runs", "1"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "diff only:" in done.stdout and "load + diff:" in done.stdout


@pytest.mark.parametrize(
    "script",
    [
        "bench_startup.py",
        "bench_xdist_replay.py",
        "bench_server_memory.py",
        "bench_server.py",
        pytest.param("bench_step_browser.py", marks=pytest.mark.browser),
    ],
)
def test_each_benchmark_runs_quick(script: str) -> None:
    """Every benchmark in tools/ runs in its --quick form, so none rots when modules move
    (no timing is asserted: the goal lines are information only)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, f"tools/{script}", "--quick"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "goal" in done.stdout or "speed-up" in done.stdout, done.stdout[-2000:]
