"""``cua-replay report``: writes the file, exits 2 on a missing cassette or unwritable output."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from cua_replay.cli.report import report

from .conftest import CASSETTES


def app() -> typer.Typer:
    built = typer.Typer()
    built.command(name="report")(report)

    @built.command(name="other")
    def other() -> None:  # a second command keeps "report" a subcommand, as in main.py
        """Unused."""

    return built


def test_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app(), ["report", str(CASSETTES / "demo"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "4 steps" in result.output


def test_a_missing_parent_directory_is_refused_not_created(tmp_path: Path) -> None:
    """Issue 16: a mistyped -o directory is an error naming it, never made up silently."""
    out = tmp_path / "a" / "b" / "report.html"
    result = CliRunner().invoke(app(), ["report", str(CASSETTES / "drag-stream"), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output == (
        f"InvalidSetting: Could not write the report to output={out}: the directory "
        f"{out.parent} does not exist; create it first (mkdir -p {out.parent}) or pass -o "
        "with a path in an existing directory.\n"
    )
    assert not (tmp_path / "a").exists()
    (tmp_path / "a" / "b").mkdir(parents=True)
    result = CliRunner().invoke(app(), ["report", str(CASSETTES / "drag-stream"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_missing_cassette_exits_2_with_the_message(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app(), ["report", str(tmp_path / "nope"), "-o", str(out)])
    assert result.exit_code == 2
    assert "CassetteNotFound" in result.output and "nope" in result.output
    assert not out.exists()


def test_output_that_is_a_directory_exits_2_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["report", str(CASSETTES / "demo"), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert f"output={tmp_path}" in result.output


def test_output_under_a_file_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "report.html"
    result = CliRunner().invoke(app(), ["report", str(CASSETTES / "demo"), "-o", str(out)])
    assert result.exit_code == 2
    assert "Could not write the report" in result.output
