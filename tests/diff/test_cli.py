"""``cua-replay diff``: exit codes, the JSON schema, folder mode, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cua_replay.cli.diff import diff
from cua_replay.diff import SCHEMA_VERSION, DiffResult, FolderDiff
from cua_replay.diff.model import Pair

from .builders import click, key, run_of, type_, write

DEMO = Path(__file__).resolve().parents[2] / "cassettes" / "demo"

app = typer.Typer()
app.command(name="diff")(diff)


@app.command()
def _other() -> None:  # a second command, so `diff` is a subcommand as in cua-replay
    pass


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["diff", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


BASE = [click(100, 200), type_("Grace Hopper"), key("Enter")]


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {
        "a": write(tmp_path / "a", run_of(BASE)),
        "same": write(tmp_path / "same", run_of(BASE)),
        "moved": write(tmp_path / "moved", run_of([click(103, 204), *BASE[1:]])),
        "far": write(tmp_path / "far", run_of([click(300, 200), *BASE[1:]])),
        "detour": write(tmp_path / "detour", run_of([click(100, 200), click(5, 5), *BASE[1:]])),
    }


def test_the_shipped_demo_diffed_with_itself_is_the_same() -> None:
    code, out, _ = invoke(DEMO, DEMO)
    assert code == 0
    assert "SAME" in out and "first divergence" not in out


def test_exit_codes(runs: dict[str, Path], tmp_path: Path) -> None:
    assert invoke(runs["a"], runs["same"])[0] == 0
    assert invoke(runs["a"], runs["moved"])[0] == 0
    assert invoke(runs["a"], runs["moved"], "--tolerance", "2")[0] == 1
    code, out, _ = invoke(runs["a"], runs["far"])
    assert code == 1 and "first divergence" in out and "changed" in out
    code, out, _ = invoke(runs["a"], runs["detour"], "--ignore", "tokens")
    assert code == 1 and "only in B" in out


@pytest.mark.parametrize(
    "args",
    [
        ("{a}", "{tmp}/missing"),
        ("{a}", "{tmp}/corrupt"),
        ("{a}", "{a}", "--ignore", "colour"),
        ("{a}", "{a}", "--tolerance", "-1"),
        ("{a}", "{a}", "--threshold", "2"),
        ("{a}", "{a}", "--format", "xml"),
        ("{a}",),
        ("{a}", "{a}", "--baseline", "{tmp}"),
        (
            "--baseline",
            "{tmp}",
        ),
    ],
)
def test_errors_exit_2_without_a_traceback(
    runs: dict[str, Path], tmp_path: Path, args: tuple[str, ...]
) -> None:
    corrupt = tmp_path / "corrupt"
    shutil.copytree(runs["a"], corrupt)
    (corrupt / "steps.jsonl").write_text("{not json\n" + "x\n", encoding="utf-8")
    code, out, err = invoke(*(s.format(a=runs["a"], tmp=tmp_path) for s in args))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.strip()


def test_json_output_matches_the_schema(runs: dict[str, Path], tmp_path: Path) -> None:
    out_file = tmp_path / "diff.json"
    code, _, _ = invoke(runs["a"], runs["detour"], "--format", "json", "-o", out_file)
    assert code == 1
    data = json.loads(out_file.read_text())
    assert data["schema_version"] == SCHEMA_VERSION == 1
    result = DiffResult.model_validate(data)
    assert result.counts == {"same": 4, "moved": 0, "changed": 0, "only_a": 0, "only_b": 1}
    first = result.pairs[result.first_divergence or 0]
    assert first.kind == "only_b" and first.b is not None and first.b.summary.startswith("click")
    assert {o.name for o in result.differing_outcomes} >= {"steps"}
    schema = DiffResult.model_json_schema()
    assert "schema_version" in schema["properties"]
    assert set(Pair.model_json_schema()["properties"]["kind"]["enum"]) == {
        "same",
        "moved",
        "changed",
        "only_a",
        "only_b",
    }


def test_ignore_takes_tokens_timing_and_reasoning_out_of_the_verdict(tmp_path: Path) -> None:
    a = write(tmp_path / "a", run_of(BASE, tokens=(100, 10), latency_ms=10, reasoning=["x"]))
    b = write(tmp_path / "b", run_of(BASE, tokens=(500, 90), latency_ms=99, reasoning=["y"]))
    assert invoke(a, b)[0] == 1
    assert invoke(a, b, "--ignore", "tokens", "--ignore", "timing")[0] == 1
    code, out, _ = invoke(a, b, "--ignore", "tokens", "--ignore", "timing", "--ignore", "reasoning")
    assert code == 0 and "ignored" in out


def test_outcomes_final_screenshot_message_url_and_safety(tmp_path: Path) -> None:
    a = write(tmp_path / "a", run_of(BASE))
    shot_steps = run_of(BASE)
    shot_steps[2].shade = 200  # the last action's screenshot: the final screen differs
    shot = write(tmp_path / "shot", shot_steps)
    text = write(tmp_path / "text", run_of(BASE, message="I gave up."))
    url = write(tmp_path / "url", run_of(BASE, url="https://other.example/"))
    steps = run_of(BASE)
    steps[1].safety = [("sensitive_domain", True)]
    safety = write(tmp_path / "safety", steps)

    def differing(b: Path) -> set[str]:
        code, out, _ = invoke(a, b, "--format", "json")
        assert code == 1
        return {o.name for o in DiffResult.model_validate_json(out).differing_outcomes}

    assert "final_screenshot" in differing(shot)
    assert "final_message" in differing(text)
    assert "final_url" in differing(url)
    assert differing(safety) == {"safety"}


def test_folder_mode(runs: dict[str, Path], tmp_path: Path) -> None:
    base, cand = tmp_path / "baseline", tmp_path / "candidate"
    for name, source in (("checkout", "a"), ("search", "a"), ("login", "a"), ("old", "a")):
        shutil.copytree(runs[source], base / name)
    shutil.copytree(runs["same"], cand / "checkout")
    shutil.copytree(runs["detour"], cand / "search")
    shutil.copytree(runs["moved"], cand / "login")
    shutil.copytree(runs["a"], cand / "new")
    code, out, _ = invoke("--baseline", base, "--candidate", cand, "--format", "json")
    assert code == 1
    folder = FolderDiff.model_validate_json(out)
    assert (folder.same, folder.different, folder.errors) == (2, 1, 0)
    assert folder.only_in_baseline == ["old"] and folder.only_in_candidate == ["new"]
    search = next(e for e in folder.entries if e.name == "search")
    assert search.first_divergence is not None and search.first_divergence.kind == "only_b"
    code, out, _ = invoke("--baseline", base, "--candidate", cand)
    assert code == 1 and "search" in out and "only in candidate" in out
    shutil.rmtree(base / "old")
    shutil.rmtree(cand / "new")
    shutil.rmtree(cand / "search")
    shutil.copytree(runs["same"], cand / "search")
    assert invoke("--baseline", base, "--candidate", cand)[0] == 0
    (cand / "search" / "steps.jsonl").write_text("garbage\nmore\n")
    code, out, _ = invoke("--baseline", base, "--candidate", cand)
    assert code == 2 and "InvalidCassette" in out
