"""Scenarios: the deterministic mock model's script, as a validated file.

A scenario is what a model would do for one task on the fixture site: an
ordered list of turns, each either a reasoning summary plus computer actions or
a final message. Turns may check the request that triggers them
(``expect``), raise safety checks, or inject a fault. The same scenario serves
both tools: with ``computer_use_preview`` a turn's actions go out one per
response (the preview model's single ``action``); with the GA ``computer`` tool
they go out as one batched call.

Files are YAML or JSON; built-in scenarios live in ``fixtures/scenarios``
(``cua_replay/_scenarios`` in the wheel) and are found by name.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..actions import parse_call
from ..errors import InvalidAction
from ..errors import ScenarioError as ScenarioError  # defined with the error tree; re-exported
from ..geometry import Viewport
from ..site import fixture_url

SafetyCode = Literal["malicious_instructions", "irrelevant_domain", "sensitive_domain"]

SAFETY_MESSAGES: dict[str, str] = {
    # Verbatim from the OpenAI and Azure guides (seeds 000 and 003).
    "malicious_instructions": (
        "We've detected instructions that may cause your application to perform malicious or "
        "unauthorized actions. Please acknowledge this warning if you'd like to proceed."
    ),
    # The guides name these two codes but quote no message; these follow the same pattern.
    "irrelevant_domain": (
        "We've detected that the current domain may not be relevant to the task you gave. "
        "Please acknowledge this warning if you'd like to proceed."
    ),
    "sensitive_domain": (
        "We've detected that you are on a sensitive domain. Please make sure an end user is "
        "actively monitoring the actions taken, and acknowledge this warning if you'd like to "
        "proceed."
    ),
}


def url_matches(url: str | None, pattern: str) -> bool:
    """Whether ``url`` matches the glob ``pattern``, as itself or as the fixture URL it stands for.

    Scenarios name fixture URLs (``https://shop.example/*``); a browser on the
    loopback fixture site (:mod:`cua_replay.site_server`) reports
    ``http://shop.example.localhost:PORT/...``, which matches as its fixture URL.
    """
    if url is None:
        return False
    return fnmatch.fnmatchcase(url, pattern) or fnmatch.fnmatchcase(fixture_url(url), pattern)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Display(_Model):
    width: int = Field(1024, ge=1, le=8192)
    height: int = Field(768, ge=1, le=8192)


class SafetyCheck(_Model):
    """A check the turn raises: ``code`` and, optionally, a message other than the usual."""

    code: SafetyCode
    message: str | None = None

    @property
    def text(self) -> str:
        return self.message or SAFETY_MESSAGES[self.code]


class UrlSafetyRule(_Model):
    """Raise ``code`` on the next call whenever the reported ``current_url`` matches ``url``.

    A deterministic stand-in for the service's domain detectors, which look at
    ``current_url``. ``url`` is a shell-style glob (``https://bank.example/*``).
    """

    code: SafetyCode
    url: str
    message: str | None = None

    def matches(self, current_url: str | None) -> bool:
        return url_matches(current_url, self.url)


class Expect(_Model):
    """What the request triggering a turn must carry, else 400 ``scenario_expectation_failed``."""

    current_url: str | None = None
    """Glob the ``current_url`` of the request's ``computer_call_output`` must match."""
    task_contains: str | None = None
    """Text the task (the conversation's first user message) must contain."""
    acknowledged: tuple[SafetyCode, ...] = ()
    """Safety-check codes the request must acknowledge."""


class HttpFault(_Model):
    """Answer with an HTTP error instead, e.g. 429 with ``retry-after``, to exercise retries."""

    kind: Literal["http"] = "http"
    status: int = Field(ge=400, le=599)
    retry_after: float | None = Field(None, ge=0)
    """Seconds, sent as ``retry-after`` (the SDK does not retry when it exceeds 120)."""
    retry_after_ms: int | None = Field(None, ge=0)
    should_retry: bool | None = None
    """Sent as ``x-should-retry``, which overrides every other retry rule of the SDK."""
    message: str | None = None
    times: int = Field(1, ge=1)


class DelayFault(_Model):
    """Answer normally, but only after ``seconds`` (client timeouts)."""

    kind: Literal["delay"] = "delay"
    seconds: float = Field(gt=0, le=600)
    times: int = Field(1, ge=1)


class DropFault(_Model):
    """Close the connection mid-response: the client sees a broken connection, not a status."""

    kind: Literal["drop"] = "drop"
    times: int = Field(1, ge=1)


class ResponseFault(_Model):
    """Answer 200 with a response whose ``status`` is ``failed`` or ``incomplete``."""

    kind: Literal["failed", "incomplete"]
    code: str = "server_error"
    """``error.code`` of a failed response; the reason of an incomplete one is ``reason``."""
    message: str = "The model failed to produce a response."
    reason: Literal["max_output_tokens", "content_filter"] = "max_output_tokens"
    times: int = Field(1, ge=1)


class StreamErrorFault(_Model):
    """In a stream, send an ``error`` event after ``response.in_progress`` and end it there."""

    kind: Literal["stream_error"] = "stream_error"
    message: str = "An error occurred while processing your request."
    times: int = Field(1, ge=1)


Fault = Annotated[
    HttpFault | DelayFault | DropFault | ResponseFault | StreamErrorFault,
    Field(discriminator="kind"),
]


class Done(_Model):
    """What the page shows once the task is done: runners and tests check it."""

    url: str | None = None
    """Glob the final page URL matches (see :func:`url_matches`)."""
    text: dict[str, str] = Field(default_factory=dict)
    """CSS selector -> text the element contains."""


class Turn(_Model):
    """One model answer: reasoning + actions, or a final message."""

    reasoning: str | None = None
    """The reasoning summary shown when the request asks for one."""
    actions: tuple[dict[str, Any], ...] = ()
    """Wire actions (the SDK's ``computer_action`` shapes), executed in order."""
    message: str | None = None
    """A final assistant message; a turn with a message has no actions."""
    safety_checks: tuple[SafetyCheck | SafetyCode, ...] = ()
    expect: Expect = Expect()
    fault: Fault | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        if bool(self.actions) == (self.message is not None):
            raise ValueError("a turn has either 'actions' or a 'message' (not both, not neither)")
        if self.message is not None and self.safety_checks:
            raise ValueError("safety checks ride on computer calls, not on a final message")
        return self

    @property
    def checks(self) -> tuple[SafetyCheck, ...]:
        return tuple(
            c if isinstance(c, SafetyCheck) else SafetyCheck(code=c) for c in self.safety_checks
        )


class Scenario(_Model):
    """A task on the fixture site and the scripted turns that complete it."""

    name: str = "inline"
    description: str = ""
    task: str
    start_url: str = "https://shop.example/"
    display: Display = Display()
    environment: Literal["browser", "mac", "windows", "ubuntu", "linux"] = "browser"
    tool: Literal["computer_use_preview", "computer"] = "computer_use_preview"
    """The tool a runner should declare by default; the server follows what the request sends."""
    model: str = "computer-use-preview"
    safety: tuple[UrlSafetyRule, ...] = ()
    turns: tuple[Turn, ...] = Field(min_length=1)
    done: Done = Done()

    @model_validator(mode="after")
    def _actions_are_valid(self) -> Scenario:
        viewport = Viewport(self.display.width, self.display.height)
        for number, turn in enumerate(self.turns, 1):
            if not turn.actions:
                continue
            call = {"call_id": f"turn-{number}", "actions": [*turn.actions]}
            try:
                actions = parse_call(call, viewport)
            except InvalidAction as exc:
                raise ValueError(f"turn {number}: {exc}") from None
            for index, action in enumerate(actions):
                at = getattr(action, "at", None)
                if at is not None and at.clamped:
                    raise ValueError(
                        f"turn {number} action {index}: ({at.model_x}, {at.model_y}) is outside "
                        f"the {self.display.width}x{self.display.height} display"
                    )
        first = self.turns[0].expect
        if first.current_url is not None or first.acknowledged:
            raise ValueError(
                "turn 1 answers the first request, which has no computer_call_output to carry "
                "current_url or acknowledgements: expect only task_contains there"
            )
        if self.turns[-1].message is None:
            raise ValueError("the last turn must be a final message, so a run can end")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Load a YAML or JSON scenario; the error names the file and the bad field."""
        source = Path(path)
        try:
            text = source.read_text("utf-8")
        except OSError as exc:
            raise ScenarioError(f"Cannot read scenario file {str(source)!r}: {exc}") from None
        except UnicodeDecodeError:
            raise ScenarioError(
                f"Scenario file {str(source)!r} is not UTF-8 text (a binary file?); pass a "
                ".yaml or .json scenario."
            ) from None
        try:
            data = json.loads(text) if source.suffix == ".json" else _load_yaml(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise ScenarioError(f"Scenario file {str(source)!r} is not valid: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioError(f"Scenario file {str(source)!r} must hold a mapping at the top.")
        data.setdefault("name", source.stem)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(f"Scenario file {str(source)!r} is invalid:\n{exc}") from None

    def steps(self, tool: Literal["preview", "ga"]) -> list[Step]:
        """The responses this scenario gives, in order, for one tool flavour."""
        out: list[Step] = []
        for number, turn in enumerate(self.turns, 1):
            if turn.message is not None:
                out.append(Step(number, turn, None, turn.reasoning, True))
            elif tool == "ga":
                out.append(Step(number, turn, turn.actions, turn.reasoning, True))
            else:
                for index, action in enumerate(turn.actions):
                    first = index == 0
                    out.append(
                        Step(number, turn, (action,), turn.reasoning if first else None, first)
                    )
        return out


class Step:
    """One response's worth of a turn: for the preview tool a turn spans several steps."""

    __slots__ = ("actions", "first", "number", "reasoning", "turn")

    def __init__(
        self,
        number: int,
        turn: Turn,
        actions: tuple[dict[str, Any], ...] | None,
        reasoning: str | None,
        first: bool,
    ) -> None:
        self.number = number
        self.turn = turn
        self.actions = actions
        self.reasoning = reasoning
        self.first = first
        """Only a turn's first step checks expectations, raises checks and injects faults."""


# -- built-ins ----------------------------------------------------------------------------


def scenarios_root() -> Path:
    """Built-in scenarios: inside the wheel, else the repository's ``fixtures/scenarios``."""
    packaged = Path(str(resources.files("cua_replay"))) / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def builtin_scenarios() -> Iterator[Path]:
    root = scenarios_root()
    yield from sorted(p for p in root.glob("*.y*ml")) if root.is_dir() else iter(())


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name (``demo``), or a scenario file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml", ".json") or candidate.exists():
        return Scenario.from_file(candidate)
    for path in builtin_scenarios():
        if path.stem == str(name_or_path):
            return Scenario.from_file(path)
    known = ", ".join(p.stem for p in builtin_scenarios()) or "none found"
    raise ScenarioError(
        f"No scenario named {str(name_or_path)!r}. Built-in scenarios: {known}. "
        "Pass a path to a .yaml or .json file to use your own."
    )


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a scenario file may come from anywhere, and a
    kilobyte of nested aliases expands to gigabytes ("billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.YAMLError(
                f"line {event.start_mark.line + 1}: aliases (*name) are not allowed in a "
                "scenario; write the value out"
            )
        return super().compose_node(parent, index)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_NoAliasLoader)
