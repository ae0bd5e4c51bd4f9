"""A recorded run as show, report and diff read it: one view, from the wire up.

Every cassette holds the requests and responses of its run, whoever recorded
it (the loop engine, the recording transport under a team's own client, the
vcrpy adapter). From those alone this module reads the trajectory: each
``computer_call`` of each response (the preview ``action`` or the GA
``actions`` batch), the screenshot and ``current_url`` the client answered it
with (the ``computer_call_output`` of a later request; the URL on the item or
inside ``output``), the pending safety checks and which the client
acknowledged, reasoning summaries, the assistant's message, usage and latency.
Where the loop engine recorded more (the executed coordinates, mapped keys,
the screenshot before the first call, who decided a safety check), that detail
replaces what the wire shows for the same call: one model of a run, never two.

Pairing
    The report draws each action on the screenshot it was *performed on*: the
    one the client sent with the previous call's output (or the first request's
    screenshot), while the cassette stores observations *after* actions. This
    module works that pairing out once.

Conversations
    One client may hold several conversations at once (agents in parallel,
    retries of a whole task), their requests interleaved in the cassette. A
    request continues the conversation of the response it names in
    ``previous_response_id`` (chained), or of the latest response whose call it
    answers or whose items it resends (stateless, the whole history each turn);
    a request that continues nothing starts a new one. The view lists the steps
    conversation by conversation, in the order they started, each in its own
    order, and pairs screenshots within a conversation only: show, report and
    diff never interleave two runs. A cassette of one conversation reads as
    before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .conversations import conversations
from .format import ExecutedAction, SafetyRecord, StepRecord
from .store import Cassette

__all__ = ["ActionView", "CallView", "RunView", "StepView", "conversations", "describe", "view"]


@dataclass(frozen=True)
class ActionView:
    """One action of a call: the executed form when the loop recorded it, else the wire's.

    ``action`` has the shape of a validated :class:`~cua_replay.actions.Action`
    dumped to JSON (``type``, ``at`` with executed and model coordinates, ...);
    for a call read from the wire alone the executed coordinates are the
    model's own.
    """

    call_id: str | None
    index: int
    action: dict[str, Any]
    url: str = ""
    elapsed_ms: float | None = None
    executed: bool = False
    """True when the loop engine recorded running it; False when read from the wire."""

    def as_executed(self) -> ExecutedAction:
        return ExecutedAction(
            call_id=self.call_id or "",
            index=self.index,
            action=self.action,
            url=self.url,
            elapsed_ms=self.elapsed_ms or 0.0,
        )


@dataclass
class CallView:
    """One computer call's actions, the screenshot they were done on, and what came of it."""

    call_id: str | None
    actions: list[ActionView] = field(default_factory=list)
    before: dict[str, Any] | None = None
    """The blob reference of the screenshot the actions were performed on."""
    before_url: str = ""
    after: dict[str, Any] | None = None
    after_url: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    """The call's pending safety checks, as the response carried them."""
    acknowledged: list[str] | None = None
    """Ids of the checks the client acknowledged with its answer; None when it never answered."""


@dataclass(frozen=True)
class _Output:
    """What a client answered a call with: a ``computer_call_output`` of a later request."""

    screenshot: dict[str, Any] | None
    url: str
    acknowledged: list[str]


@dataclass
class StepView:
    record: StepRecord
    calls: list[CallView]
    screen: dict[str, Any] | None
    """The screen as the step began (what its actions were done on, or the final screen)."""
    url: str
    """The page as the step began."""
    url_after: str | None
    """The page after the step's actions, when anything says so."""
    reasoning: list[str]
    message: str | None
    safety: list[SafetyRecord]
    conversation: int = 1
    """Which conversation of the cassette the step belongs to, from 1 in order of start."""

    @property
    def step(self) -> int:
        return self.record.step

    @property
    def actions(self) -> list[ActionView]:
        return [action for call in self.calls for action in call.actions]

    @property
    def usage(self) -> dict[str, Any]:
        return usage_of(self.record)

    @property
    def error(self) -> str | None:
        return self.record.error

    @property
    def latency_ms(self) -> float:
        return self.record.latency_ms


def usage_of(record: StepRecord) -> dict[str, Any]:
    """The step's response ``usage``; a count that is not an integer (a hostile ``1e308``
    that would overflow a total) is left out, as if not recorded."""
    usage = (record.response or {}).get("usage")
    if not isinstance(usage, dict):
        return {}
    return {key: value for key, value in usage.items() if not isinstance(value, float)}


