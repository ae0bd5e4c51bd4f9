"""The expected diff between the two shipped "model version" cassettes.

``cassettes/model-v1`` and ``cassettes/model-v2`` are one task (order a blue mug
for Grace Hopper with gift wrap) recorded by ``tools/record_cassettes.py`` from
the scenarios ``fixtures/diff/model-v1.yaml`` and ``model-v2.yaml``. Version 2
was scripted to differ in exactly three ways, and this test pins that the diff
finds those and nothing else:

* a detour: it opens the customer reviews and goes back Home first (two
  actions only in B, before anything else);
* a safety check: leaving the reviews page raises ``malicious_instructions``,
  acknowledged (only in B);
* a click elsewhere: it ticks gift wrap on the label text, 48 px right of
  version 1's click on the checkbox (``changed`` at the default tolerance,
  ``moved`` once the tolerance covers it).

Both runs end the same way: same final message, URL and screenshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

diff = pytest.importorskip("cua_replay.diff")

from cua_replay.cli.main import COMMANDS, app  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes"
V1 = SHIPPED / "model-v1"
V2 = SHIPPED / "model-v2"

HOME_TO_FORM = (100, 201)
"""The index's "Order form" link, where version 1 starts and version 2 resumes."""


def _at(element: diff.Element | None) -> tuple[float, float]:
    assert element is not None and element.action is not None
    at = element.action["at"]
    return (at["x"], at["y"])


@pytest.fixture(scope="module")
def result() -> diff.DiffResult:
    return diff.diff_dirs(V1, V2)


def test_the_two_versions_are_one_task(result: diff.DiffResult) -> None:
    assert result.task_a == result.task_b
    assert result.task_a is not None and "Grace Hopper" in result.task_a
    assert result.model_a == result.model_b


def test_the_detour_is_two_steps_only_in_b_and_the_first_divergence(
    result: diff.DiffResult,
) -> None:
    only_b = [p for p in result.pairs if p.kind == "only_b"]
    assert [(p.b.step, p.b.kind) for p in only_b if p.b] == [(1, "click"), (2, "click")]
    assert [_at(p.b) for p in only_b] == [(128, 313), (39, 20)]  # reviews link, then Home
    assert only_b[0].b is not None and only_b[0].b.url == "https://shop.example/review.html"
    assert only_b[1].b is not None and only_b[1].b.url == "https://shop.example/"
    assert not [p for p in result.pairs if p.kind == "only_a"]
    assert result.first_divergence == 0 and result.pairs[0] is only_b[0]
    # After the detour B does what A did from its first step: the same "Order form" click.
    rejoin = result.pairs[2]
    assert rejoin.kind == "same" and rejoin.a is not None and rejoin.b is not None
    assert (rejoin.a.step, rejoin.b.step) == (1, 3)
    assert _at(rejoin.a) == _at(rejoin.b) == HOME_TO_FORM


def test_the_gift_wrap_click_lands_elsewhere(result: diff.DiffResult) -> None:
    changed = [p for p in result.pairs if p.kind in ("changed", "moved")]
    assert len(changed) == 1
    pair = changed[0]
    assert pair.kind == "changed"  # 48 px is beyond the default tolerance
    assert pair.a is not None and pair.b is not None
    assert (pair.a.step, pair.b.step) == (4, 6)
    assert (_at(pair.a), _at(pair.b)) == ((22, 162), (70, 162))
    assert pair.distance_px == pytest.approx(48.0)
    assert pair.a.url == pair.b.url == "https://shop.example/form.html"


def test_a_tolerance_covering_the_click_makes_it_a_move(result: diff.DiffResult) -> None:
    wide = diff.diff_dirs(V1, V2, diff.DiffOptions(tolerance=50))
    assert wide.counts["changed"] == 0 and wide.counts["moved"] == 1
    assert wide.counts["only_b"] == 2
    assert not wide.same, "the detour and the safety check still differ"


def test_the_pair_counts(result: diff.DiffResult) -> None:
    # A: form link, name click, type, gift click, submit, message (6 elements).
    # B: reviews link, Home, then the same six with the gift click elsewhere.
    assert result.counts == {"same": 5, "moved": 0, "changed": 1, "only_a": 0, "only_b": 2}
    assert len(result.pairs) == 8
    assert [p.kind for p in result.pairs] == [
        "only_b", "only_b", "same", "same", "same", "changed", "same", "same",
    ]  # fmt: skip


def test_the_outcomes(result: diff.DiffResult) -> None:
    outcomes = {o.name: o for o in result.outcomes}
    # The same task outcome...
    for name in ("final_message", "final_url", "final_screenshot", "stop_reason"):
        assert outcomes[name].same, (name, outcomes[name])
    assert outcomes["final_url"].a == "https://shop.example/form.html"
    assert outcomes["stop_reason"].a == "completed"
    # ...reached in more steps, through a safety check only B raised.
    assert (outcomes["steps"].a, outcomes["steps"].b, outcomes["steps"].same) == (6, 8, False)
    safety = outcomes["safety"]
    assert not safety.same
    assert safety.a == []
    assert safety.b == [{"step": 2, "checks": ["malicious_instructions"], "approved": True}]
    assert not result.same


def test_the_diff_is_symmetric(result: diff.DiffResult) -> None:
    back = diff.diff_dirs(V2, V1)
    assert back.counts["only_a"] == result.counts["only_b"] == 2
    assert back.counts["changed"] == result.counts["changed"] == 1
    assert back.counts["same"] == result.counts["same"]


def test_each_version_against_itself_is_the_same() -> None:
    for cassette in (V1, V2):
        again = diff.diff_dirs(cassette, cassette)
        assert again.same and again.first_divergence is None
        assert again.counts["same"] == len(again.pairs)


def _invoke(*args: str) -> Result:
    """Run ``cua-replay diff ARGS`` through the main CLI."""
    assert "diff" in COMMANDS
    return CliRunner().invoke(app, ["diff", *args])


def test_the_cli_exits_1_because_behaviour_differs() -> None:
    run = _invoke(str(V1), str(V2))
    assert run.exit_code == 1, run.output
    assert "only" in run.stdout.lower(), run.stdout


def test_the_cli_json_names_the_designed_differences() -> None:
    run = _invoke(str(V1), str(V2), "--format", "json")
    assert run.exit_code == 1, run.output
    document = json.loads(run.stdout)
    assert document["schema_version"] == diff.SCHEMA_VERSION
    assert document["counts"]["only_b"] == 2 and document["counts"]["changed"] == 1
    assert document["same"] is False and document["first_divergence"] == 0
    assert [p["kind"] for p in document["pairs"]][:3] == ["only_b", "only_b", "same"]


def test_the_cli_exits_0_for_a_cassette_against_itself() -> None:
    run = _invoke(str(V1), str(V1))
    assert run.exit_code == 0, run.output
