"""What every client's recording must give: show, report and diff read the run it made."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.server import Scenario

V1 = Path(__file__).resolve().parents[2] / "fixtures" / "diff" / "model-v1.yaml"
V2 = V1.with_name("model-v2.yaml")
"""Two fake "model versions" of one task; v2 plants a two-click detour through the
reviews, an acknowledged ``malicious_instructions`` check, and a gift-wrap click 48 px
to the right (see tests/diff/test_shipped_diff.py)."""


def scripted(scenario: Scenario) -> list[str]:
    """The actions ``scenario`` has the model ask for, in ``show``'s words."""
    said: list[str] = []
    for turn in scenario.model_dump(mode="json")["turns"]:
        for action in turn.get("actions") or []:
            if action["type"] == "click":
                said.append(f"click {action['button']} at ({action['x']}, {action['y']})")
            elif action["type"] == "type":
                said.append(f"type {action['text']!r}")
            else:  # pragma: no cover - the diff scenarios only click and type
                raise AssertionError(action)
    return said


def shown(directory: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["show", str(directory), "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def assert_shows(directory: Path, executed: list[str]) -> None:
    """``show`` lists exactly the actions the client executed, each with its screenshot."""
    rows = shown(directory)
    assert [action for row in rows for action in row["actions"]] == executed
    assert all(row["screenshot"] for row in rows if row["actions"])


def assert_report_draws_every_action(
    directory: Path, out: Path, *, first_screen_seen: bool = True
) -> None:
    """``report`` draws one overlay per action, on the screenshot it was performed on.

    A client that sends no screenshot with its first request (the Agents SDK)
    did its first call's actions on a screen nobody recorded: the report says
    "no screenshot" there, and draws every later action.
    """
    result = CliRunner().invoke(app, ["report", str(directory), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    rows = shown(directory)
    drawable = rows if first_screen_seen else rows[1:]
    actions = sum(len(row["actions"]) for row in drawable)
    overlays = re.findall(r'<section class="step".*?</section>', page, re.S)
    drawn = sum(len(re.findall(r'<svg class="overlay"', section)) for section in overlays)
    assert drawn >= actions > 0
    assert page.count("no screenshot") == (0 if first_screen_seen else 2)


def assert_diff_finds_the_planted_changes(a: Path, b: Path) -> None:
    """v1 against v2: the detour only in B, the moved click, the acknowledged check; exit 1."""
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--format", "json"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.output)
    kinds = [pair["kind"] for pair in found["pairs"]]
    assert kinds.count("only_b") == 2 and kinds.count("changed") == 1
    assert "only_a" not in kinds and kinds.count("same") == len(kinds) - 3
    outcomes = (
        {row["name"]: row for row in found["outcomes"]}
        if isinstance(found["outcomes"], list)
        else found["outcomes"]
    )
    assert "malicious_instructions" in json.dumps(outcomes["safety"])
    assert "same 0" not in CliRunner().invoke(app, ["diff", str(a), str(b)]).output


def assert_self_diff_is_same(directory: Path) -> None:
    result = CliRunner().invoke(app, ["diff", str(directory), str(directory)])
    assert result.exit_code == 0, result.output


def without_url_expectations(scenario: Scenario) -> Scenario:
    """``scenario`` without its ``current_url`` expectations.

    The Agents SDK answers a call with the screenshot only (no ``current_url``
    on its ``computer_call_output``), so the fake server cannot check where the
    browser is; everything else it checks as scripted.
    """
    data = scenario.model_dump(mode="json")
    for turn in data["turns"]:
        if turn.get("expect"):
            turn["expect"]["current_url"] = None
    return Scenario.model_validate(data)
