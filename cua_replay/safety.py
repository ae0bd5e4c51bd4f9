"""The safety gate: who acknowledges a computer call's ``pending_safety_checks``.

The loop asks a :class:`SafetyGate` before it executes a call. The gate owns the
decision and nothing else: it never touches the browser, and the loop
acknowledges a call's checks only on ``Verdict(approved=True)``.

Two rules hold whatever the policy (see :func:`screen`):

* a call with no pending checks is approved without consulting the policy;
* a ``sensitive_domain`` check is denied unless a human can watch the browser
  (``watched=True``: a headed browser, ``--watch``), the "watch mode" the
  computer-use guide asks for on sensitive sites.

Policies: :class:`PromptGate` (ask at the terminal), :class:`DenyGate`,
:class:`AllowGate` (auto-acknowledge named codes, for sandboxes) and
:class:`CallbackGate` (a Python callable). :func:`gate_from_spec` builds the
first three from a CLI string.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from .errors import InvalidSafetyPolicy

if TYPE_CHECKING:
    from openai.types.responses import ResponseComputerToolCall
    from openai.types.responses.response_computer_tool_call import PendingSafetyCheck

logger = logging.getLogger(__name__)

MALICIOUS_INSTRUCTIONS = "malicious_instructions"
IRRELEVANT_DOMAIN = "irrelevant_domain"
SENSITIVE_DOMAIN = "sensitive_domain"
KNOWN_CODES = frozenset({MALICIOUS_INSTRUCTIONS, IRRELEVANT_DOMAIN, SENSITIVE_DOMAIN})
"""The check codes the computer-use guide documents."""

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_SPECS = "'prompt', 'deny' or 'allow:CODE[,CODE...]'"


@dataclass(frozen=True)
class Verdict:
    """A gate's answer for one call; ``decided_by`` names who decided, for the record."""

    approved: bool
    decided_by: str
    """``no checks``, ``watch mode``, ``prompt``, ``deny``, ``allow:CODE,...``, ``callback``."""
    reason: str = ""


class SafetyGate(Protocol):
    """The safety seam: decide whether a call's pending safety checks are acknowledged.

    Why a seam: who may acknowledge a check is policy (a person at the
    terminal, a sandbox allow-list, a test's callback, the recorded decision
    in a replay), while the loop's duty is fixed: never act on a call whose
    checks no one acknowledged.

    What the loop relies on: it calls ``decide`` for *every* computer call,
    before executing any of its actions. ``decide`` must return a
    :class:`Verdict` and never approve a check that no one decided on; it
    should start with :func:`screen`. On ``approved=True`` the loop
    acknowledges all the call's checks and executes it; otherwise it stops the
    run (``SAFETY_DENIED``) and executes nothing. It may raise (the loop then
    stops with an error and acknowledges nothing). ``current_url`` is the page
    the call would act on; ``watched`` is True when a human can see the
    browser. A gate never touches the browser. Structural: no subclassing.
    """

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict: ...


def screen(call: ResponseComputerToolCall, *, watched: bool) -> Verdict | None:
    """The verdict no policy can override, or None when the policy must decide."""
    checks = call.pending_safety_checks
    if not checks:
        return Verdict(True, "no checks")
    if not watched and any(_is_sensitive(c) for c in checks):
        return Verdict(
            False,
            "watch mode",
            f"call_id={call.call_id!r} raised a {SENSITIVE_DOMAIN} check, which needs a human "
            "watching the browser. Re-run with a headed browser (--watch) to decide it.",
        )
    return None