@dataclass
class RunView:
    cassette: Cassette
    steps: list[StepView]

    @property
    def final_message(self) -> str | None:
        stop = self.cassette.stop
        if stop is not None and stop.final_message:
            return stop.final_message
        for step in reversed(self.steps):
            if step.message is not None:
                return step.message
        return None

    @property
    def final_url(self) -> str | None:
        for step in reversed(self.steps):
            if step.url_after:
                return step.url_after
        return None

    @property
    def final_screenshot(self) -> dict[str, Any] | None:
        for step in reversed(self.steps):
            for call in reversed(step.calls):
                if call.after is not None:
                    return call.after
            if step.screen is not None and not step.calls:
                return step.screen
        return None

    def tokens(self, name: str) -> int:
        """Total ``usage[name]`` over the run's responses (0 where none was recorded)."""
        total = 0
        for step in self.steps:
            value = step.usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                total += value
        return total

    @property
    def actions(self) -> list[ActionView]:
        return [action for step in self.steps for action in step.actions]

    @property
    def conversations(self) -> list[list[StepView]]:
        """The steps of each conversation, in the order the conversations started."""
        grouped: dict[int, list[StepView]] = {}
        for step in self.steps:
            grouped.setdefault(step.conversation, []).append(step)
        return list(grouped.values())

    @property
    def empty(self) -> bool:
        """No action, no message and no screenshot in any step: nothing to show or compare."""
        return not any(step.calls or step.message or step.reasoning for step in self.steps)


def view(cassette: Cassette) -> RunView:
    """The run in ``cassette``, conversation by conversation, calls paired with screenshots."""
    outputs = _call_outputs(cassette)
    display = _display(cassette)
    steps: list[StepView] = []
    for number, records in enumerate(conversations(cassette), start=1):
        steps += _conversation(cassette, records, number, outputs, display)
    return RunView(cassette, steps)


def _conversation(
    cassette: Cassette,
    records: list[StepRecord],
    number: int,
    outputs: dict[str, _Output],
    display: tuple[int, int] | None,
) -> list[StepView]:
    """One conversation's steps, each call paired with the screens before and after it."""
    steps: list[StepView] = []
    current: dict[str, Any] | None = None
    current_url = cassette.manifest.start_url or ""
    for record in records:
        # The loop's own record of the screen before the first call.
        for observation in record.observations:
            if observation.call_id is None:
                current = observation.screenshot
                current_url = observation.url or current_url
        if current is None and record is records[0]:
            current = _first_screenshot(cassette, record.step)
        screen, url = current, current_url
        calls = _calls(record, outputs, display)
        for call in calls:
            call.before, call.before_url = current, current_url
            if call.after is not None:
                current = call.after
            if call.after_url:
                current_url = call.after_url
            elif call.actions and call.actions[-1].url:
                current_url = call.actions[-1].url
        url_after = record.url or (current_url if calls else None)
        steps.append(
            StepView(
                record=record,
                calls=calls,
                screen=screen,
                url=url,
                url_after=url_after or None,
                reasoning=list(record.reasoning) or _reasoning(record.response),
                message=record.message if record.message is not None else _message(record),
                safety=list(record.safety) or _wire_safety(calls),
                conversation=number,
            )
        )
    return steps


# -- reading the wire -----------------------------------------------------------------------


