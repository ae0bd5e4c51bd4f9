"""Resuming a recorded run: its first steps from the cassette, the rest from a live model."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest
import typer
from openai import AsyncOpenAI
from openai.types.responses import Response
from typer.testing import CliRunner

from cua_replay.backends import ModelBackend, SDKBackend
from cua_replay.cassette import Cassette, load_cassette
from cua_replay.cli.run import run as run_command
from cua_replay.errors import InvalidSetting
from cua_replay.events import StopReason
from cua_replay.record import Recorder
from cua_replay.replay.resume import resume_backend
from cua_replay.rerun import replay_cassette, resumed_options
from cua_replay.run import RunOptions
from cua_replay.server import FakeResponsesServer, load_scenario
from tests.cassette.replaying import manifest_for, record, replay_recorded
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario

pytestmark = pytest.mark.browser

FORM = load_scenario("form")


class Spy:
    """The live backend, keeping a copy of every request it is sent."""

    def __init__(self, inner: ModelBackend) -> None:
        self.inner = inner
        self.requests: list[dict[str, Any]] = []

    async def create(self, request: dict[str, Any]) -> Response:
        self.requests.append(copy.deepcopy(request))
        return await self.inner.create(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def bases(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``form`` recorded in each history mode."""
    root = tmp_path_factory.mktemp("bases")
    for history in ("chain", "full"):
        record(browser, FORM, root / history, history=history)
    return {history: root / history for history in ("chain", "full")}


@pytest.mark.parametrize("history", ["chain", "full"])
def test_a_run_resumed_at_step_3_goes_live_and_records_every_step(
    browser: BrowserHarness, bases: dict[str, Path], tmp_path: Path, history: str
) -> None:
    base = load_cassette(bases[history])
    with FakeResponsesServer(FORM) as server:
        spy = Spy(SDKBackend(AsyncOpenAI(base_url=server.urls.openai_base_url, api_key="sk-x")))
        backend = resume_backend(base, spy, from_step=3)
        recorder = Recorder.open(tmp_path / "out", manifest_for(FORM, history=history))
        outcome = run_scenario(
            browser, FORM, history=history, backend=backend, server=server, listeners=[recorder]
        )
    assert outcome.result.stop.reason is StopReason.COMPLETED, outcome.result.stop
    assert "gift=yes, password length=7" in outcome.done_text["#result"]
    assert len(spy.requests) == len(base.steps) - 2  # steps 3.. went live, 1-2 did not

    switch = spy.requests[0]
    assert "previous_response_id" not in switch  # stateless: the live server never saw it
    kinds = [item.get("type", item.get("role")) for item in switch["input"]]
    assert kinds[0] == "user" and kinds.count("computer_call_output") == 2
    assert switch["input"][0]["content"][1]["image_url"].startswith("data:image/png;base64,")
    if history == "chain":  # after the switch, the live ids chain as usual
        assert all("previous_response_id" in request for request in spy.requests[1:])

    out = load_cassette(tmp_path / "out")
    assert out.complete and len(out.steps) == len(base.steps)
    for number in (1, 2):
        assert out.steps[number - 1].response == base.steps[number - 1].response
    _, report = replay_recorded(out)
    assert report.ok and report.steps == len(base.steps), report.summary()


def test_from_step_outside_the_recording_is_refused(bases: dict[str, Path]) -> None:
    base = load_cassette(bases["chain"])
    for step in (0, len(base.steps) + 2):
        with pytest.raises(InvalidSetting, match="between 1 and 8"):
            resume_backend(base, Spy(_Nothing()), from_step=step)


class _Nothing:
    async def create(self, request: dict[str, Any]) -> Response:
        raise AssertionError("not called")

    async def aclose(self) -> None:
        return None


def test_resumed_options_come_from_the_recording_unless_given(bases: dict[str, Path]) -> None:
    base: Cassette = load_cassette(bases["full"])
    options = resumed_options(RunOptions(max_steps=5), base, explicit=["max_steps"])
    assert (options.task, options.start_url) == (FORM.task, FORM.start_url)
    assert (options.history, options.store, options.max_steps) == ("full", False, 5)
    assert options.tool == "computer_use_preview" and options.display == (1024, 768)


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("run")(run_command)
    app.command("other")(lambda: None)  # two commands: "run" stays a subcommand
    return app


def test_the_run_command_resumes_a_cassette_and_records_a_replayable_one(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    argv = ["run", "--fake", "form", "--resume", str(bases["chain"]), "--from-step", "3"]
    result = CliRunner().invoke(cli(), [*argv, "--record", str(out)], env={})
    assert result.exit_code == 0, result.output
    assert "scenario done state: reached" in result.output
    assert len(load_cassette(out).steps) == len(load_cassette(bases["chain"]).steps)
    report = asyncio.run(replay_cassette(out, executor="recorded", environ={}))
    assert report.ok and report.complete


def test_from_step_without_resume_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli(), ["run", "--fake", "form", "--from-step", "3"])
    assert result.exit_code == 2
    assert "--resume" in result.output
