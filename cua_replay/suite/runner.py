"""Run a suite: every task x model x trial, recorded, judged, concurrently, resumably.

Each run is an ordinary :func:`cua_replay.run.run_task` with a recorder
(``runs/<suite>/<model>/<task>/<trial>/``), in its own context of one shared
browser (launched here, or a remote one: :class:`~cua_replay.browser.BrowserSource`),
then judged by the task's success check and the verdict written into the
manifest. ``workers`` runs go at once: a bounded queue feeds that many
workers, so the plan is never materialised as tasks ahead of the browser
(backpressure). Finished runs (:func:`.layout.finished`) are skipped, so a
killed suite run picks up where it stopped and never duplicates a run.

``fake``: the task's :class:`~.spec.FakePlan` picks the scenario per model;
with several weighted branches the trial's branch is drawn from a generator
seeded by suite seed, model, task and trial, so verdicts are reproducible.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .. import errors
from ..browser import BrowserSource, open_browser
from ..cassette.redact import RedactionPolicy, Redactor
from ..errors import InvalidSetting
from ..run import RunOptions, run_task
from ..settings import Settings
from .layout import RunKey, check_model_name, finished, read_manifest, run_dir, write_verdict
from .spec import FakeBranch, Suite, SuiteTask
from .verdict import FinalState, judge

if TYPE_CHECKING:
    from playwright.async_api import Browser

USAGE_ERRORS: Final = (
    errors.InvalidSetting,
    errors.MissingSetting,
    errors.ScenarioError,
    errors.InvalidSafetyPolicy,
    errors.InvalidDomainEntry,
    errors.MissingExtra,
)
"""Errors that would fail every run alike (a bad setting, no such scenario): they stop the
suite at once, as one line, instead of being recorded as many failed runs."""

__all__ = ["RunRecord", "SuiteRunOptions", "fake_scenario", "plan_runs", "run_suite"]


@dataclass(frozen=True)
class SuiteRunOptions:
    """How ``cua-replay suite run`` was asked to run a suite."""

    models: tuple[str, ...]
    trials: int = 1
    workers: int = 1
    fake: bool = False
    root: Path = Path("runs")
    tags: tuple[str, ...] = ()
    browser: BrowserSource = field(default_factory=BrowserSource)
    headed: bool = False
    settings: Callable[[str], Settings] | None = None
    """The connection settings for a model name; None: flags, environment, config file."""

    def __post_init__(self) -> None:
        if not self.models:
            raise InvalidSetting(
                "Name at least one --model to run the suite with.", setting="model"
            )
        for model in self.models:
            check_model_name(model)
        if self.trials < 1:
            raise InvalidSetting(f"--trials {self.trials} must be at least 1.", setting="trials")
        if self.workers < 1:
            raise InvalidSetting(f"--workers {self.workers} must be at least 1.", setting="workers")


@dataclass(frozen=True)
class RunRecord:
    """What became of one run: judged, skipped (finished before), or an error."""

    run: RunKey
    directory: Path
    passed: bool | None
    """The verdict; None when the run raised before it could be judged."""
    skipped: bool = False
    error: str = ""


def plan_runs(suite: Suite, options: SuiteRunOptions) -> list[RunKey]:
    """Every run, trial-major: the first trials of all tasks come before second ones, so an
    interrupted suite has an even spread to show."""
    tasks = suite.select(options.tags)
    return [
        RunKey(model, task.id, trial)
        for trial in range(1, options.trials + 1)
        for task in tasks
        for model in options.models
    ]


def fake_scenario(suite: Suite, task: SuiteTask, key: RunKey) -> str:
    """The scenario playing ``key.model`` in this trial (seeded, reproducible)."""
    if task.fake is None:
        raise InvalidSetting(
            f"Task {task.id!r} of suite {suite.name!r} names no fake scenario: add "
            "`fake: SCENARIO` to it, or run without --fake.",
            setting="fake",
        )
    branches: tuple[FakeBranch, ...] = task.fake.branches(key.model)
    if not branches:
        raise InvalidSetting(
            f"Task {task.id!r} has no fake scenario for model {key.model!r}: add `default:` "
            f"or `models: {{{key.model}: SCENARIO}}` to its fake block.",
            setting="fake",
        )
    if len(branches) == 1:
        return branches[0].scenario
    rng = random.Random(f"{suite.seed}:{key.model}:{key.task}:{key.trial}")
    return rng.choices(branches, weights=[b.weight for b in branches])[0].scenario


def run_options(
    suite: Suite,
    task: SuiteTask,
    key: RunKey,
    options: SuiteRunOptions,
    directory: Path,
    environ: Mapping[str, str],
) -> RunOptions:
    """The one-run options for ``key``: the task's, the suite's defaults, recorded in place."""
    settings = (
        options.settings(key.model)
        if options.settings is not None
        else Settings(model=key.model, _environ=environ)
    )
    return RunOptions(
        task=task.task,
        start_url=task.start_url,
        fake=fake_scenario(suite, task, key) if options.fake else None,
        settings=settings,
        tool=task.tool,
        display=(task.display.width, task.display.height) if task.display else None,
        max_steps=task.max_steps or suite.defaults.max_steps,
        safety=task.safety or suite.defaults.safety,
        instructions=task.instructions or suite.defaults.instructions,
        headed=options.headed,
        record=directory,
        overwrite=True,
    )


async def run_suite(
    suite: Suite,
    options: SuiteRunOptions,
    *,
    on_start: Callable[[int, int], None] = lambda total, skipped: None,
    on_result: Callable[[RunRecord], None] = lambda record: None,
    environ: Mapping[str, str] = os.environ,
) -> list[RunRecord]:
    """Run every unfinished run of the plan; ``on_result`` hears of each as it ends."""
    keys = plan_runs(suite, options)
    records: list[RunRecord] = []
    todo: list[RunKey] = []
    for key in keys:
        directory = run_dir(options.root, suite.name, key)
        if finished(directory):
            records.append(RunRecord(key, directory, _verdict_of(directory), skipped=True))
        else:
            todo.append(key)
    on_start(len(keys), len(records))
    for record in records:
        on_result(record)
    if not todo:
        return records
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await open_browser(
            playwright, options.browser, headless=not options.headed, environ=environ
        )
        try:
            queue: asyncio.Queue[RunKey | None] = asyncio.Queue(maxsize=options.workers)

            async def worker() -> None:
                while (key := await queue.get()) is not None:
                    record = await _one(suite, key, options, browser, environ)
                    records.append(record)
                    on_result(record)

            try:
                async with asyncio.TaskGroup() as group:
                    for _ in range(options.workers):
                        group.create_task(worker())
                    for key in todo:
                        await queue.put(key)  # waits while every worker is busy
                    for _ in range(options.workers):
                        await queue.put(None)
            except ExceptionGroup as group:  # a usage error: report the first, as it is
                raise group.exceptions[0] from None
        finally:
            with contextlib.suppress(Exception):  # a remote browser may be gone already
                await browser.close()
    return records


async def _one(
    suite: Suite,
    key: RunKey,
    options: SuiteRunOptions,
    browser: Browser,
    environ: Mapping[str, str],
) -> RunRecord:
    task = suite.task(key.task)
    directory = run_dir(options.root, suite.name, key)
    one = run_options(suite, task, key, options, directory, environ)
    try:
        outcome = await run_task(
            one,
            environ=environ,
            browser=browser,
            read_text=tuple(task.success.text),
        )
    except USAGE_ERRORS:
        raise
    except Exception as exc:  # one run's crash must not lose the others: it is reported
        first = (str(exc).strip().splitlines() or [""])[0]
        return RunRecord(key, directory, None, error=f"{type(exc).__name__}: {first}")
    state = FinalState(
        stop=outcome.result.stop.reason,
        url=outcome.final_url,
        message=outcome.result.final_message,
        texts=outcome.page_text,
    )
    verdict = judge(task.success, state, suite=suite.name, task=task.id, trial=key.trial)
    reason = _redacted(verdict.reason, one, environ)
    write_verdict(directory, verdict.model_copy(update={"reason": reason}))
    return RunRecord(key, directory, verdict.passed, error="")


def _redacted(text: str, options: RunOptions, environ: Mapping[str, str]) -> str:
    """The verdict's reason quotes the page and the final message: redact it as the
    recording was (the environment's secrets, the key, the run's patterns)."""
    if not text:
        return text
    redactor = Redactor.from_env(environ, RedactionPolicy(patterns=options.redact))
    settings = options.settings
    if settings is not None:
        for value in (settings.api_key, settings.azure_ad_token):
            if value is not None:
                redactor.learn(value.get_secret_value())
    return redactor.text(text)


def _verdict_of(directory: Path) -> bool | None:
    manifest = read_manifest(directory)
    return manifest.verdict.passed if manifest is not None and manifest.verdict else None
