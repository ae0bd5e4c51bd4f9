"""The suite runner's pure parts: the plan, the seeded fake branches, the run options,
the folder layout and what counts as finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cua_replay.cassette.format import Manifest, Verdict
from cua_replay.errors import InvalidSetting
from cua_replay.run import RunOptions
from cua_replay.settings import Settings
from cua_replay.suite.layout import (
    RunKey,
    finished,
    parse_shard,
    run_dir,
    runs_of,
    shard,
    write_verdict,
)
from cua_replay.suite.runner import (
    SuiteRunOptions,
    _redacted,
    fake_scenario,
    plan_runs,
    run_options,
)
from cua_replay.suite.spec import load_suite

ROOT = Path(__file__).resolve().parents[2]
FLAKY = load_suite(ROOT / "fixtures" / "suites" / "flaky.yaml")


def test_the_plan_is_trial_major_and_filtered_by_tag() -> None:
    keys = plan_runs(FLAKY, SuiteRunOptions(models=("a", "b"), trials=2, tags=("tabs",)))
    assert keys == [
        RunKey("a", "new_tab", 1),
        RunKey("b", "new_tab", 1),
        RunKey("a", "new_tab", 2),
        RunKey("b", "new_tab", 2),
    ]


def test_fake_branches_are_seeded_and_weighted() -> None:
    task = FLAKY.task("flaky_drag")
    picks = [
        fake_scenario(FLAKY, task, RunKey("model-v1", "flaky_drag", t)).endswith("give_up.yaml")
        for t in range(1, 201)
    ]
    again = [
        fake_scenario(FLAKY, task, RunKey("model-v1", "flaky_drag", t)).endswith("give_up.yaml")
        for t in range(1, 201)
    ]
    assert picks == again
    assert 40 <= sum(picks) <= 80  # weight 3 of 10: about 60 of 200
    other = FLAKY.model_copy(update={"seed": 2})
    assert picks != [
        fake_scenario(other, task, RunKey("model-v1", "flaky_drag", t)).endswith("give_up.yaml")
        for t in range(1, 201)
    ]
    assert fake_scenario(FLAKY, FLAKY.task("scroll"), RunKey("model-v2", "scroll", 1)).endswith(
        "scenarios/give_up.yaml"
    )
    assert fake_scenario(FLAKY, FLAKY.task("scroll"), RunKey("model-v1", "scroll", 1)) == "scroll"


def test_run_options_take_the_task_then_the_defaults(tmp_path: Path) -> None:
    key = RunKey("m", "drag", 3)
    options = SuiteRunOptions(models=("m",), fake=True, root=tmp_path)
    one = run_options(FLAKY, FLAKY.task("drag"), key, options, run_dir(tmp_path, "flaky", key), {})
    assert isinstance(one, RunOptions)
    assert (one.task, one.start_url, one.fake) == (
        "Drag the blue box onto the drop target.",
        "https://shop.example/drag.html",
        "drag",
    )
    assert (one.max_steps, one.safety, one.overwrite) == (10, "deny", True)
    assert one.record == tmp_path / "flaky" / "m" / "drag" / "3"
    assert one.model == "m"


def test_finished_means_complete_and_judged(tmp_path: Path) -> None:
    directory = tmp_path / "r"
    assert not finished(directory)
    directory.mkdir()
    (directory / "run.json").write_text(Manifest().model_dump_json(), encoding="utf-8")
    assert not finished(directory)  # recording
    (directory / "run.json").write_text(
        Manifest(status="complete").model_dump_json(), encoding="utf-8"
    )
    assert not finished(directory)  # no verdict yet
    write_verdict(directory, Verdict(passed=False, reason="r"))
    assert finished(directory)
    assert json.loads((directory / "run.json").read_text("utf-8"))["verdict"]["passed"] is False
    (directory / "run.json").write_text("{", encoding="utf-8")
    assert not finished(directory)  # torn: run it again


def test_shards_are_disjoint_cover_everything_and_validate() -> None:
    keys = [RunKey(m, t, n) for m in "ab" for t in "xyz" for n in (1, 2)]
    shares = [shard(reversed(keys), i, 5) for i in range(1, 6)]
    assert sorted(k for share in shares for k in share) == sorted(keys)
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0", "1-2"):
        with pytest.raises(InvalidSetting, match="--shard"):
            parse_shard(bad)


def test_runs_of_lists_only_trial_folders(tmp_path: Path) -> None:
    for parts in (("m", "t", "1"), ("m", "t", "2"), ("m", "t", "notes")):
        folder = tmp_path.joinpath(*parts)
        folder.mkdir(parents=True)
        (folder / "run.json").write_text("{}", encoding="utf-8")
    assert [str(key) for key, _ in runs_of(tmp_path)] == ["m/t/1", "m/t/2"]


def test_a_verdict_reason_is_redacted_like_the_recording() -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    settings = Settings(model="m", api_key=secret, _environ={})
    options = RunOptions(settings=settings, redact=(r"hunter\d",))
    reason = f"final message 'key {secret} and hunter2' does not match /x/"
    redacted = _redacted(reason, options, {"SOME_TOKEN": "tok-0123456789abcdef"})
    assert secret not in redacted and "hunter2" not in redacted
    assert "does not match /x/" in redacted


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"models": ()}, "at least one --model"),
        ({"models": ("../x",)}, "cannot name a folder"),
        ({"models": ("m",), "workers": 0}, "--workers 0"),
    ],
)
def test_bad_options_name_the_flag(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidSetting, match=needle):
        SuiteRunOptions(**kwargs)  # type: ignore[arg-type]
