"""One run from options to a typed stop: settings -> backend, browser, gate, policy -> loop.

The CLI's ``run`` and ``demo`` are thin fronts over :func:`run_task`. With
``fake`` set, an in-process fake Responses server plays that scenario and is
the backend's endpoint; everything else (the SDK over HTTP, credentials from
the environment when present, the real browser) is exactly as in a live run,
so a recorder sees the same traffic either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .backends import ModelBackend, backend_from_settings
from .cassette.format import RunSettings
from .cassette.redact import RedactionPolicy
from .domains import DomainPolicy
from .errors import InvalidSetting, MissingSetting
from .events import Listener
from .executors.playwright import PlaywrightExecutor
from .loop import Loop, LoopConfig, RunResult
from .record.recorder import Recorder, endpoint_of, new_manifest
from .safety import SafetyGate, gate_from_spec
from .sandbox import Sandbox, open_sandbox
from .server import FakeResponsesServer, Scenario, load_scenario
from .settings import Settings
from .site import FixtureSite

if TYPE_CHECKING:
    from playwright.async_api import Browser

FAKE_KEY = "sk-cua-replay-fake"
"""Sent to the fake server when the environment holds no key: the fake wants one, any one."""
FAKE_API_VERSION = "2025-03-01-preview"


@dataclass(frozen=True)
class RunOptions:
    """What ``cua-replay run`` was asked for; ``None`` means "the default or the scenario's".

    The fields a replay must repeat are also those of
    :class:`~cua_replay.cassette.format.RunSettings` (same names, same defaults;
    ``watched`` is ``headed``): :meth:`recorded_settings` and
    :meth:`with_recorded` go between the two.
    """

    task: str | None = None
    start_url: str | None = None
    fake: str | None = None
    settings: Settings | None = None
    """The model connection (secrets stay :class:`~pydantic.SecretStr`). ``None``: resolved
    when the run starts, from :func:`run_task`'s ``environ`` and ``./cua-replay.toml``."""
    tool: Literal["computer_use_preview", "computer"] | None = None
    display: tuple[int, int] | None = None
    max_steps: int = 20
    safety: str = "prompt"
    allow_domains: tuple[str, ...] = ()
    block_domains: tuple[str, ...] = ()
    history: Literal["chain", "full"] = "chain"
    headed: bool = False
    on_blocked: Literal["stop", "back"] = "stop"
    instructions: str | None = None
    dialogs: Literal["accept", "dismiss"] = "dismiss"
    downloads_dir: Path | None = None
    store: bool | None = None
    stream: bool = False
    record: Path | None = None
    """Record the run into this cassette directory."""
    overwrite: bool = False
    """Replace a recording already in ``record``."""
    redact: tuple[str, ...] = ()
    """Extra regular expressions to redact from the recording (typed passwords, say)."""
    mask: tuple[tuple[int, int, int, int], ...] = ()
    """Screenshot rectangles ``(x, y, w, h)`` painted black before they are recorded."""
    extra_flags: dict[str, Any] = field(default_factory=dict)
    computer: Literal["browser", "desktop"] = "browser"
    """What the agent drives: Chromium, or an X display (:mod:`cua_replay.executors.desktop`)."""
    x_display: str | None = None
    """A desktop run's X display (``:99``); ``None`` starts and stops a private Xvfb."""
    environment: str | None = None
    """The tool's ``environment`` for a desktop run (``linux``, ``ubuntu``, ...); the
    scenario's, else ``linux``. A browser run is always ``browser``."""

    @property
    def watched(self) -> bool:
        """A headed run is a watched one: the person at the screen sees what the agent does."""
        return self.headed

    @property
    def model(self) -> str | None:
        """The model the connection settings name, if they are resolved yet."""
        return self.settings.model if self.settings is not None else None

    def recorded_settings(self) -> RunSettings:
        """The options that shape requests and decisions, as the manifest records them."""
        return RunSettings.model_validate(self, from_attributes=True)

    def with_recorded(self, settings: RunSettings, *, keep: Iterable[str] = ()) -> RunOptions:
        """These options with what ``settings`` recorded, except the names in ``keep``."""
        kept = set(keep)
        recorded = {k: v for k, v in settings.recorded().items() if k not in kept}
        return dataclasses.replace(self, **recorded)


@dataclass(frozen=True)
class Plan:
    """The options resolved against the scenario and the defaults."""

    task: str
    start_url: str
    scenario: Scenario | None
    tool: Literal["computer_use_preview", "computer"]
    display: tuple[int, int]
    environment: str = "browser"


@dataclass(frozen=True)
class TaskOutcome:
    """How a run ended, and, for a scenario, whether the page shows its ``done`` state."""

    result: RunResult
    final_url: str
    page_text: dict[str, str]
    """The scenario's ``done.text`` selectors and what the page shows there."""
    done: bool | None
    """True/False against the scenario's ``done``; None without a scenario."""


