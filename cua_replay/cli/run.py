"""``cua-replay run``: one task, a live model or a fake one, in a real browser."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ..backends import ModelBackend
from ..cassette.store import load_cassette, prepare_directory
from ..console import ConsoleView, masked_output, run_redactor
from ..errors import InvalidSetting
from ..events import StopReason
from ..images import parse_rect
from ..replay.resume import check_from_step, resume_backend
from ..rerun import resumed_options, url_problem
from ..run import RunOptions, parse_display, run_task
from ..settings import Settings
from ._errors import reported

TOOLS: dict[str, Literal["computer_use_preview", "computer"]] = {
    "preview": "computer_use_preview",
    "computer_use_preview": "computer_use_preview",
    "computer": "computer",
}


def run(
    ctx: typer.Context,
    task: Annotated[
        str | None, typer.Argument(help="What the agent should do (default with --fake: its task).")
    ] = None,
    start_url: Annotated[str | None, typer.Option(help="The page the browser opens first.")] = None,
    fake: Annotated[
        str | None,
        typer.Option(help="Play a fake model: a built-in scenario name or a scenario file."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model (Azure: deployment name).")] = None,
    provider: Annotated[str | None, typer.Option(help="openai or azure.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="API base URL (Azure v1: …/openai/v1/).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (prefer OPENAI_API_KEY / AZURE_OPENAI_API_KEY).")
    ] = None,
    azure_endpoint: Annotated[str | None, typer.Option(help="https://RES.openai.azure.com")] = None,
    api_version: Annotated[str | None, typer.Option(help="Azure api-version.")] = None,
    azure_ad: Annotated[
        bool, typer.Option("--azure-ad", help="Authenticate with Microsoft Entra ID.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="A TOML config file (default ./cua-replay.toml).")
    ] = None,
    tool: Annotated[str | None, typer.Option(help="preview or computer (GA, batched).")] = None,
    display: Annotated[
        str | None, typer.Option(help="Viewport WIDTHxHEIGHT, e.g. 1024x768.")
    ] = None,
    max_steps: Annotated[int, typer.Option(min=1, help="Responses at most.")] = 20,
    safety: Annotated[
        str, typer.Option(help="prompt, deny, or allow:CODE,... (auto-acknowledge those codes).")
    ] = "prompt",
    allow_domain: Annotated[
        list[str] | None, typer.Option(help="Only these hosts (and subdomains); repeatable.")
    ] = None,
    block_domain: Annotated[
        list[str] | None, typer.Option(help="Never these hosts (and subdomains); repeatable.")
    ] = None,
    history: Annotated[str, typer.Option(help="chain (previous_response_id) or full.")] = "chain",
    headed: Annotated[
        bool,
        typer.Option("--headed", "--watch", help="Show the browser (needed for sensitive_domain)."),
    ] = False,
    on_blocked: Annotated[
        str, typer.Option(help="When a blocked host is reached: stop or back.")
    ] = "stop",
    stream: Annotated[
        bool, typer.Option("--stream", help="Ask for SSE (recorded with event timings).")
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Record the run into this cassette directory."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a recording already in --record DIR.")
    ] = False,
    redact: Annotated[
        list[str] | None,
        typer.Option(help="Also redact matches of this regex in the recording; repeatable."),
    ] = None,
    mask: Annotated[
        list[str] | None,
        typer.Option(help="Black out X,Y,W,H in every recorded screenshot; repeatable."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Replay this cassette's steps before --from-step, then go on live; its task, "
            "start page, tool, display and settings are the defaults.",
        ),
    ] = None,
    from_step: Annotated[
        int | None, typer.Option(min=1, help="With --resume: the first step sent live.")
    ] = None,
    computer: Annotated[
        str, typer.Option(help="browser (Chromium) or desktop (an X display, via xdotool).")
    ] = "browser",
    x_display: Annotated[
        str | None,
        typer.Option(help="With --computer desktop: this X display (:99); default: our own Xvfb."),
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option(
            help="With --computer desktop: linux, ubuntu, mac or windows (default linux)."
        ),
    ] = None,
) -> None:
    """Run TASK in Chromium (or on an X display: --computer desktop) with a model (or a fake
    one with --fake); print every step."""
    _show_kept_files()
    # Everything printed, the step log, one-line errors and the page text, is masked as
    # the recording is: the README promises keys are never in a log.
    with masked_output(run_redactor()) as streams, reported():
        _check_start_url(start_url)
        if record is not None and not overwrite:
            # Before the browser starts: a directory that cannot take a recording (under a
            # file, read-only, not empty) fails now, not after the run. The writer checks
            # again; with --overwrite it is the writer that clears the old recording.
            prepare_directory(record)
        options = RunOptions(
            task=task,
            start_url=start_url,
            fake=fake,
            settings=Settings(
                _config_file=config,
                model=model,
                provider=_choice(provider, ("openai", "azure"), "--provider"),
                base_url=base_url,
                api_key=api_key,
                azure_endpoint=azure_endpoint,
                api_version=api_version,
                azure_ad=azure_ad or None,
            ),
            tool=TOOLS[_pick(tool, tuple(TOOLS), "--tool")] if tool else None,
            display=parse_display(display) if display else None,
            max_steps=max_steps,
            safety=safety,
            allow_domains=tuple(allow_domain or ()),
            block_domains=tuple(block_domain or ()),
            history=_choice(history, ("chain", "full"), "--history"),  # type: ignore[arg-type]
            headed=headed,
            on_blocked=_choice(on_blocked, ("stop", "back"), "--on-blocked"),  # type: ignore[arg-type]
            stream=stream,
            record=record,
            overwrite=overwrite,
            redact=tuple(redact or ()),
            mask=tuple(parse_rect(text) for text in mask or ()),
            **_desktop(computer, x_display, environment),
        )
        # Known only now: the --redact patterns and the credentials the flags and config give.
        redactor = run_redactor(patterns=options.redact, settings=options.settings)
        for output in streams:
            output.redactor = redactor
        options, backend = _resume(ctx, options, resume, from_step)
        outcome = asyncio.run(run_task(options, listeners=[ConsoleView()], backend=backend))
        if record is not None:
            typer.echo(f"recorded to {record} (cua-replay show {record})")
        for selector, text in outcome.page_text.items():
            typer.echo(f"page says ({selector}): {text.strip()}")
        if outcome.done is not None:
            typer.echo(f"scenario done state: {'reached' if outcome.done else 'NOT reached'}")
        if outcome.result.stop.reason is not StopReason.COMPLETED or outcome.done is False:
            raise typer.Exit(code=1)


PAGE_SCHEMES: tuple[str, ...] = ("http", "https", "file", "about")
"""What ``--start-url`` may open: a web page, a file of your own, or ``about:blank``."""


def _check_start_url(url: str | None) -> None:
    problem = None if url is None else url_problem(url, schemes=PAGE_SCHEMES)
    if url is not None and problem is not None:
        raise InvalidSetting(
            f"--start-url {url[:200]!r} {problem}; pass a page such as https://example.com/ "
            "or http://127.0.0.1:8000/.",
            setting="start_url",
            source="--start-url",
        )


def _show_kept_files() -> None:
    """Print the recorder's warnings (files ``--overwrite`` kept because they are not the
    recording's) on stderr, as one line each."""
    store = logging.getLogger("cua_replay.cassette.store")
    if not any(isinstance(h, _EchoHandler) for h in store.handlers):
        store.addHandler(_EchoHandler(logging.WARNING))


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(f"warning: {record.getMessage()}", err=True)