class PromptGate:
    """Ask at the terminal, one y/n question per check; no TTY means no.

    ``input_fn`` reads one answer (default :func:`input`; EOF denies), questions
    go to ``output`` (default ``sys.stderr``), and ``isatty`` says whether a
    human is there (default ``sys.stdin.isatty``). Empty input is "no"; any
    other answer than y/yes/n/no is asked again, ``attempts`` times in all.
    The prompt blocks the event loop on purpose: the run is paused until a
    human answers, and Ctrl-C stays a plain KeyboardInterrupt.
    """

    decided_by = "prompt"

    def __init__(
        self,
        *,
        input_fn: Callable[[str], str] | None = None,
        output: TextIO | None = None,
        isatty: Callable[[], bool] | None = None,
        attempts: int = 3,
    ) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise InvalidSafetyPolicy(
                f"PromptGate needs attempts >= 1, got attempts={attempts!r}. Pass a positive int."
            )
        self._input = input_fn
        self._output = output
        self._isatty = isatty
        self.attempts = attempts

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        if (verdict := screen(call, watched=watched)) is not None:
            return verdict
        isatty = self._isatty or sys.stdin.isatty
        if not isatty():
            return Verdict(
                False,
                self.decided_by,
                f"no TTY to ask on, so {_describe(call.pending_safety_checks)} were denied. "
                "Run in a terminal, or pick a non-interactive policy ('deny', 'allow:CODE,...').",
            )
        read = self._input or input
        out = self._output or sys.stderr
        checks = call.pending_safety_checks
        out.write(
            f"\nThe model raised {len(checks)} safety check(s) on call_id={call.call_id!r} "
            f"at {current_url or '(no url)'}:\n"
        )
        for number, check in enumerate(checks, 1):
            out.write(
                f"  [{number}/{len(checks)}] {_code(check)}: {check.message or '(no message)'}\n"
            )
            answer = self._ask(read, out, check)
            if answer is not True:
                return Verdict(False, self.decided_by, f"{_code(check)}: {answer}")
        return Verdict(True, self.decided_by, f"approved at the prompt: {_describe(checks)}")

    def _ask(
        self, read: Callable[[str], str], out: TextIO, check: PendingSafetyCheck
    ) -> bool | str:
        """True, or why not."""
        for _ in range(self.attempts):
            out.flush()
            try:
                answer = read(f"  Acknowledge {_code(check)} and continue? [y/N] ")
            except EOFError:
                out.write("\n")
                return "input closed (EOF) before an answer; denied"
            word = answer.strip().lower()
            if word in ("y", "yes"):
                return True
            if word in ("", "n", "no"):
                return "denied at the prompt"
            out.write(f"  Please answer y or n (got {answer.strip()!r}).\n")
        return f"no y/n answer in {self.attempts} attempts; denied"


class DenyGate:
    """Deny every call that carries a safety check."""

    decided_by = "deny"

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        if (verdict := screen(call, watched=watched)) is not None:
            return verdict
        return Verdict(
            False, self.decided_by, f"policy 'deny': {_describe(call.pending_safety_checks)}"
        )