def plan(options: RunOptions) -> Plan:
    scenario = load_scenario(options.fake) if options.fake is not None else None
    task = options.task or (scenario.task if scenario else None)
    if not task:
        raise MissingSetting(
            'No task: pass it as the first argument (cua-replay run "Find the blue mug" ...) '
            "or run a scenario with --fake NAME, which brings its own task.",
            setting="task",
            flags=("TASK", "--fake"),
        )
    start_url = options.start_url or (scenario.start_url if scenario else None)
    if not start_url and options.computer == "desktop":
        start_url = ""  # a desktop has no start page; the display shows what it shows
    elif not start_url:
        raise MissingSetting(
            "No start page: pass --start-url URL (e.g. https://shop.example/).",
            setting="start_url",
            flags=("--start-url",),
        )
    tool = options.tool
    if tool is None:
        tool = scenario.tool if scenario else None
    if tool is None:
        model = options.model or ""
        tool = "computer_use_preview" if model.startswith("computer-use") else "computer"
    display = options.display or (
        (scenario.display.width, scenario.display.height) if scenario else (1024, 768)
    )
    environment = "browser"
    if options.computer == "desktop":
        scenario_environment = scenario.environment if scenario else "browser"
        environment = options.environment or (
            scenario_environment if scenario_environment != "browser" else "linux"
        )
    return Plan(task, start_url, scenario, tool, display, environment)


def settings_for(
    options: RunOptions,
    fake: FakeResponsesServer | None,
    scenario: Scenario | None,
    environ: Mapping[str, str],
) -> Settings:
    """``options.settings``, else flags > environment > config file > defaults resolved now;
    a fake server replaces only the endpoint.

    A scenario's model comes last, after the defaults; and against a fake server,
    with no credential anywhere, a placeholder key is sent (the fake wants one, any one).
    """
    settings = options.settings or Settings(_environ=environ)
    if fake is not None:
        if settings.provider == "azure":
            settings = settings.replace(
                "the fake server",
                azure_endpoint=fake.urls.azure_endpoint,
                base_url=None,
                api_version=settings.api_version or FAKE_API_VERSION,
            )
        else:
            settings = settings.replace("the fake server", base_url=fake.urls.openai_base_url)
        if not _has_credential(settings):
            settings = settings.replace("the fake server", api_key=FAKE_KEY)
    if settings.model is None and scenario is not None:
        settings = settings.replace(f"scenario {scenario.name}", model=scenario.model)
    return settings


def _has_credential(settings: Settings) -> bool:
    return bool(settings.api_key or settings.azure_ad or settings.azure_ad_token)


async def run_task(
    options: RunOptions,
    *,
    listeners: Iterable[Listener] = (),
    gate: SafetyGate | None = None,
    environ: Mapping[str, str] = os.environ,
    backend: ModelBackend | Callable[[ModelBackend], ModelBackend] | None = None,
    browser: Browser | None = None,
    read_text: Iterable[str] = (),
    policy: DomainPolicy | None = None,
) -> TaskOutcome:
    """Run one task to its typed stop; ``gate`` overrides ``options.safety``.

    ``browser`` is a running browser to open the run's context in (a suite shares
    one, or a remote one) instead of launching Chromium; ``read_text`` names CSS
    selectors whose final text the outcome reports (a suite's success check).
    ``policy`` replaces the domain policy ``options`` describe (a replay's, which
    also keeps to the hosts its recording visited).

    ``backend`` replaces the model backend the settings describe (a cassette
    replay, say), or, given as a function, wraps it (a replay that goes live
    after step K). With ``options.record`` the run is recorded as it goes: the
    loop's events and, through the SDK client's transport, its HTTP exchanges.
    """
    resolved = plan(options)
    gate = gate or gate_from_spec(options.safety)
    if policy is None:
        policy = DomainPolicy(allow=options.allow_domains, block=options.block_domains)
    if options.computer == "browser" and not policy.allows(resolved.start_url):
        raise InvalidSetting(
            f"The start page {resolved.start_url} is outside the domain policy ({policy!r}): "
            "change --start-url, or --allow-domain / --block-domain.",
            setting="start_url",
        )
    async with contextlib.AsyncExitStack() as stack:
        fake = None
        if resolved.scenario is not None:
            fake = stack.enter_context(FakeResponsesServer(resolved.scenario))
        settings = settings_for(options, fake, resolved.scenario, environ)
        model = settings.require_model()
        listeners = list(listeners)
        http_client = None
        if options.record is not None:
            recorder = _recorder(options, resolved, settings, model, environ)
            stack.callback(recorder.close)
            listeners.append(recorder)
            http_client = _recording_client(recorder)
        model_backend: ModelBackend
        if backend is None or (callable(backend) and not isinstance(backend, ModelBackend)):
            sdk = backend_from_settings(settings, http_client=http_client)
            stack.push_async_callback(sdk.aclose)
            model_backend = backend(sdk) if backend is not None else sdk
        else:
            model_backend = backend
        if options.computer == "desktop":
            return await _run_desktop(options, resolved, model_backend, gate, model, listeners)
        sandbox = await stack.enter_async_context(_browser(resolved, options, environ, browser))
        await policy.install(sandbox.context)
        executor = PlaywrightExecutor(
            sandbox.page, dialogs=options.dialogs, downloads_dir=options.downloads_dir
        )
        await sandbox.page.goto(resolved.start_url)
        config = loop_config(options, resolved, model, watched=options.headed)
        loop = Loop(
            model_backend,
            executor,
            gate,
            config,
            listeners=listeners,
            domains=policy,
            viewport=sandbox.viewport,
        )
        result = await loop.run(resolved.task)
        return await _outcome(result, executor, resolved.scenario, read_text)
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns


