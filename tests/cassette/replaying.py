"""Record a scenario on the session browser, and replay cassettes in-process, for the tests."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openai.types.responses import Response

from cua_replay.backends import ModelBackend
from cua_replay.cassette import Cassette, Manifest, load_cassette
from cua_replay.executors import Executor
from cua_replay.loop import Loop, LoopConfig
from cua_replay.record import Recorder, new_manifest
from cua_replay.replay.matchers import MatchPolicy
from cua_replay.replay.options import ReplayOptions
from cua_replay.replay.recorded import RecordedExecutor
from cua_replay.replay.session import ReplayResult, ReplaySession
from cua_replay.rerun import run_options
from cua_replay.safety import SafetyGate
from cua_replay.server import Scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import Outcome, run_scenario


def manifest_for(
    scenario: Scenario, *, tool: str = "computer_use_preview", history: str = "chain",
    stream: bool = False,
) -> Manifest:  # fmt: skip
    """What a run of ``scenario`` by tests.loop.harness.run_scenario is, for replaying it."""
    return new_manifest(
        model=scenario.model,
        tool=tool,
        display=(scenario.display.width, scenario.display.height),
        environment="browser",
        task=scenario.task,
        start_url=scenario.start_url,
        scenario=scenario.name,
        settings={
            "history": history,
            "max_steps": 20,
            "stream": stream,
            "store": False if history == "full" else None,
            "instructions": None,
            "on_blocked": "stop",
            "dialogs": "dismiss",
            "allow_domains": [],
            "block_domains": [],
            "watched": True,
        },
    )


def record(
    browser: BrowserHarness,
    scenario: Scenario,
    directory: Path,
    *,
    tool: str = "computer_use_preview",
    history: str = "chain",
    stream: bool = False,
    gate: SafetyGate | None = None,
) -> Cassette:
    """Record one run of ``scenario`` (as tests.loop.harness runs it) into ``directory``."""
    manifest = manifest_for(scenario, tool=tool, history=history, stream=stream)
    recorder = Recorder.open(directory, manifest)
    outcome = run_scenario(
        browser, scenario, tool=tool, history=history, stream=stream, gate=gate,
        listeners=[recorder],
    )  # fmt: skip
    assert outcome.result.stop.reason == "completed", outcome.result.stop
    return load_cassette(directory)


def replay_in_browser(
    browser: BrowserHarness,
    scenario: Scenario,
    cassette: Cassette,
    *,
    executor: Callable[[Any], Any] | None = None,
    gate: SafetyGate | None = None,
    artifacts: Path | None = None,
) -> tuple[ReplaySession, Outcome]:
    """The model replayed, the actions re-executed in the session browser; not finished yet."""
    settings = cassette.manifest.settings
    session = ReplaySession(cassette, ReplayOptions(artifacts=artifacts))
    outcome = run_scenario(
        browser,
        scenario,
        tool=str(cassette.manifest.tool),
        history=settings.history,
        stream=settings.stream,
        backend=session.backend,
        gate=gate or session.gate,
        listeners=[session.listener],
        executor=executor,
    )
    return session, outcome


Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class Rewriting:
    """A backend that changes each request before the replay backend sees it."""

    def __init__(self, inner: ModelBackend, rewrite: Rewrite) -> None:
        self.inner = inner
        self.rewrite = rewrite

    async def create(self, request: dict[str, Any]) -> Response:
        return await self.inner.create(self.rewrite(copy.deepcopy(request)))

    async def aclose(self) -> None:
        await self.inner.aclose()


def replay_recorded(
    cassette: Cassette,
    *,
    match: str = "structural",
    rewrite: Rewrite | None = None,
    gate: SafetyGate | None = None,
    executor: Callable[[ReplaySession], Executor] | None = None,
    artifacts: Path | None = None,
) -> tuple[ReplaySession, ReplayResult]:
    """Replay without a browser (the recorded executor), optionally rewriting the requests."""
    session = ReplaySession(cassette, ReplayOptions(MatchPolicy.parse(match), artifacts=artifacts))
    options = run_options(cassette)
    backend: ModelBackend = session.backend
    if rewrite is not None:
        backend = Rewriting(backend, rewrite)
    loop_executor = executor(session) if executor else RecordedExecutor(cassette, session=session)
    config = LoopConfig(
        model=str(options.model),
        tool=options.tool or "computer_use_preview",
        display=options.display or (1024, 768),
        history=options.history,
        store=options.store,
        stream=options.stream,
        watched=True,
    )
    loop = Loop(backend, loop_executor, gate or session.gate, config, listeners=[session.listener])
    result = asyncio.run(loop.run(str(options.task)))
    return session, session.finish(result, check=False)


def edit_log(directory: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Rewrite ``steps.jsonl`` line by line (a crash, a tampered recording)."""
    log = directory / "steps.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line]
    log.write_text("".join(json.dumps(line) + "\n" for line in edit(lines)))