class AllowGate:
    """Auto-acknowledge checks whose code is in ``codes``; deny a call with any other.

    Meant for sandboxes. Every acknowledgement is logged at WARNING. Codes the
    guide does not document are accepted with a warning (a new service code);
    a typo there can only deny more, never approve more.
    """

    def __init__(self, codes: Iterable[str]) -> None:
        if isinstance(codes, str):
            raise InvalidSafetyPolicy(
                f"AllowGate takes a set of codes, not one string codes={codes!r}. "
                f"Write AllowGate(frozenset({{{codes!r}}}))."
            )
        self.codes = frozenset(_valid_code(c) for c in codes)
        if not self.codes:
            raise InvalidSafetyPolicy(
                f"AllowGate needs at least one code to allow; valid: {sorted(KNOWN_CODES)}. "
                "To allow nothing, use DenyGate."
            )
        for code in sorted(self.codes - KNOWN_CODES):
            close = difflib.get_close_matches(code, sorted(KNOWN_CODES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            logger.warning(
                "AllowGate allows code=%r, which is not a documented safety check code%s; "
                "documented: %s",
                code,
                hint,
                sorted(KNOWN_CODES),
            )
        self.decided_by = "allow:" + ",".join(sorted(self.codes))

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        if (verdict := screen(call, watched=watched)) is not None:
            return verdict
        checks = call.pending_safety_checks
        refused = [c for c in checks if c.code not in self.codes]
        if refused:
            return Verdict(
                False,
                self.decided_by,
                f"not in the allow-list: {_describe(refused)}",
            )
        for check in checks:
            logger.warning(
                "AUTO-ACKNOWLEDGED safety check id=%r code=%r on call_id=%r at %s: %s",
                check.id,
                check.code,
                call.call_id,
                current_url or "(no url)",
                check.message,
            )
        return Verdict(True, self.decided_by, f"auto-acknowledged: {_describe(checks)}")


class CallbackGate:
    """Ask a Python callable ``fn(call) -> bool`` (sync or async); only ``True`` approves.

    ``fn`` gets a deep copy of the call. If it raises, the error propagates and
    nothing is acknowledged.
    """

    decided_by = "callback"

    def __init__(self, fn: Callable[[ResponseComputerToolCall], bool | Awaitable[bool]]) -> None:
        if not callable(fn):
            raise InvalidSafetyPolicy(
                f"CallbackGate needs a callable (call) -> bool, got fn={fn!r} "
                f"(type={type(fn).__name__})."
            )
        self.fn = fn

    async def decide(
        self, call: ResponseComputerToolCall, *, current_url: str, watched: bool
    ) -> Verdict:
        if (verdict := screen(call, watched=watched)) is not None:
            return verdict
        result: object = self.fn(call.model_copy(deep=True))
        if inspect.isawaitable(result):
            result = await result
        if result is True:
            return Verdict(
                True, self.decided_by, f"approved: {_describe(call.pending_safety_checks)}"
            )
        return Verdict(
            False,
            self.decided_by,
            f"callback returned {result!r}, not True: {_describe(call.pending_safety_checks)}",
        )


def gate_from_spec(
    spec: str,
    *,
    input_fn: Callable[[str], str] | None = None,
    output: TextIO | None = None,
    isatty: Callable[[], bool] | None = None,
) -> PromptGate | DenyGate | AllowGate:
    """Build a gate from ``prompt``, ``deny`` or ``allow:CODE[,CODE...]``.

    The keyword arguments are the prompt's I/O (see :class:`PromptGate`) and are
    ignored by the other policies.
    """
    if not isinstance(spec, str):
        raise InvalidSafetyPolicy(f"Safety spec must be a str, got spec={spec!r}; use {_SPECS}.")
    kind, colon, rest = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind == "prompt" and not colon:
        return PromptGate(input_fn=input_fn, output=output, isatty=isatty)
    if kind == "deny" and not colon:
        return DenyGate()
    if kind == "allow":
        if not rest.strip():
            raise InvalidSafetyPolicy(
                f"Safety spec={spec!r} names no codes to allow. "
                f"Write e.g. 'allow:{MALICIOUS_INSTRUCTIONS}'; valid codes: {sorted(KNOWN_CODES)}."
            )
        return AllowGate(_valid_code(code, spec=spec) for code in rest.split(","))
    raise InvalidSafetyPolicy(
        f"Unknown safety spec={spec!r}; use {_SPECS}, with CODE one of {sorted(KNOWN_CODES)}."
    )


def _valid_code(code: object, *, spec: str | None = None) -> str:
    where = f" in spec={spec!r}" if spec is not None else ""
    if not isinstance(code, str):
        raise InvalidSafetyPolicy(
            f"Safety check code must be a str, got code={code!r}{where}; "
            f"valid codes: {sorted(KNOWN_CODES)}."
        )
    cleaned = code.strip()
    if not _CODE.fullmatch(cleaned):
        problem = "is empty" if not cleaned else "is not a lowercase snake_case code"
        raise InvalidSafetyPolicy(
            f"Safety check code={code!r}{where} {problem}; valid codes: {sorted(KNOWN_CODES)}."
        )
    return cleaned


def _is_sensitive(check: PendingSafetyCheck) -> bool:
    # Normalised, so an oddly spelled code still counts as sensitive (fail closed).
    return (check.code or "").strip().lower() == SENSITIVE_DOMAIN


def _code(check: PendingSafetyCheck) -> str:
    return check.code or "(no code)"


def _describe(checks: Iterable[PendingSafetyCheck]) -> str:
    return ", ".join(f"{_code(c)} (id={c.id!r})" for c in checks)
