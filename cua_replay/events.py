"""What the loop engine reports, as typed events, to whoever listens.

The console view and the recorder are listeners, not special cases: the loop
calls every listener with every event, in order, synchronously. A listener that
raises stops the run with reason ``error`` (a recorder that cannot write must
not let a run continue unrecorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from openai.types.responses import Response

from .actions import Action


class StopReason(StrEnum):
    """Why a run ended. Every run ends with exactly one."""

    COMPLETED = "completed"
    """A response with a message and no computer call."""
    MAX_STEPS = "max_steps"
    SAFETY_DENIED = "safety_denied"
    BLOCKED_DOMAIN = "blocked_domain"
    ERROR = "error"


@dataclass(frozen=True)
class RequestSent:
    step: int
    request: dict[str, Any]
    """The body as sent (screenshots included as data URLs)."""


@dataclass(frozen=True)
class ResponseReceived:
    step: int
    response: Response
    elapsed_s: float


@dataclass(frozen=True)
class ReasoningSummary:
    step: int
    text: str


@dataclass(frozen=True)
class MessageReceived:
    step: int
    text: str


@dataclass(frozen=True)
class SafetyDecision:
    step: int
    call_id: str
    checks: tuple[dict[str, Any], ...]
    """The call's ``pending_safety_checks`` as sent: ``{id, code, message}``."""
    approved: bool
    decided_by: str
    """Who or what decided: ``prompt``, ``deny``, ``allow:malicious_instructions``, ..."""
    reason: str = ""


@dataclass(frozen=True)
class ActionExecuted:
    step: int
    call_id: str
    index: int
    action: Action
    """With the model's and the executed coordinates (``action.at``) and mapped keys."""
    url: str
    elapsed_s: float


@dataclass(frozen=True)
class PageEvent:
    """Something the page did on its own: a new tab, a dialog, a download."""

    step: int
    kind: str
    """``tab_opened``, ``tab_closed``, ``dialog``, ``download``, ``blocked_request``."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreenshotCaptured:
    step: int
    call_id: str | None
    png: bytes
    url: str


@dataclass(frozen=True)
class Stopped:
    reason: StopReason
    steps: int
    """Responses received."""
    detail: str = ""
    final_message: str = ""


Event: TypeAlias = (
    RequestSent
    | ResponseReceived
    | ReasoningSummary
    | MessageReceived
    | SafetyDecision
    | ActionExecuted
    | PageEvent
    | ScreenshotCaptured
    | Stopped
)
Listener: TypeAlias = Callable[[Event], None]
