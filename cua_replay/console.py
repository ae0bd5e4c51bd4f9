"""The live view of a run: a loop listener that prints each step as it happens (rich)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape

from .actions import Action
from .cassette.view import describe as describe_recorded
from .events import (
    ActionExecuted,
    Event,
    MessageReceived,
    PageEvent,
    ReasoningSummary,
    RequestSent,
    ResponseReceived,
    SafetyDecision,
    Stopped,
    StopReason,
)


class ConsoleView:
    """Prints step, action, reasoning summary, URL and elapsed time; never the screenshots."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._started = time.perf_counter()

    def __call__(self, event: Event) -> None:
        say = self.console.print
        clock = f"[dim]{time.perf_counter() - self._started:6.2f}s[/]"
        match event:
            case RequestSent(step=step, request=request):
                mode = "chained" if request.get("previous_response_id") else "full history"
                if step == 1:
                    mode = "task"
                say(f"{clock} [bold]step {step}[/] request ({mode}, model {request['model']})")
            case ResponseReceived(response=response, elapsed_s=elapsed):
                kinds = ", ".join(item.type for item in response.output)
                say(f"{clock}   response {response.id} {escape(f'[{kinds}]')} in {elapsed:.2f}s")
            case ReasoningSummary(text=text):
                say(f"{clock}   [italic]reasoning:[/] {escape(text)}")
            case MessageReceived(text=text):
                say(f"{clock}   [bold green]model says:[/] {escape(text)}")
            case SafetyDecision(checks=checks, approved=approved, decided_by=who, reason=why):
                codes = ", ".join(str(c.get("code")) for c in checks)
                verdict = "[green]acknowledged[/]" if approved else "[red]denied[/]"
                tail = f" ({escape(why)})" if why else ""
                say(f"{clock}   [yellow]safety check[/] {codes}: {verdict} by {who}{tail}")
            case ActionExecuted(action=action, url=url, elapsed_s=elapsed):
                what = escape(describe(action))
                say(f"{clock}     {what} -> {escape(url)} [dim]{elapsed:.2f}s[/]")
            case PageEvent(kind=kind, detail=detail):
                shown = ", ".join(f"{k}={v}" for k, v in detail.items())
                say(f"{clock}     [magenta]{kind}[/] {escape(shown)}")
            case Stopped(reason=reason, steps=steps, detail=detail, final_message=message):
                colour = "green" if reason is StopReason.COMPLETED else "red"
                say(
                    f"{clock} [bold {colour}]stopped: {reason.value}[/] after {steps} "
                    f"responses ({escape(detail)})"
                )
                if message:
                    say(f"         final message: {escape(message)}")
            case _:
                pass


def describe(action: Action) -> str:
    """One line for an action (:func:`cua_replay.cassette.view.describe` of its JSON)."""
    return describe_recorded(action.model_dump(mode="json"))
