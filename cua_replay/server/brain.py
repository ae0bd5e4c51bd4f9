"""The brain: what the fake model answers. An interface, and the scripted implementation.

The brain sees a request that already passed the contract checker and
decides the next output: a reasoning summary plus a computer call, or a final
message, and possibly a fault. It never builds JSON and never touches the
server state, so another brain (the cassette issue's recorded responses) only
has to implement :class:`Brain`.

The scripted brain is a pure function of the conversation so far: its position
in the script is the number of ``computer_call_output`` items and assistant
messages in the effective history. Two conversations cannot disturb each other,
and a stateless client (full history, no ``previous_response_id``) lands on the
same step as a chaining one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..wire.envelopes import APIError, shorten
from .contract import CreateRequest
from .scenario import Fault, SafetyCheck, Scenario, Step, url_matches


@dataclass(frozen=True)
class Reply:
    """One response's worth of model output."""

    reasoning: str | None = None
    actions: tuple[dict[str, Any], ...] | None = None
    """The call's actions: one for the preview tool, a batch for the GA tool."""
    checks: tuple[SafetyCheck, ...] = ()
    message: str | None = None

    @property
    def final(self) -> bool:
        return self.actions is None


@dataclass(frozen=True)
class Decision:
    reply: Reply
    fault: Fault | None = None
    notes: dict[str, Any] = field(default_factory=dict)


class Brain(Protocol):
    name: str

    def decide(self, request: CreateRequest) -> Decision:
        """Answer ``request``, possibly with a fault.

        The app applies a fault to the first ``fault.times`` identical request
        bodies only (the SDK retries with identical bytes), so a brain need not
        count attempts.
        """
        ...


def expectation_failed(message: str) -> APIError:
    return APIError(400, message, param="input", code="scenario_expectation_failed")


class ScriptedBrain:
    """Plays a :class:`Scenario` turn by turn."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.name = scenario.name
        self._steps = {"preview": scenario.steps("preview"), "ga": scenario.steps("ga")}

    def decide(self, request: CreateRequest) -> Decision:
        if request.tool is not None:
            flavour = request.tool.kind
        else:
            flavour = "ga" if self.scenario.tool == "computer" else "preview"
        steps = self._steps[flavour]
        if request.progress >= len(steps):
            raise APIError(
                400,
                f"Scenario '{self.name}' is over: it ended with its final message after "
                f"{len(steps)} responses. Start a new conversation (no previous_response_id) "
                "to run it again.",
                param="input",
                code="scenario_exhausted",
            )
        step = steps[request.progress]
        if step.actions is not None and request.tool is None:
            raise expectation_failed(
                f"Scenario '{self.name}' turn {step.number} answers with computer actions, but "
                "the request declares no 'computer_use_preview' or 'computer' tool. Send the "
                "computer tool in 'tools' on every request."
            )
        if step.first:
            self._expect(step, request)
        checks = list(step.turn.checks) if step.first else []
        if step.actions is not None:
            for rule in self.scenario.safety:
                if rule.matches(request.current_url) and all(c.code != rule.code for c in checks):
                    checks.append(SafetyCheck(code=rule.code, message=rule.message))
        fault = step.turn.fault if step.first else None
        reply = Reply(step.reasoning, step.actions, tuple(checks), step.turn.message)
        return Decision(reply, fault, {"turn": step.number})

    def _expect(self, step: Step, request: CreateRequest) -> None:
        expect = step.turn.expect
        where = f"Scenario '{self.name}' turn {step.number}"
        if expect.current_url is not None and not url_matches(
            request.current_url, expect.current_url
        ):
            got = (
                f"'{shorten(request.current_url)}'"
                if request.current_url is not None
                else "no current_url (send it on the computer_call_output)"
            )
            raise expectation_failed(
                f"{where} expected current_url matching '{expect.current_url}', but the "
                f"request has {got}."
            )
        if expect.task_contains is not None and (
            request.task is None or expect.task_contains.casefold() not in request.task.casefold()
        ):
            raise expectation_failed(
                f"{where} expected a task containing '{expect.task_contains}', but the task is "
                f"{shorten(request.task)!r}."
            )
        missing = [code for code in expect.acknowledged if code not in request.acknowledged]
        if missing:
            raise expectation_failed(
                f"{where} expected the request to acknowledge the safety checks {missing}, but it "
                f"acknowledged {sorted(request.acknowledged)}."
            )
