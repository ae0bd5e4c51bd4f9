"""The live view of a run: a loop listener that prints each step as it happens (rich),
and the mask every byte a run prints goes through (:func:`masked_output`)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from .actions import Action
from .cassette.redact import RedactionPolicy, Redactor
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
from .settings import SECRET_FIELDS, Settings


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


# -- the mask ------------------------------------------------------------------------------


def run_redactor(
    *,
    patterns: tuple[str, ...] = (),
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
) -> Redactor:
    """What a run's recording redacts, for its console: the environment's secrets, the
    ``--redact`` patterns, the built-in ones, and the credentials of ``settings``.

    A bad pattern raises :class:`~cua_replay.errors.InvalidSetting`.
    """
    redactor = Redactor.from_env(
        os.environ if environ is None else environ, RedactionPolicy(patterns=patterns)
    )
    for name in sorted(SECRET_FIELDS):
        value = getattr(settings, name, None)
        if value is not None:
            redactor.learn(value.get_secret_value())
    return redactor


class MaskedStream(io.TextIOBase):
    """A text stream passing what is written to ``stream`` through a redactor, line by line.

    Whole lines only (the rest waits for its newline, or :meth:`finish`): a secret
    split over two writes is still one string to the redactor. Deliberately has no
    ``buffer``: a writer that wants bytes (click does) then uses this stream as is.
    """

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self.stream = stream
        self.redactor = redactor
        self._pending = ""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.stream, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def write(self, text: str) -> int:
        head, newline, self._pending = (self._pending + text).rpartition("\n")
        if newline:
            self.stream.write(self.redactor.text(head + newline))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        """Write the last, unterminated line (masked) and flush."""
        pending, self._pending = self._pending, ""
        if pending:
            self.stream.write(self.redactor.text(pending))
        self.stream.flush()


@contextlib.contextmanager
def masked_output(redactor: Redactor) -> Iterator[tuple[MaskedStream, MaskedStream]]:
    """``sys.stdout`` and ``sys.stderr`` masked by ``redactor`` for the duration: the one point
    everything printed goes through (rich, ``typer.echo``, one-line errors, warnings).

    Yields both streams; set their ``redactor`` to one that knows more secrets. A bug
    (an exception other than click's exits) leaves the mask in place: its traceback,
    printed after this block by typer or Python, shows the values it met.
    """
    import click

    saved = sys.stdout, sys.stderr
    out, err = MaskedStream(saved[0], redactor), MaskedStream(saved[1], redactor)
    sys.stdout, sys.stderr = out, err
    keep = False
    try:
        yield out, err
    except Exception as exc:
        keep = not isinstance(exc, click.exceptions.Exit | click.ClickException | click.Abort)
        raise
    finally:
        out.finish()
        err.finish()
        if not keep:
            sys.stdout, sys.stderr = saved
