"""A killed ``suite run`` resumes: no run lost, none duplicated, finished ones untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.suite.layout import finished

ROOT = Path(__file__).resolve().parents[2]
FLAKY = ROOT / "fixtures" / "suites" / "flaky.yaml"


@pytest.mark.browser
def test_a_killed_suite_run_resumes_without_duplicates_or_losses(tmp_path: Path) -> None:
    args = [
        "suite", "run", str(FLAKY), "--fake", "--model", "model-v1", "--tag", "tabs",
        "--trials", "3", "--root", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cua_replay", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert process.stderr is not None
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if line.startswith("run model-v1/new_tab/1:"):
                break  # one run finished; kill the suite in the middle of the next
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert any(line.startswith("run model-v1/new_tab/1: passed") for line in seen), seen
    folder = tmp_path / "flaky" / "model-v1" / "new_tab"
    assert finished(folder / "1")
    first = (folder / "1" / "run.json").read_bytes()

    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3 runs, 1 already finished" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["1", "2", "3"]
    assert all(finished(folder / trial) for trial in ("1", "2", "3"))
    assert (folder / "1" / "run.json").read_bytes() == first  # not run again
    assert sorted(p.parent.name for p in tmp_path.glob("flaky/*/*/*/run.json")) == ["1", "2", "3"]
    # With everything finished, a third run does nothing at all.
    again = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "3 runs, 3 already finished" in again.output


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--model", "a/b"], "InvalidSetting: --model 'a/b' cannot name a folder"),
        (["--model", "m", "--trials", "0"], "InvalidSetting: --trials 0 must be at least 1"),
        (
            ["--model", "m", "--browser-endpoint", "ws://x", "--cdp-endpoint", "http://y"],
            "not both",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, extra: list[str], needle: str) -> None:
    args = ["suite", "run", str(FLAKY), "--fake", "--root", str(tmp_path), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output and result.output.count("\n") == 1


def test_a_bad_suite_file_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - {id: x, task: t, start_url: 'https://a.example/', max_steps: 0}\n")
    result = CliRunner().invoke(app, ["suite", "run", str(bad), "--model", "m"])
    assert result.exit_code == 2
    assert (
        "ScenarioError: Suite file" in result.output
        and "task 'x', field max_steps" in result.output
    )


@pytest.mark.browser
def test_a_task_without_a_fake_plan_stops_the_suite_in_one_line(tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text("tasks:\n  - {id: x, task: t, start_url: 'https://shop.example/'}\n")
    result = CliRunner().invoke(
        app, ["suite", "run", str(suite), "--fake", "--model", "m", "--root", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "Task 'x' of suite 's' names no fake scenario" in result.output
