"""Browser replay never goes where a cassette from elsewhere points it (issue 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cli.main import app

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes" / "demo"


@pytest.mark.parametrize(
    ("start_url", "said"),
    [
        ("file:///etc/passwd", "not an http(s) page"),
        ("javascript:alert(1)", "not an http(s) page"),
        ("data:text/html,<h1>x</h1>", "not an http(s) page"),
        ("http://127.0.0.1:9/", "--allow-local"),
        ("http://localhost/admin", "--allow-local"),
        ("http://10.0.0.8/", "--allow-local"),
        ("http://169.254.169.254/latest/meta-data/", "--allow-local"),
        ("http://[::1]/", "--allow-local"),
    ],
)
def test_browser_replay_refuses_a_start_page_it_must_not_open(
    tmp_path: Path, start_url: str, said: str
) -> None:
    copy = tmp_path / "cassette"
    shutil.copytree(SHIPPED, copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["start_url"] = start_url
    (copy / "run.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(app, ["replay", str(copy)])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert said in line and "--executor recorded" in line, line
    assert "Traceback" not in result.output
