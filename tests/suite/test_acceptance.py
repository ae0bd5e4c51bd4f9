"""Issue 15's acceptance, offline: a branching fake suite run for two "model versions"
(model-v2 planted worse on `new_tab` and `scroll`, both flaky on `flaky_drag`), recorded
as cassettes, resumed, compared, gated, and the HTML opened in real Chromium."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cassette.store import load_cassette
from cua_replay.cli.main import app
from cua_replay.suite.compare import Gate, compare
from cua_replay.suite.layout import finished, read_manifest, run_dir
from cua_replay.suite.runner import RunRecord, SuiteRunOptions, plan_runs, run_suite
from cua_replay.suite.spec import load_suite

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FLAKY = ROOT / "fixtures" / "suites" / "flaky.yaml"
MODELS = ("model-v1", "model-v2")
TRIALS = 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunRecord]]:
    root = tmp_path_factory.mktemp("runs")
    options = SuiteRunOptions(models=MODELS, trials=TRIALS, workers=2, fake=True, root=root)
    records = asyncio.run(run_suite(load_suite(FLAKY), options, environ={}))
    return root, records


def test_every_run_is_a_judged_cassette_where_its_folder_says(
    runs: tuple[Path, list[RunRecord]],
) -> None:
    root, records = runs
    suite = load_suite(FLAKY)
    keys = plan_runs(suite, SuiteRunOptions(models=MODELS, trials=TRIALS))
    assert sorted(r.run for r in records) == sorted(keys)
    assert len(keys) == 4 * 2 * TRIALS
    assert all(r.error == "" and r.passed is not None for r in records)
    on_disk = sorted(p.parent for p in (root / "flaky").glob("*/*/*/run.json"))
    assert on_disk == sorted(run_dir(root, "flaky", key) for key in keys)
    for key in keys:
        directory = run_dir(root, "flaky", key)
        assert finished(directory)
        manifest = read_manifest(directory)
        assert manifest is not None and manifest.verdict is not None
        assert (manifest.model, manifest.verdict.task, manifest.verdict.trial) == (
            key.model,
            key.task,
            key.trial,
        )
        assert manifest.verdict.suite == "flaky"
        assert load_cassette(directory).complete  # an ordinary cassette
    passed = {(r.run.model, r.run.task): 0 for r in records}
    for r in records:
        passed[(r.run.model, r.run.task)] += bool(r.passed)
    assert passed[("model-v2", "new_tab")] == passed[("model-v2", "scroll")] == 0
    assert passed[("model-v1", "new_tab")] == passed[("model-v1", "scroll")] == TRIALS
    assert 0 < passed[("model-v1", "flaky_drag")] < TRIALS  # seeded: 3 of 4 each
    assert 0 < passed[("model-v2", "flaky_drag")] < TRIALS


def test_a_second_run_skips_every_finished_run(runs: tuple[Path, list[RunRecord]]) -> None:
    root, _ = runs
    before = {p: p.stat().st_mtime_ns for p in (root / "flaky").glob("*/*/*/run.json")}
    options = SuiteRunOptions(models=MODELS, trials=TRIALS, workers=2, fake=True, root=root)
    again = asyncio.run(run_suite(load_suite(FLAKY), options, environ={}))
    assert len(again) == len(before) and all(r.skipped for r in again)
    after = {p: p.stat().st_mtime_ns for p in (root / "flaky").glob("*/*/*/run.json")}
    assert after == before


def test_compare_names_exactly_the_planted_regressions(
    runs: tuple[Path, list[RunRecord]],
) -> None:
    root, _ = runs
    result = compare(root / "flaky" / "model-v1", root / "flaky" / "model-v2", gate=Gate())
    assert result.regressed == ["new_tab", "scroll"]
    assert not result.passed and result.overall_regressed
    by_task = {t.task: t for t in result.tasks}
    flaky = by_task["flaky_drag"]
    assert flaky.flaky_baseline and flaky.flaky_candidate and not flaky.regressed
    assert result.baseline.flaky == result.candidate.flaky == ["flaky_drag"]
    assert by_task["new_tab"].p_value == pytest.approx(1 / 35)  # Fisher: 4/4 vs 0/4
    new_tab = by_task["new_tab"].baseline
    assert new_tab.low is not None and new_tab.high == pytest.approx(1.0)
    assert 0.45 < new_tab.low < 0.55  # Wilson 95% for 4/4: [0.510, 1]
    for name in ("new_tab", "scroll"):
        diff = by_task[name].diff
        assert diff is not None and not diff.same
        assert "/model-v1/" in diff.a and "/model-v2/" in diff.b
    assert by_task["drag"].diff is None
    # A stricter alpha finds nothing significant at four trials.
    strict = compare(
        root / "flaky" / "model-v1", root / "flaky" / "model-v2", gate=Gate(alpha=0.01)
    )
    assert strict.regressed == [] and strict.overall_regressed and not strict.passed
    lenient = compare(
        root / "flaky" / "model-v1",
        root / "flaky" / "model-v2",
        gate=Gate(alpha=0.01, max_regression=0.6),
    )
    assert lenient.passed


def test_compare_cli_exit_status_json_and_html(
    runs: tuple[Path, list[RunRecord]], tmp_path: Path
) -> None:
    root, _ = runs
    out_json, out_html = tmp_path / "c.json", tmp_path / "c.html"
    args = ["suite", "compare", "model-v1", "model-v2", "--runs", str(root / "flaky")]
    result = CliRunner().invoke(
        app, [*args, "--json", str(out_json), "--html", str(out_html)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1, result.output
    assert "gate FAILED" in result.output and "regressed new_tab, scroll, overall" in result.output
    data = json.loads(out_json.read_text("utf-8"))
    assert data["schema_version"] == 1 and data["regressed"] == ["new_tab", "scroll"]
    assert out_html.is_file() and (tmp_path / "c_files" / "diff-new_tab.html").is_file()
    same = CliRunner().invoke(
        app, ["suite", "compare", "model-v1", "model-v1", "--runs", str(root / "flaky")]
    )
    assert same.exit_code == 0, same.output
    missing = CliRunner().invoke(app, ["suite", "compare", "nope", "model-v1", "--runs", str(root)])
    assert missing.exit_code == 2
    assert (
        missing.output.count("\n") == 1
        and "InvalidSetting: No model folder 'nope'" in missing.output
    )


def test_compare_html_opens_in_chromium_with_working_drill_down(
    runs: tuple[Path, list[RunRecord]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from cua_replay.browser import LAUNCH_ARGS, find_chromium

    root, _ = runs
    page_path = tmp_path / "compare.html"
    args = ["suite", "compare", "model-v1", "model-v2", "--runs", str(root / "flaky")]
    assert CliRunner().invoke(app, [*args, "--html", str(page_path)]).exit_code == 1
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(find_chromium().path), args=list(LAUNCH_ARGS)
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(page_path.as_uri())
            rows = page.locator("#matrix tr[data-task]")
            assert rows.count() == 4
            regressed = page.locator("#matrix tr.regressed[data-task]")
            assert [regressed.nth(i).get_attribute("data-task") for i in range(2)] == [
                "new_tab",
                "scroll",
            ]
            page.locator('#matrix tr[data-task="scroll"] a').first.click()
            assert page.url.endswith("#task-scroll")
            assert page.locator("#task-scroll").is_visible()
            page.locator("#task-scroll a.diff").click()
            page.wait_for_load_state()
            assert "cua-replay diff" in page.title()
            assert page.locator("#outcomes").count() == 1
            page.go_back()
            page.locator("#task-scroll a.report").last.click()
            page.wait_for_load_state()
            assert page.title().startswith("cua-replay")
            assert page.locator("#timeline").count() == 1
            assert errors == []  # the CSP blocked nothing the page needs
        finally:
            browser.close()


def test_suite_replay_shards_partition_the_runs_and_replay_offline(
    runs: tuple[Path, list[RunRecord]],
) -> None:
    root, _ = runs
    folder = str(root / "flaky")
    listed = []
    for index in (1, 2, 3):
        result = CliRunner().invoke(
            app, ["suite", "replay", folder, "--shard", f"{index}/3", "--list"]
        )
        assert result.exit_code == 0, result.output
        listed.append(result.output.split())
    every = [path for share in listed for path in share]
    assert len(every) == len(set(every)) == 4 * 2 * TRIALS
    assert [len(share) for share in listed] == [11, 11, 10]
    replayed = CliRunner().invoke(
        app, ["suite", "replay", folder, "--shard", "5/8", "--executor", "recorded"]
    )
    assert replayed.exit_code == 0, replayed.output
    assert "4 of 4 runs replay as recorded" in replayed.output
    bad = CliRunner().invoke(app, ["suite", "replay", folder, "--shard", "4/3"])
    assert bad.exit_code == 2 and "InvalidSetting: --shard 4/3 is not i/n" in bad.output
