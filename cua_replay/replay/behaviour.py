"""What a replay checks besides the requests: executed actions, safety decisions, recorded verdicts.

Pure comparisons over a loaded cassette, shared by the replay listener and the
recorded executor: :func:`action_mismatch` compares one executed action with
its recorded twin (step, call, index, and the action field by field, through
:func:`~.cursor.diff_values`); :class:`ReplayListener` walks the recorded
actions and safety decisions in order as the loop reports its own;
:class:`RecordedGate` decides safety checks as the recording did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai.types.responses import ResponseComputerToolCall

from ..cassette.format import ExecutedAction, SafetyRecord
from ..cassette.store import Cassette
from ..errors import Difference, ReplayMismatch
from ..events import ActionExecuted, Event, SafetyDecision
from ..safety import SafetyGate, Verdict
from .cursor import diff_values


class ReplayListener:
    """Checks each executed action and safety decision against the recording, in order."""

    def __init__(self, cassette: Cassette, report: Callable[[ReplayMismatch], None]) -> None:
        self.cassette = cassette
        self.report = report
        """Called with each divergence; raises it, or keeps it as a warning."""
        self._actions = recorded_actions(cassette)
        self._safety = [(s.step, record) for s in cassette.steps for record in s.safety]
        self._action = 0
        self._decision = 0

    def __call__(self, event: Event) -> None:
        # Never raise on Stopped: the loop delivers it outside its error handling.
        if isinstance(event, ActionExecuted):
            self._check_action(event)
        elif isinstance(event, SafetyDecision):
            self._check_safety(event)

    def _check_action(self, event: ActionExecuted) -> None:
        position, self._action = self._action, self._action + 1
        live = event.action.model_dump(mode="json")
        if position >= len(self._actions):
            self.report(past_the_actions(self.cassette, event.step, live, len(self._actions)))
            return
        step, recorded = self._actions[position]
        mismatch = action_mismatch(
            self.cassette,
            step,
            recorded,
            live,
            step=event.step,
            call_id=event.call_id,
            index=event.index,
        )
        if mismatch is not None:
            self.report(mismatch)

    def _check_safety(self, event: SafetyDecision) -> None:
        cassette = self.cassette
        position, self._decision = self._decision, self._decision + 1
        live_codes = sorted(str(c.get("code")) for c in event.checks)
        if position >= len(self._safety):
            self.report(
                ReplayMismatch(
                    event.step,
                    "safety",
                    f"call_id={event.call_id!r} raised safety checks {live_codes}, but the "
                    f"recording decided only {len(self._safety)} safety check(s) in all",
                    cassette=cassette.directory,
                )
            )
            return
        step, recorded = self._safety[position]
        recorded_codes = sorted(str(c.get("code")) for c in recorded.checks)
        differences = [
            Difference(name, old, new)
            for name, old, new in (
                ("step", step, event.step),
                ("safety.approved", recorded.approved, event.approved),
                ("safety.codes", recorded_codes, live_codes),
            )
            if old != new
        ]
        if differences:
            self.report(
                ReplayMismatch(
                    event.step,
                    "safety",
                    f"call_id={event.call_id!r} was {_verdict(event.approved)} by "
                    f"{event.decided_by} ({event.reason or 'no reason given'}); the recording "
                    f"{_verdict(recorded.approved)} it ({recorded.decided_by}) at step {step}",
                    cassette=cassette.directory,
                    differences=tuple(differences),
                )
            )


def _verdict(approved: bool) -> str:
    return "approved" if approved else "denied"


def recorded_actions(cassette: Cassette) -> list[tuple[int, ExecutedAction]]:
    """Every executed action of the recording, in order, with its step."""
    return [(step.step, action) for step in cassette.steps for action in step.actions]


def action_mismatch(
    cassette: Cassette,
    recorded_step: int,
    recorded: ExecutedAction,
    live: dict[str, Any],
    *,
    step: int | None,
    call_id: str | None = None,
    index: int | None = None,
) -> ReplayMismatch | None:
    """The mismatch between a recorded action and a live one (None when they agree).

    ``step``, ``call_id`` and ``index`` are compared when known (an executor
    knows neither the call nor the index).
    """
    differences: list[Difference] = []
    for name, old, new in (
        ("step", recorded_step, step),
        ("call_id", recorded.call_id, call_id),
        ("index", recorded.index, index),
    ):
        if new is not None and old != new:
            differences.append(Difference(name, old, new))
    differences += diff_values("action", recorded.action, live)
    if not differences:
        return None
    first = differences[0]
    where = step if step is not None else recorded_step
    return ReplayMismatch(
        where,
        "action",
        f"the run executed a {live.get('type')} action that differs from the recorded "
        f"{recorded.action.get('type')} (call_id={recorded.call_id!r}, action[{recorded.index}] "
        f"of step {recorded_step}) at {first.path}",
        cassette=cassette.directory,
        differences=tuple(differences),
    )


def past_the_actions(
    cassette: Cassette, step: int, live: dict[str, Any], recorded: int
) -> ReplayMismatch:
    """The run executed one action more than the recording holds: ``exhausted``, always fatal."""
    return ReplayMismatch(
        step,
        "exhausted",
        f"the run executed a {live.get('type')} action, but the recording has no more actions "
        f"(it executed {recorded}). Re-record the cassette if the new behaviour is right.",
        cassette=cassette.directory,
        differences=(Difference("action", "<absent>", live),),
    )


# -- the gate ---------------------------------------------------------------------------------


class RecordedGate:
    """Decides each call's safety checks as the recording did; fails closed on anything else.

    A call with no pending checks is approved (the loop never asked the
    recorded gate about those either). A call the recording has no decision
    for, or one that raises a check code the recording did not approve, is
    denied, with the reason saying so.
    """

    decided_by = "recorded"

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self._decisions: dict[str, tuple[int, SafetyRecord]] = {}
        for step in cassette.steps:
            for record in step.safety:
                self._decisions.setdefault(record.call_id, (step.step, record))

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        checks = call.pending_safety_checks
        if not checks:
            return Verdict(True, "no checks")
        codes = sorted(str(check.code) for check in checks)
        found = self._decisions.get(call.call_id)
        if found is None:
            return Verdict(
                False,
                self.decided_by,
                f"the recording has no safety decision for call_id={call.call_id!r} (codes "
                f"{codes}), so it is denied. Replay with a gate of your own (e.g. "
                "AllowGate({...})) or re-record the cassette.",
            )
        step, record = found
        allowed = {str(check.get("code")) for check in record.checks}
        if record.approved and not set(codes) <= allowed:
            return Verdict(
                False,
                self.decided_by,
                f"call_id={call.call_id!r} raised codes {codes}, but the recording approved "
                f"only {sorted(allowed)} at step {step}; denied.",
            )
        how = "approved" if record.approved else "denied"
        return Verdict(
            record.approved,
            self.decided_by,
            f"{how} as recorded at step {step} by {record.decided_by}: {record.reason}".rstrip(
                ": "
            ),
        )


class WatchedAsRecorded:
    """A gate asked with the recording's ``watched`` (replays run headless)."""

    def __init__(self, gate: SafetyGate, watched: bool) -> None:
        self.gate = gate
        self.watched = watched

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        return await self.gate.decide(call, current_url=current_url, watched=self.watched)