_FLAGS = {
    "history": "history",
    "max_steps": "max_steps",
    "safety": "safety",
    "stream": "stream",
    "on_blocked": "on_blocked",
    "allow_domains": "allow_domain",
    "block_domains": "block_domain",
}
"""Run options a resumed run takes from the recording, and the CLI parameter that sets each."""


def _resume(
    ctx: typer.Context, options: RunOptions, resume: Path | None, from_step: int | None
) -> tuple[RunOptions, Callable[[ModelBackend], ModelBackend] | None]:
    """With --resume: the options completed from the recording, and the backend wrapper."""
    if resume is None:
        if from_step is not None:
            raise typer.BadParameter("needs --resume DIR.", param_hint="--from-step")
        return options, None
    if from_step is None:
        raise typer.BadParameter("--resume DIR needs --from-step K.", param_hint="--from-step")
    cassette = load_cassette(resume)
    explicit = [name for name, param in _FLAGS.items() if _given(ctx, param)]
    options = resumed_options(options, cassette, explicit=explicit)
    check_from_step(cassette, from_step)

    def wrap(live: ModelBackend) -> ModelBackend:
        return resume_backend(cassette, live, from_step=from_step)

    return options, wrap


def _given(ctx: typer.Context, param: str) -> bool:
    """Whether the user set ``param`` (on the command line or in the environment)."""
    source = ctx.get_parameter_source(param)
    return source is not None and source.name != "DEFAULT"


def _desktop(computer: str, x_display: str | None, environment: str | None) -> dict[str, Any]:
    """The desktop options, checked: --x-display and --environment need --computer desktop."""
    kind = _pick(computer, ("browser", "desktop"), "--computer")
    if kind == "browser":
        for value, flag in ((x_display, "--x-display"), (environment, "--environment")):
            if value is not None:
                raise typer.BadParameter("needs --computer desktop.", param_hint=flag)
        return {}
    return {
        "computer": kind,
        "x_display": x_display,
        "environment": _choice(environment, ("linux", "ubuntu", "mac", "windows"), "--environment"),
    }


def _choice(value: str | None, allowed: tuple[str, ...], flag: str) -> str | None:
    return None if value is None else _pick(value, allowed, flag)


def _pick(value: str, allowed: tuple[str, ...], flag: str) -> str:
    if value in allowed:
        return value
    raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}.", param_hint=flag)
