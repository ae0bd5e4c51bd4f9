"""The safety gate: every check code against every policy, watched or not, and the prompt's I/O."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.responses import ResponseComputerToolCall

from cua_replay.errors import CuaReplayError, InvalidSafetyPolicy
from cua_replay.safety import (
    KNOWN_CODES,
    SENSITIVE_DOMAIN,
    AllowGate,
    CallbackGate,
    DenyGate,
    PromptGate,
    SafetyGate,
    Verdict,
    gate_from_spec,
    screen,
)

URL = "https://shop.example/checkout.html"
CODES: tuple[str | None, ...] = (
    "malicious_instructions",
    "irrelevant_domain",
    "sensitive_domain",
    "brand_new_code",  # a code the guide does not document yet
    None,  # the wire allows a check without a code
)
ALL_KNOWN = "allow:irrelevant_domain,malicious_instructions,sensitive_domain"


def make_call(*codes: str | None) -> ResponseComputerToolCall:
    return ResponseComputerToolCall.model_validate(
        {
            "type": "computer_call",
            "id": "cu_1",
            "call_id": "call_1",
            "status": "completed",
            "action": {"type": "click", "x": 1, "y": 2, "button": "left"},
            "pending_safety_checks": [
                {"id": f"cu_sc_{n}", "code": code, "message": f"Message about {code}."}
                for n, code in enumerate(codes)
            ],
        }
    )


def decide(gate: SafetyGate, call: ResponseComputerToolCall, *, watched: bool) -> Verdict:
    return asyncio.run(gate.decide(call, current_url=URL, watched=watched))


class Answers:
    """A scripted ``input``: returns the answers in order, then raises EOFError."""

    def __init__(self, *answers: str) -> None:
        self._answers: Iterator[str] = iter(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        try:
            return next(self._answers)
        except StopIteration:
            raise EOFError from None


def prompt_gate(*answers: str, tty: bool = True) -> tuple[PromptGate, Answers, io.StringIO]:
    read, out = Answers(*answers), io.StringIO()
    return PromptGate(input_fn=read, output=out, isatty=lambda: tty), read, out


async def async_true(call: ResponseComputerToolCall) -> bool:
    return True


#: name -> (factory, which codes it approves, decided_by)
POLICIES: dict[str, tuple[Callable[[], SafetyGate], Callable[[str | None], bool], str]] = {
    "prompt answered y": (lambda: prompt_gate("y")[0], lambda code: True, "prompt"),
    "prompt answered n": (lambda: prompt_gate("n")[0], lambda code: False, "prompt"),
    "prompt without a tty": (lambda: prompt_gate("y", tty=False)[0], lambda code: False, "prompt"),
    "deny": (DenyGate, lambda code: False, "deny"),
    "allow the known codes": (
        lambda: AllowGate(KNOWN_CODES),
        lambda code: code in KNOWN_CODES,
        ALL_KNOWN,
    ),
    "allow one new code": (
        lambda: AllowGate(frozenset({"brand_new_code"})),
        lambda code: code == "brand_new_code",
        "allow:brand_new_code",
    ),
    "sync callback True": (lambda: CallbackGate(lambda call: True), lambda code: True, "callback"),
    "async callback True": (lambda: CallbackGate(async_true), lambda code: True, "callback"),
    "callback truthy 1": (lambda: CallbackGate(lambda call: 1), lambda code: False, "callback"),  # type: ignore[arg-type, return-value]
}


@pytest.mark.parametrize("watched", [True, False], ids=["watched", "unwatched"])
@pytest.mark.parametrize("code", CODES, ids=[str(c) for c in CODES])
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_gate_verdict_for_every_code_policy_and_watch_state(
    policy: str, code: str | None, watched: bool
) -> None:
    factory, approves, decided_by = POLICIES[policy]
    verdict = decide(factory(), make_call(code), watched=watched)
    if code == SENSITIVE_DOMAIN and not watched:
        assert verdict == Verdict(False, "watch mode", verdict.reason)
        assert "--watch" in verdict.reason and "headed" in verdict.reason
    else:
        assert (verdict.approved, verdict.decided_by) == (approves(code), decided_by)
        assert verdict.reason


class Untouchable:
    """A policy input that fails the test if consulted."""

    def __call__(self, *args: Any) -> Any:
        raise AssertionError("the policy was consulted")


@pytest.mark.parametrize("watched", [True, False])
@pytest.mark.parametrize(
    "gate",
    [
        PromptGate(input_fn=Untouchable(), isatty=Untouchable(), output=io.StringIO()),
        DenyGate(),
        AllowGate(KNOWN_CODES),
        CallbackGate(Untouchable()),
    ],
    ids=["prompt", "deny", "allow", "callback"],
)
def test_gate_with_no_pending_checks_approves_without_consulting_the_policy(
    gate: SafetyGate, watched: bool
) -> None:
    assert decide(gate, make_call(), watched=watched) == Verdict(True, "no checks")


@pytest.mark.parametrize(
    "gate",
    [
        PromptGate(input_fn=Untouchable(), isatty=Untouchable(), output=io.StringIO()),
        AllowGate(KNOWN_CODES),
        CallbackGate(Untouchable()),
    ],
    ids=["prompt", "allow", "callback"],
)
def test_gate_with_unwatched_sensitive_domain_among_other_checks_denies_before_the_policy(
    gate: SafetyGate,
) -> None:
    call = make_call("malicious_instructions", SENSITIVE_DOMAIN)
    assert decide(gate, call, watched=False).decided_by == "watch mode"


def test_screen_counts_an_oddly_spelled_sensitive_code_as_sensitive() -> None:
    verdict = screen(make_call(" Sensitive_Domain "), watched=False)
    assert verdict is not None and not verdict.approved


@given(
    codes=st.lists(st.sampled_from(CODES), max_size=4),
    allowed=st.frozensets(st.sampled_from(sorted(KNOWN_CODES | {"brand_new_code"})), min_size=1),
    watched=st.booleans(),
)
def test_allow_gate_approves_exactly_when_every_code_is_allowed_and_watch_rules_hold(
    codes: list[str | None], allowed: frozenset[str], watched: bool
) -> None:
    verdict = decide(AllowGate(allowed), make_call(*codes), watched=watched)
    sensitive_ok = watched or SENSITIVE_DOMAIN not in codes
    assert verdict.approved == (not codes or (sensitive_ok and all(c in allowed for c in codes)))
    assert decide(DenyGate(), make_call(*codes), watched=watched).approved == (not codes)


# -- the prompt ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "approved", "reason"),
    [
        (("y",), True, "approved at the prompt"),
        ((" YES ",), True, "approved at the prompt"),
        (("n",), False, "denied at the prompt"),
        (("No",), False, "denied at the prompt"),
        (("",), False, "denied at the prompt"),  # Enter takes the [y/N] default
        (("maybe", "y"), True, "approved at the prompt"),  # garbage is asked again
        (("maybe", "?", "sure"), False, "no y/n answer in 3 attempts"),
        ((), False, "EOF"),  # stdin closed
        (("maybe",), False, "EOF"),  # closed after garbage
    ],
)
def test_prompt_answers(answers: tuple[str, ...], approved: bool, reason: str) -> None:
    gate, _, out = prompt_gate(*answers)
    verdict = decide(gate, make_call("malicious_instructions"), watched=False)
    assert (verdict.approved, verdict.decided_by) == (approved, "prompt")
    assert reason in verdict.reason
    if "maybe" in answers:
        assert "Please answer y or n (got 'maybe')" in out.getvalue()


def test_prompt_shows_each_check_code_message_and_url() -> None:
    gate, read, out = prompt_gate("y", "y")
    verdict = decide(gate, make_call("malicious_instructions", "irrelevant_domain"), watched=True)
    assert verdict.approved
    shown = out.getvalue()
    assert URL in shown and "call_1" in shown
    assert "[1/2] malicious_instructions: Message about malicious_instructions." in shown
    assert "[2/2] irrelevant_domain: Message about irrelevant_domain." in shown
    assert len(read.prompts) == 2 and "[y/N]" in read.prompts[0]


def test_prompt_stops_at_the_first_denied_check_and_names_it() -> None:
    gate, read, _ = prompt_gate("n", "y")
    verdict = decide(gate, make_call("irrelevant_domain", "malicious_instructions"), watched=True)
    assert not verdict.approved and verdict.reason.startswith("irrelevant_domain")
    assert len(read.prompts) == 1


def test_prompt_without_a_tty_denies_without_reading_and_says_why() -> None:
    gate, read, out = prompt_gate("y", tty=False)
    verdict = decide(gate, make_call("malicious_instructions"), watched=True)
    assert not verdict.approved
    assert "no TTY" in verdict.reason and "'deny'" in verdict.reason
    assert read.prompts == [] and out.getvalue() == ""


def test_prompt_defaults_read_stdin_at_decision_time(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = PromptGate()
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # StringIO is not a TTY
    assert "no TTY" in decide(gate, make_call("irrelevant_domain"), watched=True).reason


@pytest.mark.parametrize("attempts", [0, -1, True, 1.5])
def test_prompt_gate_with_bad_attempts_raises(attempts: Any) -> None:
    with pytest.raises(InvalidSafetyPolicy, match="attempts >= 1"):
        PromptGate(attempts=attempts)


# -- allow and callback -------------------------------------------------------


def test_allow_gate_logs_every_acknowledgement_loudly(caplog: pytest.LogCaptureFixture) -> None:
    gate = AllowGate(frozenset({"malicious_instructions", "irrelevant_domain"}))
    with caplog.at_level(logging.WARNING, logger="cua_replay.safety"):
        verdict = decide(
            gate, make_call("malicious_instructions", "irrelevant_domain"), watched=False
        )
    assert verdict.approved
    acknowledged = [r for r in caplog.records if "AUTO-ACKNOWLEDGED" in r.getMessage()]
    assert [r.levelno for r in acknowledged] == [logging.WARNING] * 2
    assert "cu_sc_0" in acknowledged[0].getMessage() and URL in acknowledged[0].getMessage()


def test_allow_gate_denies_a_call_with_one_code_outside_the_list_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = AllowGate(frozenset({"malicious_instructions"}))
    with caplog.at_level(logging.WARNING, logger="cua_replay.safety"):
        verdict = decide(
            gate, make_call("malicious_instructions", "irrelevant_domain"), watched=True
        )
    assert not verdict.approved
    assert "irrelevant_domain (id='cu_sc_1')" in verdict.reason
    assert "malicious_instructions" not in verdict.reason
    assert not [r for r in caplog.records if "AUTO-ACKNOWLEDGED" in r.getMessage()]


def test_allow_gate_with_an_undocumented_code_warns_with_a_suggestion(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="cua_replay.safety"):
        AllowGate(frozenset({"malicous_instructions"}))
    assert "did you mean 'malicious_instructions'" in caplog.text


@pytest.mark.parametrize("result", [False, None, 1, "yes", [True], object()])
def test_callback_returning_anything_but_true_denies(result: Any) -> None:
    gate = CallbackGate(lambda call: result)
    verdict = decide(gate, make_call("irrelevant_domain"), watched=True)
    assert not verdict.approved and "not True" in verdict.reason


def test_async_callback_returning_false_denies() -> None:
    async def no(call: ResponseComputerToolCall) -> bool:
        return False

    assert not decide(CallbackGate(no), make_call("irrelevant_domain"), watched=True).approved


def test_callback_gets_a_copy_it_cannot_mutate() -> None:
    call = make_call("irrelevant_domain")

    def meddle(seen: ResponseComputerToolCall) -> bool:
        seen.pending_safety_checks.clear()
        return True

    assert decide(CallbackGate(meddle), call, watched=True).approved
    assert [c.code for c in call.pending_safety_checks] == ["irrelevant_domain"]


def test_callback_that_raises_propagates() -> None:
    def broken(call: ResponseComputerToolCall) -> bool:
        raise RuntimeError("approval service down")

    with pytest.raises(RuntimeError, match="approval service down"):
        decide(CallbackGate(broken), make_call("irrelevant_domain"), watched=True)


def test_callback_gate_with_a_non_callable_raises() -> None:
    with pytest.raises(InvalidSafetyPolicy, match="needs a callable"):
        CallbackGate(True)  # type: ignore[arg-type]


# -- specs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "decided_by"),
    [
        ("prompt", PromptGate, "prompt"),
        (" Deny ", DenyGate, "deny"),
        ("allow:malicious_instructions", AllowGate, "allow:malicious_instructions"),
        (
            "allow: irrelevant_domain , malicious_instructions",
            AllowGate,
            "allow:irrelevant_domain,malicious_instructions",
        ),
        ("allow:brand_new_code", AllowGate, "allow:brand_new_code"),  # warns, see above
    ],
)
def test_gate_from_spec_builds_the_policy(spec: str, kind: type, decided_by: str) -> None:
    gate = gate_from_spec(spec)
    assert isinstance(gate, kind) and gate.decided_by == decided_by


def test_gate_from_spec_passes_the_io_to_the_prompt() -> None:
    read, out = Answers("y"), io.StringIO()
    gate = gate_from_spec("prompt", input_fn=read, output=out, isatty=lambda: True)
    assert decide(gate, make_call("irrelevant_domain"), watched=True).approved
    assert read.prompts and "irrelevant_domain" in out.getvalue()


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("", "spec=''"),  # nothing at all
        ("ask", "spec='ask'"),  # not a policy
        ("deny:all", "spec='deny:all'"),  # deny takes no codes
        ("prompt:y", "spec='prompt:y'"),  # neither does prompt
        ("allow", "names no codes"),  # allow without its codes
        ("allow:", "names no codes"),
        ("allow: , ", "code=' '"),  # only blanks
        ("allow:malicious_instructions,", "code='' in spec="),  # trailing comma
        ("allow:Malicious Instructions", "code='Malicious Instructions'"),  # not snake_case
        ("allow:*", "code='*'"),  # no wildcard: name each code
    ],
)
def test_gate_from_spec_with_a_bad_spec_raises_with_the_valid_forms(spec: str, named: str) -> None:
    with pytest.raises(InvalidSafetyPolicy) as raised:
        gate_from_spec(spec)
    message = str(raised.value)
    assert named in message
    assert "malicious_instructions" in message  # the advice: valid codes or forms
    assert isinstance(raised.value, CuaReplayError) and isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("codes", "named"),
    [
        ("malicious_instructions", "not one string"),  # a str is not a set of codes
        (frozenset(), "at least one code"),  # allow nothing: use DenyGate
        (frozenset({3}), "code=3"),  # not a str
    ],
)
def test_allow_gate_with_bad_codes_raises(codes: Any, named: str) -> None:
    with pytest.raises(InvalidSafetyPolicy, match=named):
        AllowGate(codes)
