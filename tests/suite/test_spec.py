"""The suite file: loads the safe way, names file, task and field in one line, and the
built-in scenarios are expressible as one (fixtures/suites/builtin.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cua_replay.cassette.format import Manifest, Verdict
from cua_replay.errors import ScenarioError
from cua_replay.events import StopReason
from cua_replay.server.scenario import builtin_scenarios, load_scenario
from cua_replay.suite import FinalState, SuccessCheck, SuiteTask, judge, load_suite

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "fixtures" / "suites" / "builtin.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_suite_matches_the_builtin_scenarios() -> None:
    """Every built-in browser scenario; a suite has no desktop tasks yet (desktop_form)."""
    suite = load_suite(BUILTIN)
    loaded = (load_scenario(path) for path in builtin_scenarios())
    scenarios = {s.name: s for s in loaded if s.environment == "browser"}
    assert scenarios, "no built-in browser scenarios found"
    assert [task.id for task in suite.tasks] == sorted(scenarios)
    for task in suite.tasks:
        expected = SuiteTask.from_scenario(scenarios[task.id], safety=task.safety)
        assert task.model_copy(update={"tags": ()}) == expected, task.id
        assert task.success == SuccessCheck.from_done(scenarios[task.id].done)


def test_minimal_suite_and_short_forms(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("x: 1", encoding="utf-8")
    suite = load_suite(
        write(
            tmp_path,
            "tasks:\n"
            "  - {id: a, task: Do it, start_url: 'https://shop.example/',"
            "     fake: {default: form, models: {v2: [{scenario: mine.yaml, weight: 3}, drag]}}}\n",
        )
    )
    assert suite.name == "s"
    fake = suite.tasks[0].fake
    assert fake is not None
    assert [b.scenario for b in fake.branches("v1")] == ["form"]
    v2 = fake.branches("v2")
    assert v2[0].scenario == str((tmp_path / "mine.yaml").resolve()) and v2[0].weight == 3
    assert v2[1].scenario == "drag"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "tasks:\n  - {id: ok, task: t, start_url: 'https://a.example/',"
            " success: {message: '(unclosed'}}\n",
            "task 'ok', field success.message: not a regular expression",
        ),
        (
            "tasks:\n  - {id: b, task: t, start_url: 'https://a.example/', safety: maybe}\n",
            "task 'b', field safety:",
        ),
        ("tasks:\n  - {task: t, start_url: 'https://a.example/'}\n", "task #1, field id:"),
        (
            "tasks:\n  - {id: c, task: t, start_url: 'https://a.example/', colour: red}\n",
            "task 'c', field colour: Extra inputs are not permitted",
        ),
        (
            "tasks:\n  - {id: d, task: t, start_url: 'https://a.example/'}\n"
            "  - {id: d, task: u, start_url: 'https://a.example/'}\n",
            "task id 'd' appears twice",
        ),
        ("tasks: []\n", "field tasks:"),
        ("- 1\n", "must hold a mapping"),
        ("a: &x 1\nb: *x\n", "aliases (*name) are not allowed"),
    ],
)
def test_errors_are_one_line_naming_file_task_and_field(
    tmp_path: Path, body: str, needle: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert needle in message


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(match=r"Cannot read suite file .*check the path"):
        load_suite(tmp_path / "nope.yaml")


CHECK = SuccessCheck(
    url="https://shop.example/form.html", text={"#result": "Ordered"}, message=r"placed"
)


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (
            FinalState(
                StopReason.COMPLETED,
                "https://shop.example/form.html",
                "order placed",
                {"#result": "Ordered: x"},
            ),
            "",
        ),
        (FinalState(StopReason.MAX_STEPS, "https://shop.example/form.html"), "max_steps"),
        (FinalState(StopReason.COMPLETED, "https://shop.example/"), "does not match"),
        (
            FinalState(StopReason.COMPLETED, "https://shop.example/form.html", "placed", {}),
            "#result shows ''",
        ),
        (
            FinalState(
                StopReason.COMPLETED, "https://shop.example/form.html", "no", {"#result": "Ordered"}
            ),
            "/placed/",
        ),
    ],
)
def test_judge(state: FinalState, reason: str) -> None:
    verdict = judge(CHECK, state, suite="s", task="t", trial=2)
    assert verdict.passed == (reason == "")
    assert reason in verdict.reason
    assert (verdict.suite, verdict.task, verdict.trial) == ("s", "t", 2)


def test_manifest_verdict_is_backward_compatible() -> None:
    old = Manifest.model_validate({"status": "complete"})
    assert old.verdict is None
    assert "verdict" not in old.model_dump(mode="json")
    new = old.model_copy(update={"verdict": Verdict(passed=False, reason="x", task="t")})
    again = Manifest.model_validate(new.model_dump(mode="json"))
    assert again.verdict == Verdict(passed=False, reason="x", task="t")


def test_statistics_without_scipy_say_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from cua_replay.errors import MissingExtra
    from cua_replay.suite.stats import rate

    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(MissingExtra, match=r"pip install 'cua-replay\[suite\]'"):
        rate(1, 2)
