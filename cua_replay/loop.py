"""The loop engine: the seeds' computer-use loop, done right, as a source of events.

One run: send the task (with an initial screenshot), then for every response
report its reasoning summaries and messages and, for each ``computer_call``,
ask the safety gate, execute every action, capture a screenshot and answer
with a ``computer_call_output`` (``current_url`` and the acknowledged checks
included). It stops for exactly one typed reason (:class:`~.events.StopReason`).

Everything observable goes out as an event to the listeners, in order; the
console view and the recorder are listeners. The loop holds no I/O of its own
beyond the backend, the executor and the gate it is given.

History modes:

* ``chain`` (default, as in the seeds): ``previous_response_id`` and only the
  new ``computer_call_output`` items;
* ``full``: no server state; every request carries the whole history, the
  reasoning items kept in place next to the items they produced, with
  ``include: ["reasoning.encrypted_content"]`` so it works with ``store: false``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from openai import APIError
from openai.types.responses import Response, ResponseComputerToolCall

from .actions import Click, parse_call
from .errors import CuaReplayError, InvalidAction, InvalidSetting, ModelStreamError
from .events import (
    ActionExecuted,
    Event,
    Listener,
    MessageReceived,
    PageEvent,
    ReasoningSummary,
    RequestSent,
    ResponseReceived,
    SafetyDecision,
    ScreenshotCaptured,
    Stopped,
    StopReason,
)
from .geometry import Viewport
from .wire.data_url import png_data_url

if TYPE_CHECKING:
    from .backends import ModelBackend
    from .executors.base import Executor
    from .safety import SafetyGate

logger = logging.getLogger(__name__)


class Blocklist(Protocol):
    blocked: list[str]


@dataclass(frozen=True)
class LoopConfig:
    """How a run talks to the model. Defaults follow the seeds."""

    model: str
    tool: Literal["computer_use_preview", "computer"] = "computer_use_preview"
    display: tuple[int, int] = (1024, 768)
    environment: str = "browser"
    max_steps: int = 20
    """Responses requested at most, the final one included."""
    history: Literal["chain", "full"] = "chain"
    instructions: str | None = None
    initial_screenshot: bool = True
    reasoning_summary: str | None = "concise"
    watched: bool = False
    """A human can see the browser (headed): needed to proceed on ``sensitive_domain``."""
    store: bool | None = None
    """Sent as ``store`` when set; ``full`` history works with ``False``."""
    on_blocked: Literal["stop", "back"] = "stop"
    stream: bool = False
    """Ask for SSE; the backend assembles the final response. Recorded cassettes then hold
    the events with timings."""

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise InvalidSetting(
                f"max_steps={self.max_steps!r} must be at least 1, e.g. 20.", setting="max_steps"
            )
        if self.history not in ("chain", "full"):
            raise InvalidSetting(
                f"history={self.history!r} must be 'chain' or 'full'.", setting="history"
            )
        if self.history == "chain" and self.store is False:
            raise InvalidSetting(
                "history='chain' needs stored responses: drop store=False or use history='full'.",
                setting="store",
            )

    def tools(self) -> list[dict[str, Any]]:
        if self.tool == "computer":
            return [{"type": "computer"}]
        width, height = self.display
        return [
            {
                "type": "computer_use_preview",
                "display_width": width,
                "display_height": height,
                "environment": self.environment,
            }
        ]


@dataclass
class RunResult:
    stop: Stopped
    responses: list[Response] = field(default_factory=list)

    @property
    def final_message(self) -> str:
        return self.stop.final_message


class _Stop(Exception):
    def __init__(self, reason: StopReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Loop:
    """Runs one task to a typed stop, reporting every step to ``listeners``."""

    def __init__(
        self,
        backend: ModelBackend,
        executor: Executor,
        gate: SafetyGate,
        config: LoopConfig,
        *,
        listeners: Iterable[Listener] = (),
        domains: Blocklist | None = None,
        viewport: Viewport | None = None,
    ) -> None:
        self.backend = backend
        self.executor = executor
        self.gate = gate
        self.config = config
        self.listeners = list(listeners)
        self.domains = domains
        self.viewport = viewport or Viewport(*config.display)

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception as exc:
                # A recorder that cannot write must not let the run go on unrecorded.
                raise _Stop(StopReason.ERROR, f"listener {listener!r} failed: {exc!r}") from exc

    async def run(self, task: str) -> RunResult:
        """Run ``task`` to its stop; the last event every listener sees is :class:`Stopped`."""
        responses: list[Response] = []
        try:
            await self._run(task, responses)
            reason, detail = StopReason.COMPLETED, "final message"
        except _Stop as stop:
            reason, detail = stop.reason, stop.detail
        except Exception as exc:  # a browser or transport failure: still a typed stop
            logger.exception("run stopped by an unexpected error")
            reason, detail = StopReason.ERROR, f"{type(exc).__name__}: {exc}"
        stopped = Stopped(reason, len(responses), detail, _last_message(responses))
        for listener in self.listeners:
            listener(stopped)
        return RunResult(stopped, responses)

    async def _run(self, task: str, responses: list[Response]) -> None:
        config = self.config
        base: dict[str, Any] = {"model": config.model, "tools": config.tools()}
        if config.tool == "computer_use_preview":
            base["truncation"] = "auto"
        if config.reasoning_summary is not None:
            base["reasoning"] = {"summary": config.reasoning_summary}
        if config.history == "full":
            base["include"] = ["reasoning.encrypted_content"]
        if config.store is not None:
            base["store"] = config.store
        if config.stream:
            base["stream"] = True
        content: list[dict[str, Any]] = [{"type": "input_text", "text": task}]
        if config.initial_screenshot:
            content.append({"type": "input_image", "image_url": await self._screenshot(0, None)})
        history: list[Any] = [{"role": "user", "content": content}]
        request: dict[str, Any] = {**base, "input": list(history)}
        if config.instructions is not None:
            request["instructions"] = config.instructions
        while True:
            step = len(responses) + 1
            if step > config.max_steps:
                raise _Stop(StopReason.MAX_STEPS, f"no final message after {config.max_steps}")
            response = await self._create(step, request)
            responses.append(response)
            calls = self._report(step, response)
            if not calls:
                return
            outputs = [await self._answer(step, call) for call in calls]
            if config.history == "chain":
                request = {**base, "previous_response_id": response.id, "input": outputs}
            else:
                history += [item.to_dict() for item in response.output] + outputs
                request = {**base, "input": list(history)}
            if config.instructions is not None:
                request["instructions"] = config.instructions

    async def _create(self, step: int, request: dict[str, Any]) -> Response:
        self.emit(RequestSent(step, request))
        started = time.perf_counter()
        try:
            response = await self.backend.create(request)
        except (APIError, ModelStreamError) as exc:
            raise _Stop(StopReason.ERROR, f"{type(exc).__name__}: {exc}") from exc
        self.emit(ResponseReceived(step, response, time.perf_counter() - started))
        if response.status not in (None, "completed"):
            error = response.error.message if response.error else ""
            incomplete = response.incomplete_details
            why = error or (incomplete.reason if incomplete else "") or "no reason given"
            raise _Stop(StopReason.ERROR, f"response {response.id} is {response.status}: {why}")
        return response

    def _report(self, step: int, response: Response) -> list[ResponseComputerToolCall]:
        calls: list[ResponseComputerToolCall] = []
        for item in response.output:
            if item.type == "reasoning":
                for part in item.summary:
                    self.emit(ReasoningSummary(step, part.text))
            elif item.type == "message":
                text = "".join(getattr(part, "text", "") for part in item.content)
                self.emit(MessageReceived(step, text))
            elif item.type == "computer_call":
                calls.append(item)
        return calls

    async def _answer(self, step: int, call: ResponseComputerToolCall) -> dict[str, Any]:
        checks = [c.model_dump() for c in call.pending_safety_checks or []]
        verdict = await self.gate.decide(
            call, current_url=self.executor.current_url, watched=self.config.watched
        )
        if checks:
            self.emit(
                SafetyDecision(
                    step,
                    call.call_id,
                    tuple(checks),
                    verdict.approved,
                    verdict.decided_by,
                    verdict.reason,
                )
            )
        if not verdict.approved:
            codes = ", ".join(str(c.get("code")) for c in checks)
            raise _Stop(
                StopReason.SAFETY_DENIED,
                f"{verdict.decided_by} denied {codes}: {verdict.reason}".rstrip(": "),
            )
        try:
            actions = parse_call(call, self.viewport)
        except InvalidAction as exc:
            raise _Stop(StopReason.ERROR, f"InvalidAction: {exc}") from exc
        for index, action in enumerate(actions):
            started = time.perf_counter()
            try:
                await self.executor.execute(action)
            except CuaReplayError as exc:
                raise _Stop(StopReason.ERROR, f"{type(exc).__name__}: {exc}") from exc
            elapsed = time.perf_counter() - started
            url = self.executor.current_url
            self.emit(ActionExecuted(step, call.call_id, index, action, url, elapsed))
            self._page_events(step)
            await self._check_domains(step)
        image_url = await self._screenshot(step, call.call_id)
        screenshot: dict[str, Any] = {"type": "computer_screenshot", "image_url": image_url}
        if self.config.tool == "computer":
            screenshot["detail"] = "original"
        output: dict[str, Any] = {
            "type": "computer_call_output",
            "call_id": call.call_id,
            "output": screenshot,
            "acknowledged_safety_checks": checks,
        }
        if self.config.environment == "browser":
            output["current_url"] = self.executor.current_url
        return output

    async def _screenshot(self, step: int, call_id: str | None) -> str:
        """A screenshot, announced to the listeners; its data URL (encoded once: a listener
        asking :func:`~cua_replay.wire.data_url.png_data_url` for the same bytes gets it)."""
        try:
            png = await self.executor.screenshot()
        except CuaReplayError as exc:
            raise _Stop(StopReason.ERROR, f"{type(exc).__name__}: {exc}") from exc
        self.emit(ScreenshotCaptured(step, call_id, png, self.executor.current_url))
        return png_data_url(png)

    def _page_events(self, step: int) -> None:
        drain = getattr(self.executor, "drain_events", None)
        if drain is None:
            return
        for kind, detail in drain():
            self.emit(PageEvent(step, kind, dict(detail)))

    async def _check_domains(self, step: int) -> None:
        if self.domains is None or not self.domains.blocked:
            return
        blocked = list(self.domains.blocked)
        self.domains.blocked.clear()
        for url in blocked:
            self.emit(PageEvent(step, "blocked_request", {"url": url}))
        if self.config.on_blocked == "back":
            await self.executor.execute(Click(button="back", at=self.viewport.position(0, 0)))
            return
        raise _Stop(StopReason.BLOCKED_DOMAIN, f"the page tried to reach {blocked[0]}")


def _last_message(responses: Sequence[Response]) -> str:
    for response in reversed(responses):
        if response.output_text:
            return response.output_text
    return ""
