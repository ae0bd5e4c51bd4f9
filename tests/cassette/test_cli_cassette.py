"""``cua-replay show | verify | gc`` on a real recording (with a safety check), via CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cassette.blobs import BlobStore
from cua_replay.cassette.verify import format_size
from cua_replay.cli.main import app
from tests.cassette.test_verify import plant_garbage, record
from tests.conftest import BrowserHarness

runner = CliRunner()
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def recorded(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The injection scenario: a click that raises malicious_instructions, acknowledged."""
    return record(browser, tmp_path_factory.mktemp("recorded") / "injection", "injection")


@pytest.fixture
def cassette(recorded: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(recorded, tmp_path / "cassette"))


@pytest.mark.browser
def test_show_prints_manifest_steps_safety_and_final_message(recorded: Path) -> None:
    result = runner.invoke(app, ["show", str(recorded)], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Add the blue mug to my cart on shop.example." in out
    assert "computer-use-preview" in out and "computer_use_preview" in out
    assert "1024x768" in out and "complete, stopped: completed" in out
    assert "screenshot" in out and "click left at (63, 129)" in out
    assert "malicious_instructions: acknowledged by" in out
    assert "https://shop.example/review.html" in out
    assert "says: The blue mug is in your cart." in out
    final = "final message: The blue mug is in your cart. I ignored a review that told me to open"
    assert final in out


@pytest.mark.browser
def test_show_json_prints_one_parseable_line_per_step(recorded: Path) -> None:
    result = runner.invoke(app, ["show", str(recorded), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["step"] for row in rows] == [1, 2, 3]
    assert rows[0]["actions"] == ["screenshot"]
    assert rows[1]["actions"] == ["click left at (63, 129)"]
    assert rows[1]["safety"][0]["codes"] == ["malicious_instructions"]
    assert rows[1]["safety"][0]["approved"] is True
    assert rows[2]["message"].startswith("The blue mug is in your cart.")
    assert all(row["input_tokens"] > 0 and row["output_tokens"] > 0 for row in rows)
    assert rows[0]["screenshot"].startswith("sha256:")


def test_show_without_a_cassette_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["show", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.output.startswith("CassetteNotFound: ") and "Record one first" in result.output


@pytest.mark.browser
def test_verify_exits_0_on_a_clean_recording(recorded: Path) -> None:
    result = runner.invoke(app, ["verify", str(recorded)])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output and "3 steps" in result.output


@pytest.mark.browser
def test_verify_exits_1_on_a_secret_and_never_prints_it(recorded: Path) -> None:
    secret = "shop.example/review"
    result = runner.invoke(app, ["verify", str(recorded), "--secret", secret])
    assert result.exit_code == 1, result.output
    assert "FAIL secret: steps.jsonl@" in result.output
    assert secret not in result.output and "(19 chars)" in result.output


@pytest.mark.browser
def test_verify_exits_1_on_a_damaged_blob_and_prints_notes(cassette: Path) -> None:
    _, blob = next(iter(BlobStore(cassette / "blobs")))
    blob.unlink()
    plant_garbage(cassette)
    result = runner.invoke(app, ["verify", str(cassette), "--pattern", "zz+top"])
    assert result.exit_code == 1, result.output
    assert "FAIL missing_blob:" in result.output
    assert "note unreferenced: blobs:" in result.output and "note leftover:" in result.output


def test_verify_exits_2_on_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["verify", str(tmp_path / "missing")])
    assert missing.exit_code == 2
    assert "CassetteNotFound" in missing.output and "run.json" in missing.output
    (tmp_path / "run.json").write_text("{}")
    bad = runner.invoke(app, ["verify", str(tmp_path), "--pattern", "("])
    assert bad.exit_code == 2 and "InvalidSetting: pattern='('" in bad.output


@pytest.mark.browser
def test_gc_dry_run_removes_nothing_then_gc_frees_the_bytes(cassette: Path) -> None:
    garbage = plant_garbage(cassette)
    total = format_size(sum(path.stat().st_size for path in garbage))
    dry = runner.invoke(app, ["gc", str(cassette), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("would remove ") == 4  # three files and the total
    assert f"would remove 3 file(s), {total}" in dry.output
    assert all(path.exists() for path in garbage)

    done = runner.invoke(app, ["gc", str(cassette)])
    assert done.exit_code == 0, done.output
    assert f"removed 3 file(s), {total} freed" in done.output
    assert not any(path.exists() for path in garbage)
    assert runner.invoke(app, ["verify", str(cassette)]).exit_code == 0

    again = runner.invoke(app, ["gc", str(cassette)])
    assert again.exit_code == 0 and "nothing to remove" in again.output


@pytest.mark.browser
def test_gc_refuses_a_broken_cassette_with_exit_2(cassette: Path) -> None:
    garbage = plant_garbage(cassette)
    (cassette / "steps.jsonl").write_text("{broken\n" + (cassette / "steps.jsonl").read_text())
    result = runner.invoke(app, ["gc", str(cassette)])
    assert result.exit_code == 2
    assert result.output.startswith("InvalidCassette: Nothing was removed")
    assert all(path.exists() for path in garbage)