def _response_calls(response: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    for item in (response or {}).get("output") or []:
        if isinstance(item, dict) and item.get("type") == "computer_call":
            yield item


def _calls(
    record: StepRecord,
    outputs: dict[str, _Output],
    display: tuple[int, int] | None,
) -> list[CallView]:
    after = {o.call_id: o for o in record.observations if o.call_id is not None}
    executed: dict[str | None, list[ExecutedAction]] = {}
    for done in record.actions:
        executed.setdefault(done.call_id, []).append(done)
    calls: list[CallView] = []
    seen: set[str | None] = set()
    for item in _response_calls(record.response):
        call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else None
        seen.add(call_id)
        call = CallView(call_id, checks=list(item.get("pending_safety_checks") or []))
        if call_id in executed:
            call.actions = [_executed(done) for done in executed[call_id]]
        elif not record.actions:
            call.actions = _wire_actions(item, display)
        calls.append(call)
    for ran_id, ran in executed.items():  # the loop ran calls the response does not show
        if ran_id not in seen:
            calls.append(CallView(ran_id, [_executed(done) for done in ran]))
    for call in calls:
        observed = after.get(call.call_id) if call.call_id is not None else None
        if observed is not None:
            call.after, call.after_url = observed.screenshot, observed.url
        if call.call_id in outputs:
            output = outputs[call.call_id]
            call.acknowledged = output.acknowledged
            if observed is None:
                call.after, call.after_url = output.screenshot, output.url
    return calls


def _wire_safety(calls: list[CallView]) -> list[SafetyRecord]:
    """The safety decisions a client made, read from the wire where the loop recorded none.

    A call's pending checks were approved when the client's answer to it
    acknowledged every one of them; denied when it answered without them, or
    never answered (the run stopped there).
    """
    records: list[SafetyRecord] = []
    for call in calls:
        if not call.checks:
            continue
        acknowledged = set(call.acknowledged or ())
        approved = call.acknowledged is not None and all(
            check.get("id") in acknowledged for check in call.checks
        )
        reason = (
            "acknowledged in the next request"
            if approved
            else "the client never answered the call"
            if call.acknowledged is None
            else "answered without acknowledging every check"
        )
        records.append(
            SafetyRecord(
                call_id=call.call_id or "",
                checks=call.checks,
                approved=approved,
                decided_by="client",
                reason=reason,
            )
        )
    return records


def _executed(done: ExecutedAction) -> ActionView:
    return ActionView(
        done.call_id, done.index, done.action, done.url, done.elapsed_ms, executed=True
    )


def _wire_actions(item: dict[str, Any], display: tuple[int, int] | None) -> list[ActionView]:
    """A call's actions as the model asked for them, in the executed actions' shape."""
    from ..actions import parse_call
    from ..errors import CuaReplayError
    from ..geometry import Viewport

    call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else None
    raw = item.get("actions")
    batch = raw if isinstance(raw, list) else [item.get("action")]
    width, height = display or (1024, 768)
    try:
        parsed = parse_call({**item, "call_id": call_id or "call"}, Viewport(width, height))
        dumped = [action.model_dump(mode="json") for action in parsed]
    except (CuaReplayError, ValueError, TypeError):
        dumped = [dict(a) if isinstance(a, dict) else {"type": "?"} for a in batch]
    return [ActionView(call_id, index, action) for index, action in enumerate(dumped)]


def _call_outputs(cassette: Cassette) -> dict[str, _Output]:
    """Every ``computer_call_output`` any request sent, by call id (the first one sent).

    A stateless client re-sends its whole history each turn, so the same output
    appears in every later request; the first is the one that answered the call.
    """
    found: dict[str, _Output] = {}
    for record in cassette.steps:
        items = cassette.request(record.step).get("input")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or item.get("type") != "computer_call_output":
                continue
            call_id = item.get("call_id")
            if not isinstance(call_id, str) or call_id in found:
                continue
            found_output = item.get("output")
            output: dict[str, Any] = found_output if isinstance(found_output, dict) else {}
            image = output.get("image_url")
            url = item.get("current_url") or output.get("current_url") or ""
            acks = item.get("acknowledged_safety_checks")
            acknowledged = [
                str(ack.get("id"))
                for ack in (acks if isinstance(acks, list) else [])
                if isinstance(ack, dict)
            ]
            found[call_id] = _Output(
                image if isinstance(image, dict) else None, str(url), acknowledged
            )
    return found


def _first_screenshot(cassette: Cassette, step: int) -> dict[str, Any] | None:
    """A screenshot the first request of a conversation carried as an input image, if any."""
    items = cassette.request(step).get("input")
    found: dict[str, Any] | None = None
    for item in items if isinstance(items, list) else []:
        for part in item.get("content") or [] if isinstance(item, dict) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                image = part.get("image_url")
                found = image if isinstance(image, dict) else found
    return found


def _display(cassette: Cassette) -> tuple[int, int] | None:
    if cassette.manifest.display:
        width, height = cassette.manifest.display
        return int(width), int(height)
    for record in cassette.steps:
        for tool in record.request.get("tools") or []:
            if isinstance(tool, dict) and "display_width" in tool and "display_height" in tool:
                return int(tool["display_width"]), int(tool["display_height"])
    return None


def _reasoning(response: dict[str, Any] | None) -> list[str]:
    texts: list[str] = []
    for item in (response or {}).get("output") or []:
        if isinstance(item, dict) and item.get("type") == "reasoning":
            texts += [
                str(part.get("text", ""))
                for part in item.get("summary") or []
                if isinstance(part, dict)
            ]
    return texts


def _message(record: StepRecord) -> str | None:
    texts: list[str] = []
    for item in (record.response or {}).get("output") or []:
        if isinstance(item, dict) and item.get("type") == "message":
            texts.append(
                "".join(
                    str(part.get("text", ""))
                    for part in item.get("content") or []
                    if isinstance(part, dict) and part.get("type") == "output_text"
                )
            )
    return "\n\n".join(texts) if texts else None


def describe(action: dict[str, Any]) -> str:
    """One line for an action: what ran, where it landed, what the model asked for.

    Takes an action as the cassette holds it (a validated action dumped to JSON),
    so the console of a live run, ``show`` and ``diff`` say the same thing.
    """
    kind = str(action.get("type", "?"))
    if kind == "drag":
        points = [p for p in action.get("path") or [] if isinstance(p, dict)]
        return "drag " + " -> ".join(f"({p.get('x')}, {p.get('y')})" for p in points)
    if kind == "keypress":
        keys, asked = action.get("keys") or [], action.get("model_keys")
        said = f" (model said {'+'.join(map(str, asked))})" if asked else ""
        return f"keypress {'+'.join(map(str, keys))}{said}"
    if kind == "type":
        return f"type {action.get('text', '')!r}"
    at = action.get("at")
    if isinstance(at, dict):
        where = f"({at.get('x')}, {at.get('y')})"
        model = (at.get("model_x", at.get("x")), at.get("model_y", at.get("y")))
        if at.get("clamped") or (at.get("x"), at.get("y")) != model:
            where += f" from model ({model[0]}, {model[1]})"
        button = f" {action['button']}" if kind == "click" and action.get("button") else ""
        modifiers = action.get("modifiers") or []
        held = f" holding {'+'.join(map(str, modifiers))}" if modifiers else ""
        return f"{kind}{button} at {where}{held}"
    return kind
