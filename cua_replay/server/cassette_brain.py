"""A brain that answers with a recorded cassette: any client replays a recording over HTTP.

``cua-replay serve --cassette DIR`` puts this behind the fake server, so code
that only speaks HTTP (the SDK, a team's own loop, another language) replays
a run recorded once, offline and deterministically.

A thin renderer of the replay core
    The step, the check and the answer are the replay core's, as for every
    other replay path: :meth:`ReplayCursor.for_progress
    <cua_replay.replay.cursor.ReplayCursor.for_progress>` picks the step from
    the conversation's position (``request.progress``, the number of
    ``computer_call_output`` items and assistant messages in the effective
    history), so a chaining client (``previous_response_id``) and a
    full-history one land on the same step and two conversations never disturb
    each other; :meth:`ReplayCursor.check` compares the request with the
    recorded one (ids by position, screenshots perceptually) and writes the
    recorded/live/diff PNGs of a differing screenshot; the step's
    :func:`~cua_replay.replay.outcome.outcome_of` is what is served. A
    difference answers 400 ``cassette_mismatch`` naming the step, the first
    fields that differ and the PNGs; under ``sequential`` it is logged as a
    warning and the step is served anyway. Past the last recorded step the answer is 400
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

import dataclasses
from typing import Any, Final, Literal

from ..cassette.store import Cassette
from ..errors import InvalidCassette, ReplayMismatch
from ..replay.cursor import ReplayCursor
from ..replay.matchers import MatchPolicy
from ..replay.options import ReplayOptions
from ..replay.outcome import Answered, Refused, outcome_of
from ..wire.envelopes import APIError, shorten
from .brain import Decision, Reply
from .contract import CreateRequest
from .scenario import SAFETY_MESSAGES, Fault, ResponseFault, SafetyCheck

ToolFlavour = Literal["preview", "ga"]

SHOWN_DIFFERENCES: Final = 3
"""Field differences quoted in a ``cassette_mismatch`` message; the rest are counted."""
ALWAYS: Final = 2**31
"""``times`` of a recorded failure: served on every attempt, as the recording got it."""
TOOL_NAMES: Final[dict[ToolFlavour, str]] = {"preview": "computer_use_preview", "ga": "computer"}


class CassetteBrain:
    """Answers request ``k`` of any conversation with step ``k + 1`` of ``cassette``."""

    def __init__(self, cassette: Cassette, options: ReplayOptions | None = None) -> None:
        # Ids by position: the server issues its own, the recording has others.
        options = dataclasses.replace(options or ReplayOptions(), ids_by_position=True)
        self.cassette = cassette
        self.match: MatchPolicy = options.match
        self.threshold = options.threshold
        self.name = f"cassette:{cassette.directory.name}"
        """Also seeds the server's ids, which therefore differ from a recording's own."""
        self._cursor = ReplayCursor(cassette, options)

    def decide(self, request: CreateRequest) -> Decision:
        total = len(self.cassette.steps)
        number = self._cursor.for_progress(request.progress)
        if number is None and request.progress >= self._cursor.conversation_end:
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
        self._check_tool(number, self.cassette.request(number), request)
        warned = len(self._cursor.warnings)
        try:
            step = self._cursor.check(number, request.body)
        except ReplayMismatch as mismatch:
            raise self._mismatch(number, mismatch) from None
        except InvalidCassette as exc:
            raise APIError(
                500,
                f"Cassette '{self._label}' cannot be read: {exc}",
                type="server_error",
                code="cassette_invalid",
            ) from None
        notes: dict[str, Any] = {"step": number, "cassette": str(self.cassette.directory)}
        warnings = self._cursor.warnings[warned:]
        if warnings:
            notes["differences"] = [str(d) for w in warnings for d in w.differences]
        reply, fault = self._answer(number)
        del step
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

    def _mismatch(self, number: int, mismatch: ReplayMismatch) -> APIError:
        differences = mismatch.differences
        shown = "; ".join(shorten(str(d), 300) for d in differences[:SHOWN_DIFFERENCES])
        more = len(differences) - SHOWN_DIFFERENCES
        shown += f"; and {more} more" if more > 0 else ""
        files = (
            " Screenshots: " + ", ".join(str(f) for f in mismatch.files) + "."
            if mismatch.files
            else ""
        )
        return APIError(
            400,
            f"Cassette '{self._label}' step {number}: the request differs from the "
            f"recorded one ({self.match.value} match): {shown}. Send the request the "
            "recording made, re-record the cassette, or serve it with --match "
            f"sequential to go on regardless.{files}",
            param="input",
            code="cassette_mismatch",
        )

    # -- the answer -----------------------------------------------------------------------

    def _answer(self, number: int) -> tuple[Reply, Fault | None]:
        outcome = outcome_of(self.cassette.steps[number - 1])
        ending = outcome.ending
        if isinstance(ending, Refused):
            raise _refused(ending, number)
        if not isinstance(ending, Answered):
            raise APIError(
                400,
                f"Cassette '{self._label}' step {number} recorded no response "
                f"({shorten(ending.detail, 300)}), so there is nothing to serve for this "
                "request. Re-record the cassette, or replay only the steps before it.",
                param="input",
                code="cassette_no_response",
            )
        response = ending.response
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


def _refused(ending: Refused, number: int) -> APIError:
    """The recorded HTTP error, served at once (``x-should-retry: false``: no retries)."""
    body = ending.body if isinstance(ending.body, dict) else {}
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    message = error.get("message") or (
        ending.body if isinstance(ending.body, str) and ending.body else None
    )
    return APIError(
        ending.status,
        str(message or f"Recorded HTTP {ending.status} (cassette step {number})."),
        type=error.get("type") if "type" in error else "invalid_request_error",
        param=error.get("param"),
        code=str(error["code"]) if error.get("code") is not None else None,
        headers={"x-should-retry": "false"},
    )


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
