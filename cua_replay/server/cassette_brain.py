"""A brain that answers with a recorded cassette: any client replays a recording over HTTP.

``cua-replay serve --cassette DIR`` puts this behind the fake server, so code
that only speaks HTTP (the SDK, a team's own loop, another language) replays
a run recorded once, offline and deterministically.

Position, not state
    Like :class:`~.brain.ScriptedBrain`, the answer depends only on the
    conversation so far: its position (``request.progress``, the number of
    ``computer_call_output`` items and assistant messages in the effective
    history) picks the recorded step, 0 -> step 1, 1 -> step 2 and so on (a
    response with a message beside its call moves two places, one without
    output none: :func:`advance`). A chaining client (``previous_response_id``)
    and a full-history one land on the same step, and two conversations never
    disturb each other.

The request is checked first
    The live body, canonicalized, is compared with the recorded request of that
    step as every replay does it (:class:`cua_replay.replay.cursor.ReplayCursor`,
    ids by position, screenshots perceptually). A difference answers 400
    ``cassette_mismatch`` naming the step and the first fields that differ;
    under ``sequential`` it is logged as a warning and the step is served
    anyway. Past the last recorded step the answer is 400
    ``cassette_exhausted``. A client declaring the other computer tool than the
    recording (``computer_use_preview`` vs the GA ``computer``) gets 400
    ``cassette_tool_mismatch`` naming the tool the cassette needs.

Ids are the server's own (id remapping)
    Only the model's output is taken from the recording: reasoning summary,
    computer actions (the preview ``action``, or the GA ``actions`` batch),
    pending safety checks (code and message), final message. The server renders
    the response around it with ids of its own (``resp_``, ``rs_``, ``cu_``,
    ``call_``, ``cu_sc_``, ``msg_``), so a client sees different ids than the
    recording holds; the chain works because the server checks the ids it
    issued, and matching compares ids by position, never by value. Usage
    counts, timestamps and headers are the server's too.

What a recorded step without a normal response serves
    * a ``failed`` or ``incomplete`` response: the same status (and error code
      and message, or incomplete reason) as a :class:`~.scenario.ResponseFault`,
      every time that step is asked for;
    * no response but an HTTP error (the last attempt's status and error body):
      that error, with ``x-should-retry: false`` so the client sees it at once
      (the recorded retries are not replayed);
    * no response at all (the run stopped before it arrived): 400
      ``cassette_no_response`` with the recorded error.

    A step without output does not move the position, so the steps a recorded
    client reached by retrying after it are not served.

Limits
    One computer call per response (the first, if a recording has more) and one
    assistant message (their texts joined); a full-history client replaying a
    response that had several gets a structural mismatch on the next step.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final, Literal

from ..cassette.format import StepRecord
from ..cassette.redact import MARKER
from ..cassette.store import Cassette
from ..errors import Difference, InvalidCassette, InvalidSetting
from ..replay.cursor import ReplayCursor
from ..replay.matchers import DEFAULT_THRESHOLD, Comparison, MatchPolicy
from ..wire.envelopes import APIError, shorten
from .brain import Decision, Reply
from .contract import CreateRequest
from .scenario import SAFETY_MESSAGES, Fault, ResponseFault, SafetyCheck

logger = logging.getLogger(__name__)

ToolFlavour = Literal["preview", "ga"]

SHOWN_DIFFERENCES: Final = 3
"""Field differences quoted in a ``cassette_mismatch`` message; the rest are counted."""
ALWAYS: Final = 2**31
"""``times`` of a recorded failure: served on every attempt, as the recording got it."""
TOOL_NAMES: Final[dict[ToolFlavour, str]] = {"preview": "computer_use_preview", "ga": "computer"}


class CassetteBrain:
    """Answers request ``k`` of any conversation with step ``k + 1`` of ``cassette``."""

    def __init__(
        self,
        cassette: Cassette,
        *,
        match: MatchPolicy | str = MatchPolicy.STRUCTURAL,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise InvalidSetting(
                f"Screenshot threshold {threshold!r} is not a fraction between 0 and 1; "
                "use e.g. --threshold 0.01 (1% of pixels).",
                setting="threshold",
            )
        self.cassette = cassette
        self.match = MatchPolicy.parse(match)
        self.threshold = threshold
        self.name = f"cassette:{cassette.directory.name}"
        """Also seeds the server's ids, which therefore differ from a recording's own."""
        # Ids by position: the server issues its own, the recording has others.
        self._cursor = ReplayCursor(
            cassette, match=self.match, threshold=threshold, ids_by_position=True
        )
        self._starts: dict[int, int] = {}
        """``request.progress`` -> the step that answers it (see :func:`advance`)."""
        progress = 0
        for step in cassette.steps:
            self._starts.setdefault(progress, step.step)
            progress += advance(step)
        self._end = progress

    def decide(self, request: CreateRequest) -> Decision:
        total = len(self.cassette.steps)
        number = self._starts.get(request.progress)
        if number is None and request.progress >= self._end:
            raise APIError(
                400,
                f"Cassette '{self._label}' is exhausted: it recorded {total} "
                f"{'step' if total == 1 else 'steps'} and this conversation has had them all. "
                "Start a new conversation (no previous_response_id) to replay it again, or "
                "re-record the cassette if the client now takes more steps.",
                param="input",
                code="cassette_exhausted",
            )
        if number is None:
            raise APIError(
                400,
                f"Cassette '{self._label}': this request's history holds {request.progress} "
                "computer_call_outputs and assistant messages, which is no recorded step's "
                "starting point; the client added or dropped items the recording did not.",
                param="input",
                code="cassette_mismatch",
            )
        step = self.cassette.steps[number - 1]
        recorded = self.cassette.request(number)
        self._check_tool(number, recorded, request)
        comparison = self._compare(number, recorded, request.body)
        notes: dict[str, Any] = {"step": number, "cassette": str(self.cassette.directory)}
        if comparison.differences:
            shown = _summary(comparison)
            if comparison.fatal:
                raise APIError(
                    400,
                    f"Cassette '{self._label}' step {number}: the request differs from the "
                    f"recorded one ({self.match.value} match): {shown}. Send the request the "
                    "recording made, re-record the cassette, or serve it with --match "
                    "sequential to go on regardless.",
                    param="input",
                    code="cassette_mismatch",
                )
            logger.warning(
                "cassette %s step %d: the request differs from the recorded one, served anyway "
                "(sequential match): %s",
                self._label,
                number,
                shown,
            )
            notes["differences"] = [str(d) for d in comparison.differences]
        reply, fault = self._answer(step)
        return Decision(reply, fault, notes)

    @property
    def _label(self) -> str:
        return shorten(str(self.cassette.directory), 120)

    # -- checking the request --------------------------------------------------------------

    def _check_tool(self, number: int, recorded: dict[str, Any], request: CreateRequest) -> None:
        needed = _tool_flavour(recorded.get("tools"))
        live: ToolFlavour | None = request.tool.kind if request.tool is not None else None
        if needed is None or live == needed:
            return
        got = f"the '{TOOL_NAMES[live]}' tool" if live is not None else "no computer tool"
        raise APIError(
            400,
            f"Cassette '{self._label}' was recorded with the '{TOOL_NAMES[needed]}' tool, but "
            f"step {number}'s request declares {got}. Declare "
            f'{{"type": "{TOOL_NAMES[needed]}"...}} in \'tools\' to replay it, or record a '
            "cassette with the tool this client uses.",
            param="tools",
            code="cassette_tool_mismatch",
        )

    def _compare(self, number: int, recorded: dict[str, Any], body: dict[str, Any]) -> Comparison:
        """The replay cursor's canonical form and comparison (the same as every replay),
        minus differences a redacted recorded string stands for."""
        try:
            live = self._cursor.canonical(body, self.cassette.steps[number - 1].items)
            comparison = self._cursor.compare(recorded, live)
        except InvalidCassette as exc:
            raise APIError(
                500,
                f"Cassette '{self._label}' cannot be read: {exc}",
                type="server_error",
                code="cassette_invalid",
            ) from None
        comparison.differences = [d for d in comparison.differences if not _redacted_match(d)]
        return comparison

    # -- the answer -----------------------------------------------------------------------

    def _answer(self, step: StepRecord) -> tuple[Reply, Fault | None]:
        response = step.response
        if response is None:
            raise self._no_response(step)
        reply = reply_of(response)
        status = response.get("status")
        fault: Fault | None = None
        if status == "failed":
            error = response.get("error") or {}
            fault = ResponseFault(
                kind="failed",
                code=str(error.get("code") or "server_error"),
                message=str(error.get("message") or "The model failed to produce a response."),
                times=ALWAYS,
            )
        elif status == "incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            # model_construct: a reason the real service may add keeps its recorded name.
            fault = ResponseFault.model_construct(
                kind="incomplete",
                code="server_error",
                message="",
                reason=reason or "max_output_tokens",
                times=ALWAYS,
            )
        return reply, fault

    def _no_response(self, step: StepRecord) -> APIError:
        http = step.http
        if http is not None and http.status is not None and http.status >= 400:
            body = http.body if isinstance(http.body, dict) else {}
            found = body.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            message = error.get("message") or (
                http.body if isinstance(http.body, str) and http.body else None
            )
            return APIError(
                http.status,
                str(message or f"Recorded HTTP {http.status} (cassette step {step.step})."),
                type=error.get("type") if "type" in error else "invalid_request_error",
                param=error.get("param"),
                code=str(error["code"]) if error.get("code") is not None else None,
                headers={"x-should-retry": "false"},
            )
        why = step.error or "the run stopped before a response arrived"
        return APIError(
            400,
            f"Cassette '{self._label}' step {step.step} recorded no response "
            f"({shorten(why, 300)}), so there is nothing to serve for this request. Re-record "
            "the cassette, or replay only the steps before it.",
            param="input",
            code="cassette_no_response",
        )


def advance(step: StepRecord) -> int:
    """How far the served response moves a conversation's ``progress``: its message, plus
    the ``computer_call_output`` the client sends back for its call. Usually 1; 2 when a
    response carried a message beside its call (GA commentary); 0 for one without output."""
    if step.response is None or step.response.get("status") in ("failed", "incomplete"):
        return 0
    reply = reply_of(step.response)
    return (reply.message is not None) + (reply.actions is not None)


def reply_of(response: dict[str, Any]) -> Reply:
    """The model output of a recorded ``Response``: what the server renders with its own ids.

    Reasoning summaries are joined; the first computer call gives the actions (a
    preview ``action`` as a 1-tuple, a GA ``actions`` batch as it is) and its
    pending safety checks; assistant messages' text is joined.
    """
    reasoning: list[str] = []
    saw_reasoning = False
    actions: tuple[dict[str, Any], ...] | None = None
    checks: tuple[SafetyCheck, ...] = ()
    messages: list[str] = []
    for item in response.get("output") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "reasoning":
            saw_reasoning = True
            reasoning += [
                str(part.get("text", ""))
                for part in item.get("summary") or []
                if isinstance(part, dict)
            ]
        elif kind == "computer_call" and actions is None:
            if item.get("actions") is not None:
                actions = tuple(dict(a) for a in item["actions"])
            elif item.get("action") is not None:
                actions = (dict(item["action"]),)
            checks = tuple(_check(c) for c in item.get("pending_safety_checks") or [])
        elif kind == "message" and item.get("role") == "assistant":
            messages.append(
                "".join(
                    str(part.get("text", ""))
                    for part in item.get("content") or []
                    if isinstance(part, dict) and part.get("type") == "output_text"
                )
            )
    return Reply(
        reasoning="\n\n".join(reasoning) if saw_reasoning else None,
        actions=actions,
        checks=checks,
        message="\n\n".join(messages) if messages else None,
    )


def _check(check: dict[str, Any]) -> SafetyCheck:
    code = str(check.get("code") or "")
    message = check.get("message") or SAFETY_MESSAGES.get(code) or code
    # model_construct: a code the real service adds later is replayed as recorded.
    return SafetyCheck.model_construct(code=code, message=str(message))  # type: ignore[arg-type]


def _tool_flavour(tools: object) -> ToolFlavour | None:
    if not isinstance(tools, list):
        return None
    for tool in tools:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind in ("computer_use_preview", "computer-preview"):
            return "preview"
        if kind == "computer":
            return "ga"
    return None


def _redacted_match(difference: Difference) -> bool:
    """Is the recorded value a redacted string the live one fits (a marker for any text)?"""
    recorded, live = difference.recorded, difference.live
    if not (isinstance(recorded, str) and isinstance(live, str) and MARKER in recorded):
        return False
    pattern = ".+?".join(re.escape(part) for part in recorded.split(MARKER))
    return re.fullmatch(pattern, live, flags=re.DOTALL) is not None


def _summary(comparison: Comparison) -> str:
    differences = comparison.differences
    shown = "; ".join(shorten(str(d), 300) for d in differences[:SHOWN_DIFFERENCES])
    more = len(differences) - SHOWN_DIFFERENCES
    return shown + (f"; and {more} more" if more > 0 else "")
