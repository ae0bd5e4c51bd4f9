"""Scenario files: what loads, what is refused with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cua_replay.server import Scenario, ScenarioError, builtin_scenarios, load_scenario


def _scenario(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "task": "Order a mug",
        "turns": [
            {"actions": [{"type": "click", "button": "left", "x": 10, "y": 20}]},
            {"message": "Done."},
        ],
    }
    return {**data, **overrides}


def test_every_builtin_scenario_loads_and_ends_with_a_message() -> None:
    names = {path.stem for path in builtin_scenarios()}
    assert {"demo", "form", "new_tab", "injection", "sensitive", "drag", "scroll"} <= names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.turns[-1].message is not None
        assert (scenario.display.width, scenario.display.height) == (1024, 768)


def test_builtin_scenarios_cover_the_safety_codes() -> None:
    injection, sensitive = load_scenario("injection"), load_scenario("sensitive")
    assert any(c.code == "malicious_instructions" for t in injection.turns for c in t.checks)
    assert [rule.code for rule in sensitive.safety] == ["sensitive_domain"]


def test_preview_splits_a_turn_into_single_action_steps_and_ga_batches_it() -> None:
    scenario = load_scenario("demo")
    turn_actions = [len(t.actions) for t in scenario.turns if t.actions]
    preview, ga = scenario.steps("preview"), scenario.steps("ga")
    assert len(preview) == sum(turn_actions) + 1
    assert len(ga) == len(scenario.turns)
    assert all(step.actions is None or len(step.actions) == 1 for step in preview)
    # Only the first step of a turn carries its reasoning and checks its expectations.
    firsts = [step for step in preview if step.first]
    assert len(firsts) == len(scenario.turns)
    assert all(step.reasoning is None for step in preview if not step.first)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"turns": []}, "at least 1 item"),
        ({"turns": [{"message": "hi", "actions": [{"type": "screenshot"}]}]}, "not both"),
        ({"turns": [{"reasoning": "nothing"}]}, "not neither"),
        ({"turns": [{"actions": [{"type": "screenshot"}]}]}, "last turn must be a final message"),
        (
            {"turns": [{"actions": [{"type": "click", "button": "left", "x": 5000, "y": 1}]}]},
            "outside the 1024x768 display",
        ),
        ({"turns": [{"actions": [{"type": "teleport"}]}, {"message": "x"}]}, "teleport"),
        (
            {"turns": [{"message": "x", "safety_checks": ["malicious_instructions"]}]},
            "not on a final message",
        ),
        (
            {"turns": [{"message": "x", "expect": {"current_url": "https://*"}}]},
            "turn 1 answers the first request",
        ),
        ({"turns": [{"message": "x", "fault": {"kind": "http", "status": 200}}]}, "status"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_scenarios_are_refused_with_a_reason(
    overrides: dict[str, Any], complaint: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_scenario(**overrides)))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert complaint in str(caught.value)


def test_a_yaml_file_loads_and_takes_its_name_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "task: Pick a row\n"
        "turns:\n"
        "  - actions: [{type: scroll, x: 1, y: 2, scroll_x: 0, scroll_y: 40}]\n"
        "    fault: {kind: http, status: 429, retry_after: 0.5}\n"
        "  - message: Picked.\n"
    )
    scenario = load_scenario(path)
    assert scenario.name == "mine"
    assert scenario.turns[0].fault is not None and scenario.turns[0].fault.kind == "http"


def test_unknown_names_list_the_builtins() -> None:
    with pytest.raises(
        ScenarioError, match=r"No scenario named 'nope'\. Built-in scenarios: .*demo"
    ):
        load_scenario("nope")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("task: [unclosed", "is not valid"), ("- just\n- a list\n", "must hold a mapping")],
)
def test_unparseable_files_say_so(text: str, complaint: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=complaint):
        load_scenario(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="Cannot read scenario file"):
        Scenario.from_file(tmp_path / "absent.yaml")


@pytest.mark.timeout(30)
def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    """A kilobyte of nested aliases would expand to ~10^9 strings ("billion laughs")."""
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(rows) + "\n")
    with pytest.raises(ScenarioError, match="aliases"):
        Scenario.from_file(bomb)
