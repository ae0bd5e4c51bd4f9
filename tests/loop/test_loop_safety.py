"""Safety checks through the whole loop: every code x every policy, never a rejected request.

The fake server refuses a continuation that leaves a pending check
unacknowledged; so a clean server log proves the loop never sent one. A denial
ends the run with ``safety_denied`` and sends nothing after it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from cua_replay.events import SafetyDecision, StopReason
from cua_replay.safety import AllowGate, CallbackGate, DenyGate, PromptGate, SafetyGate
from cua_replay.server import Scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario

CODES = ["malicious_instructions", "irrelevant_domain", "sensitive_domain"]


def _scenario(code: str) -> Scenario:
    return Scenario.model_validate(
        {
            "name": f"check-{code}",
            "task": "Add the blue mug to my cart",
            "start_url": "https://shop.example/review.html",
            "turns": [
                {"reasoning": "Looking.", "actions": [{"type": "screenshot"}]},
                {
                    "reasoning": "Adding to cart.",
                    "actions": [{"type": "click", "button": "left", "x": 63, "y": 129}],
                    "safety_checks": [code],
                },
                {"message": "Added.", "expect": {"acknowledged": [code]}},
            ],
            "done": {"text": {"#cart": "Added to cart"}},
        }
    )


def _prompt(answer: str) -> PromptGate:
    return PromptGate(input_fn=lambda _: answer, output=io.StringIO(), isatty=lambda: True)


def _policies(code: str) -> list[tuple[str, SafetyGate, bool]]:
    """(name, gate, approves when watched)."""
    other = next(c for c in CODES if c != code)

    async def yes(call: Any) -> bool:
        return True

    return [
        ("deny", DenyGate(), False),
        (f"allow:{code}", AllowGate(frozenset({code})), True),
        (f"allow:{other}", AllowGate(frozenset({other})), False),
        ("callback-true", CallbackGate(yes), True),
        ("callback-false", CallbackGate(lambda call: False), False),
        ("prompt-y", _prompt("y"), True),
        ("prompt-n", _prompt("n"), False),
        ("prompt-no-tty", PromptGate(input_fn=lambda _: "y", isatty=lambda: False), False),
    ]


CASES = [
    (code, name, watched, approves)
    for code in CODES
    for watched in (True, False)
    for name, _, approves in _policies(code)
]


@pytest.mark.parametrize(("code", "policy", "watched", "approves"), CASES)
def test_every_code_under_every_policy(
    browser: BrowserHarness, code: str, policy: str, watched: bool, approves: bool
) -> None:
    gate = next(g for name, g, _ in _policies(code) if name == policy)
    scenario = _scenario(code)
    # sensitive_domain needs a human watching, whatever the policy says.
    expected = approves and (watched or code != "sensitive_domain")
    outcome = run_scenario(browser, scenario, gate=gate, watched=watched)
    decisions = [e for e in outcome.events if isinstance(e, SafetyDecision)]
    assert [d.approved for d in decisions] == [expected]
    assert decisions[0].checks[0]["code"] == code
    statuses = [record.status for record in outcome.log]
    assert 400 not in statuses, "the loop sent a request the service would refuse"
    stop = outcome.result.stop
    if expected:
        assert stop.reason is StopReason.COMPLETED, stop.detail
        assert "Added to cart" in outcome.done_text["#cart"]
    else:
        assert stop.reason is StopReason.SAFETY_DENIED, stop.detail
        # Denied on the second response: no third request went out, and nothing was clicked.
        assert len(outcome.log) == 2 and stop.steps == 2
        assert outcome.done_text["#cart"] == ""
