from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay import __version__
from cua_replay.browser import ENV_VAR
from cua_replay.cassette import load_cassette
from cua_replay.cli.main import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"cua-replay {__version__}"


def test_no_arguments_prints_help() -> None:
    result = runner.invoke(app, [])
    assert "demo" in result.output and "doctor" in result.output


def test_doctor_reports_a_bad_env_var_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "no-such-chrome"))
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert result.output.startswith("ChromiumNotFound: ")
    assert "Traceback" not in result.output


@pytest.mark.browser
def test_demo_runs_offline_end_to_end(tmp_path: Path) -> None:
    # One real subprocess: the installed console script, as a new user runs it.
    shot = tmp_path / "final.png"
    out = tmp_path / "demo-cassette"
    script = Path(sys.executable).parent / "cua-replay"
    result = subprocess.run(
        [str(script), "demo", "--screenshot", str(shot), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert (
        "page says: Ordered: name=Grace Hopper, colour=blue, gift=yes, password length=7"
        in result.stdout
    )
    assert "keypress Control+A (model said CTRL+A)" in result.stdout
    assert "model says: I placed the order" in result.stdout
    assert "demo finished:" in result.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The run was recorded, and the recording replays both ways.
    assert f"recorded to {out}" in result.stdout
    assert "replayed offline (recorded executor, no browser): 4/4 steps match" in result.stdout
    assert "replayed offline (model replayed, browser): 4/4 steps match" in result.stdout
    assert len(load_cassette(out)) == 4
    # It ends with a report of the run and the diff of the two shipped model versions.
    report = out.parent / "demo-cassette-report.html"
    diff = out.parent / "demo-cassette-model-diff.html"
    assert f"report of the run: {report}" in result.stdout
    assert "cassettes/model-v1 vs model-v2): behaviour differs: 5 steps the same" in result.stdout
    assert f"diff of the model versions: {diff}" in result.stdout
    assert report.read_text().count('class="step') >= 4
    assert "only in B" in diff.read_text()
    again = subprocess.run(
        [str(script), "demo", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 2
    assert "already holds a recording" in again.stderr + again.stdout
