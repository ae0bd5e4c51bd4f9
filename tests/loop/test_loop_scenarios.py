"""The loop completes every shipped scenario: real SDK, real HTTP, real Chromium.

Each built-in scenario x both tools x both history modes. The page's DOM is
read afterwards: the form was submitted, the new tab followed, the box dropped,
the inner container scrolled. Any request the fake server refused would show in
its log.
"""

from __future__ import annotations

import fnmatch

import pytest

from cua_replay.events import ActionExecuted, RequestSent, ScreenshotCaptured, StopReason
from cua_replay.server import load_scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario
from tests.scenarios import browser_scenarios

SCENARIOS = [path.stem for path in browser_scenarios()]


@pytest.mark.parametrize("history", ["chain", "full"])
@pytest.mark.parametrize("tool", ["computer_use_preview", "computer"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_loop_completes_the_scenario(
    browser: BrowserHarness, name: str, tool: str, history: str
) -> None:
    scenario = load_scenario(name)
    outcome = run_scenario(browser, scenario, tool=tool, history=history)
    stop = outcome.result.stop
    assert stop.reason is StopReason.COMPLETED, stop.detail
    assert stop.final_message == scenario.turns[-1].message
    assert [record.status for record in outcome.log] == [200] * stop.steps
    if scenario.done.url is not None:
        assert fnmatch.fnmatchcase(outcome.final_url, scenario.done.url), outcome.final_url
    for selector, text in scenario.done.text.items():
        assert text in outcome.done_text[selector], (selector, outcome.done_text)
    requests = [e.request for e in outcome.events if isinstance(e, RequestSent)]
    if history == "chain":
        assert all("previous_response_id" in r for r in requests[1:])
    else:
        assert all("previous_response_id" not in r for r in requests)
        assert all(r["include"] == ["reasoning.encrypted_content"] for r in requests)
        assert all(r["store"] is False for r in requests)


def test_events_carry_original_and_executed_coordinates(browser: BrowserHarness) -> None:
    scenario = load_scenario("demo")
    outcome = run_scenario(browser, scenario, tool="computer")
    actions = [e for e in outcome.events if isinstance(e, ActionExecuted)]
    scripted = [a for turn in scenario.turns for a in turn.actions]
    assert [e.action.type for e in actions] == [a["type"] for a in scripted]
    clicks = [(e.action, a) for e, a in zip(actions, scripted, strict=True) if a["type"] == "click"]
    assert all((c.at.model_x, c.at.model_y) == (a["x"], a["y"]) for c, a in clicks)
    keypress = next(e.action for e in actions if e.action.type == "keypress")
    assert keypress.model_keys == ("CTRL", "A") and keypress.keys == ("Control", "A")
    shots = [e for e in outcome.events if isinstance(e, ScreenshotCaptured)]
    assert all(shot.png.startswith(b"\x89PNG") for shot in shots)
    # The initial screenshot, then one per computer call.
    assert len(shots) == 1 + sum(1 for turn in scenario.turns if turn.actions)