async def _run_desktop(
    options: RunOptions,
    resolved: Plan,
    backend: ModelBackend,
    gate: SafetyGate,
    model: str,
    listeners: list[Listener],
) -> TaskOutcome:
    """The loop on an X display (``--computer desktop``); no page, so no URL and no domains."""
    from .executors.xsession import open_desktop

    async with open_desktop(
        display=resolved.display, x_display=options.x_display, start_url=resolved.start_url
    ) as desktop:
        config = loop_config(options, resolved, model, watched=options.headed)
        loop = Loop(
            backend, desktop.executor, gate, config, listeners=listeners, viewport=desktop.viewport
        )
        result = await loop.run(resolved.task)
        done = resolved.scenario.done.text if resolved.scenario is not None else None
        texts, ok = desktop.check(done or {})
        return TaskOutcome(result, "", texts, ok if done is not None else None)


def _recorder(
    options: RunOptions,
    resolved: Plan,
    settings: Settings,
    model: str,
    environ: Mapping[str, str],
) -> Recorder:
    """A recorder for ``options.record``, its manifest saying how to replay the run."""
    assert options.record is not None
    url = settings.azure_endpoint or settings.base_url or "https://api.openai.com/v1"
    endpoint = endpoint_of(str(url))
    endpoint.provider = settings.provider
    endpoint.api_version = settings.api_version
    manifest = new_manifest(
        endpoint=endpoint,
        model=model,
        tool=resolved.tool,
        display=resolved.display,
        environment=resolved.environment,
        task=resolved.task,
        start_url=resolved.start_url,
        scenario=resolved.scenario.name if resolved.scenario is not None else None,
        settings=options.recorded_settings(),
    )
    secrets = tuple(
        value.get_secret_value()
        for value in (settings.api_key, settings.azure_ad_token)
        if value is not None
    )
    policy = RedactionPolicy(patterns=options.redact, mask=options.mask)
    return Recorder.open(
        options.record,
        manifest,
        policy=policy,
        environ=environ,
        secrets=secrets,
        overwrite=options.overwrite,
    )


def loop_config(options: RunOptions, resolved: Plan, model: str, *, watched: bool) -> LoopConfig:
    """The loop's configuration for a run (or a replay of one) with ``options``."""
    return LoopConfig(
        model=model,
        tool=resolved.tool,
        display=resolved.display,
        environment=resolved.environment,
        max_steps=options.max_steps,
        history=options.history,
        instructions=options.instructions,
        watched=watched,
        store=options.store,
        on_blocked=options.on_blocked,
        stream=options.stream,
    )


def _recording_client(recorder: Recorder) -> Any:
    """The SDK's HTTP client, with a transport that records every exchange."""
    from .record.transport import async_recording_client

    return async_recording_client(recorder.exchange)


async def _outcome(
    result: RunResult,
    executor: PlaywrightExecutor,
    scenario: Scenario | None,
    read_text: Iterable[str] = (),
) -> TaskOutcome:
    url = executor.current_url
    wanted = [*(scenario.done.text if scenario is not None else ()), *read_text]
    texts: dict[str, str] = {}
    for selector in dict.fromkeys(wanted):
        try:
            texts[selector] = (
                await executor.page.locator(selector).text_content(timeout=1000)
            ) or ""
        except Exception:  # the element is not there: the check below fails with it
            texts[selector] = ""
    if scenario is None:
        return TaskOutcome(result, url, texts, None)
    done = scenario.done
    ok = (done.url is None or fnmatch.fnmatchcase(url, done.url)) and all(
        want in texts[selector] for selector, want in done.text.items()
    )
    return TaskOutcome(result, url, texts, ok)


@contextlib.asynccontextmanager
async def _browser(
    resolved: Plan, options: RunOptions, environ: Mapping[str, str], browser: Browser | None
) -> AsyncIterator[Sandbox]:
    """The fixture site is served when the start page is on it; otherwise the live web."""
    site = FixtureSite()
    host = urlsplit(resolved.start_url).hostname or ""
    width, height = resolved.display
    async with open_sandbox(
        width=width,
        height=height,
        site=site if host in site.hosts else "none",
        headless=not options.headed,
        environ=environ,
        browser=browser,
    ) as sandbox:
        yield sandbox


def parse_display(text: str) -> tuple[int, int]:
    """``1024x768`` -> (1024, 768), with an error that says what is expected."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) * int(height) == 0:
        raise InvalidSetting(
            f"--display {text!r} is not WIDTHxHEIGHT, e.g. 1024x768.", setting="display"
        )
    return int(width), int(height)
