"""Replaying cassettes in-process: recorded executor, real browser, every way to diverge."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from pathlib import Path
from typing import Any

import openai
import pytest
import typer
from openai.types.responses import Response
from pydantic import TypeAdapter
from typer.testing import CliRunner

from cua_replay import keys
from cua_replay.actions import Action, Click
from cua_replay.cassette import Cassette, Manifest, load_cassette
from cua_replay.cassette.format import Http, SseEvent, StepRecord
from cua_replay.cli.replay import replay as replay_command
from cua_replay.errors import ReplayMismatch
from cua_replay.events import StopReason
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.replay.behaviour import RecordedGate
from cua_replay.replay.recorded import RecordedExecutor
from cua_replay.replay.session import ReplaySession
from cua_replay.rerun import replay_cassette
from cua_replay.run import RunOptions, run_task
from cua_replay.safety import AllowGate, DenyGate
from cua_replay.server import load_scenario
from cua_replay.server.scenario import Done
from tests.cassette.replaying import edit_log, record, replay_in_browser, replay_recorded
from tests.conftest import BrowserHarness
from tests.loop.harness import ALL_CODES

pytestmark = pytest.mark.browser

FORM = load_scenario("form")
DEMO = load_scenario("demo")
INJECTION = load_scenario("injection")

# Both history modes, both tools, streamed and not: each pair of the three covered.
# Both tools x both history modes x streamed and not: every combination is recorded and
# replayed both ways.
MATRIX = list(
    itertools.product(("computer_use_preview", "computer"), ("chain", "full"), (False, True))
)


@pytest.fixture(scope="module")
def recordings(
    browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One recording per matrix row of ``form``, plus ``demo`` (GA tool) and ``injection``."""
    root = tmp_path_factory.mktemp("recordings")
    found: dict[str, Path] = {}
    for tool, history, stream in MATRIX:
        name = f"form-{tool}-{history}-{'stream' if stream else 'plain'}"
        record(browser, FORM, root / name, tool=tool, history=history, stream=stream)
        found[name] = root / name
    record(browser, DEMO, root / "demo", tool="computer")
    found["demo"] = root / "demo"
    record(browser, INJECTION, root / "injection", gate=AllowGate(ALL_CODES))
    found["injection"] = root / "injection"
    return found


def copy_of(recordings: dict[str, Path], name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(recordings[name], target)
    return target


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(("tool", "history", "stream"), MATRIX)
def test_replay_of_a_recorded_run_matches_with_the_recorded_executor_and_the_browser(
    browser: BrowserHarness, recordings: dict[str, Path], tool: str, history: str, stream: bool
) -> None:
    name = f"form-{tool}-{history}-{'stream' if stream else 'plain'}"
    cassette = load_cassette(recordings[name])
    assert cassette.request(1).get("stream", False) is stream

    _, report = replay_recorded(cassette)
    assert report.ok, report.summary()
    assert report.steps == len(cassette.steps) and report.complete

    session, outcome = replay_in_browser(browser, FORM, cassette)
    report = session.finish(outcome.result)
    assert report.steps == len(cassette.steps)
    assert report.stop.final_message == FORM.turns[-1].message
    assert "gift=yes" in outcome.done_text["#result"]


def test_replay_of_the_demo_with_the_ga_tool_matches_both_ways(
    browser: BrowserHarness, recordings: dict[str, Path]
) -> None:
    cassette = load_cassette(recordings["demo"])
    assert replay_recorded(cassette)[1].ok
    session, outcome = replay_in_browser(browser, DEMO, cassette)
    assert session.finish(outcome.result).stop.reason is StopReason.COMPLETED
    assert outcome.final_url == "https://shop.example/form.html"


@pytest.fixture(scope="module")
def run_task_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``form`` recorded the way ``cua-replay run --fake form --record DIR`` records it."""
    directory = tmp_path_factory.mktemp("run-task") / "form"
    outcome = asyncio.run(
        run_task(RunOptions(fake="form", safety="deny", record=directory), environ={})
    )
    assert outcome.done, outcome
    return directory


@pytest.mark.parametrize("executor", ["recorded", "browser"])
def test_replay_cassette_replays_a_run_task_recording_end_to_end(
    run_task_recording: Path, executor: Any
) -> None:
    report = asyncio.run(replay_cassette(run_task_recording, executor=executor, environ={}))
    assert report.ok and report.complete
    assert report.steps == report.recorded_steps == 7
    assert report.stop.reason is StopReason.COMPLETED


# -- a changed executor --------------------------------------------------------------------


class ShiftedClicks(PlaywrightExecutor):
    """Every click lands 150 px to the right of where the model asked."""

    async def _click(self, action: Click) -> None:
        await self.page.mouse.click(action.at.x + 150, action.at.y)


def test_clicks_moved_by_150px_fail_the_browser_replay_with_screenshots(
    browser: BrowserHarness, recordings: dict[str, Path], tmp_path: Path
) -> None:
    cassette = load_cassette(recordings["demo"])
    lost = DEMO.model_copy(update={"done": Done()})  # the page never gets there
    session, outcome = replay_in_browser(
        browser, lost, cassette, executor=ShiftedClicks, artifacts=tmp_path / "art"
    )
    assert outcome.result.stop.reason is StopReason.ERROR
    with pytest.raises(ReplayMismatch) as caught:
        session.finish(outcome.result)
    mismatch = caught.value
    assert (mismatch.what, mismatch.step) == ("request", 3)
    assert any("image_url" in d.path for d in mismatch.differences), mismatch
    names = sorted(path.name for path in mismatch.files)
    assert names == ["diff.png", "live.png", "recorded.png"]
    assert all(path.is_file() and path.stat().st_size for path in mismatch.files)
    assert "step 3" in str(mismatch) and "recorded.png" in str(mismatch)


def test_a_changed_key_map_fails_the_recorded_replay_naming_the_step_and_keys(
    recordings: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(keys._TABLE, "ctrl", "Alt")  # CTRL now presses Alt
    cassette = load_cassette(recordings["demo"])
    session, report = replay_recorded(cassette)
    mismatch = report.mismatches[0]
    assert (mismatch.what, mismatch.step) == ("action", 3)
    assert [str(d) for d in mismatch.differences] == [
        "action.keys[0]: recorded 'Control', live 'Alt'"
    ]
    assert report.stop.reason is StopReason.ERROR
    assert session.failure is mismatch


def test_the_recorded_executor_alone_names_the_field_that_differs(
    recordings: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(keys._TABLE, "ctrl", "Alt")
    cassette = load_cassette(recordings["demo"])
    session, report = replay_recorded(cassette, executor=lambda s: RecordedExecutor(cassette))
    assert session.failure is None  # the executor had no session: only the loop's text
    assert "action.keys[0]: recorded 'Control', live 'Alt'" in report.stop.detail


def test_the_recorded_executor_running_past_the_recording_raises_exhausted(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["demo"])
    executor = RecordedExecutor(cassette)
    shots = [step.observations for step in cassette.steps]
    assert executor.current_url == "https://shop.example/"

    async def take_all() -> list[bytes]:
        return [await executor.screenshot() for _ in range(sum(map(len, shots)))]

    taken = asyncio.run(take_all())
    assert taken[0] == cassette.blob(shots[0][0].screenshot)
    assert executor.current_url == cassette.steps[-2].observations[-1].url
    with pytest.raises(ReplayMismatch, match="screenshot 5, but the recording has only 4"):
        asyncio.run(executor.screenshot())
    recorded = [TypeAdapter(Action).validate_python(a.action) for s in cassette for a in s.actions]

    async def execute_all() -> None:
        for action in [*recorded, recorded[-1]]:  # every recorded action, then one more
            await executor.execute(action)

    with pytest.raises(ReplayMismatch, match="the recording has no more actions") as caught:
        asyncio.run(execute_all())
    assert caught.value.what == "exhausted"
    assert executor.current_url == "https://shop.example/form.html"


# -- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize("gate", [None, AllowGate(ALL_CODES)], ids=["recorded", "allow"])
def test_a_recorded_safety_check_replays_with_the_recorded_or_an_allowing_gate(
    recordings: dict[str, Path], gate: Any
) -> None:
    cassette = load_cassette(recordings["injection"])
    assert cassette.steps[1].safety[0].approved
    _, report = replay_recorded(cassette, gate=gate)
    assert report.ok, report.summary()
    assert report.stop.reason is StopReason.COMPLETED


def test_a_denying_gate_fails_the_replay_at_the_safety_step(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["injection"])
    _, report = replay_recorded(cassette, gate=DenyGate())
    mismatch = report.mismatches[0]
    assert (mismatch.what, mismatch.step) == ("safety", 2)
    assert "safety.approved: recorded True, live False" in str(mismatch)


def test_dropping_the_acknowledgements_fails_the_request_check(
    recordings: dict[str, Path],
) -> None:
    def drop(request: dict[str, Any]) -> dict[str, Any]:
        for item in request["input"]:
            if item.get("acknowledged_safety_checks"):
                del item["acknowledged_safety_checks"]
        return request

    cassette = load_cassette(recordings["injection"])
    _, report = replay_recorded(cassette, rewrite=drop)
    mismatch = report.mismatches[0]
    assert (mismatch.what, mismatch.step) == ("request", 3)
    assert any(d.path.endswith("acknowledged_safety_checks") for d in mismatch.differences)


def test_the_recorded_gate_fails_closed_on_a_call_it_never_decided(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["injection"])
    response = asyncio.run(_replayed(cassette.steps[1]))
    call = next(item for item in response.output if item.type == "computer_call")
    stranger = call.model_copy(update={"call_id": "call_never_recorded"})
    verdict = asyncio.run(RecordedGate(cassette).decide(stranger, current_url="", watched=True))
    assert not verdict.approved and verdict.decided_by == "recorded"
    assert "no safety decision for call_id='call_never_recorded'" in verdict.reason
    assert asyncio.run(RecordedGate(cassette).decide(call, current_url="", watched=False)).approved


# -- exhaustion and truncation ---------------------------------------------------------------


def test_a_recording_cut_short_by_a_crash_replays_as_far_as_it_goes(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    directory = copy_of(recordings, "form-computer_use_preview-chain-plain", tmp_path)
    edit_log(directory, lambda lines: lines[:-2])  # the stop line and the last step
    cassette = load_cassette(directory)
    assert not cassette.complete and len(cassette.steps) == 6
    report = asyncio.run(replay_cassette(directory, executor="recorded", environ={}))
    assert not report.complete and report.ok
    assert report.steps == 6 and report.stop.reason is StopReason.ERROR
    assert "incomplete" in report.summary()


def test_a_run_that_asks_for_more_than_was_recorded_fails_exhausted(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    directory = copy_of(recordings, "form-computer_use_preview-chain-plain", tmp_path)
    edit_log(directory, lambda lines: lines[:-2] + lines[-1:])  # complete, one step short
    with pytest.raises(ReplayMismatch) as caught:
        asyncio.run(replay_cassette(directory, executor="recorded", environ={}))
    assert (caught.value.what, caught.value.step) == ("exhausted", 7)
    assert "has only 6 step(s)" in str(caught.value)


def test_a_recorded_http_failure_stops_the_replay_the_same_way(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    directory = copy_of(recordings, "form-computer_use_preview-chain-plain", tmp_path)

    def fail_last(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = lines[-2]
        last.pop("response")
        last["http"] = {"status": 500, "body": {"error": {"message": "boom", "type": "server"}}}
        last["error"] = "InternalServerError: boom"
        lines[-1] = {"kind": "stop", "reason": "error", "steps": 6, "detail": "x"}
        return lines

    edit_log(directory, fail_last)
    report = asyncio.run(replay_cassette(directory, executor="recorded", environ={}))
    assert report.ok and report.stop.reason is StopReason.ERROR
    assert report.stop.detail.startswith("InternalServerError: Error code: 500")


def test_recorded_failures_come_back_as_the_sdk_raised_them() -> None:
    cassette = Cassette(Path("c"), Manifest(), [], None)
    step = StepRecord(
        step=1, request={}, request_hash="", http=Http(path="/responses", status=429), error="x"
    )
    assert isinstance(_raised(cassette, step), openai.RateLimitError)
    step = StepRecord(step=1, request={}, request_hash="", http=Http(status=None), error="down")
    assert isinstance(_raised(cassette, step), openai.APIConnectionError)
    step = StepRecord(step=1, request={}, request_hash="", error="ModelStreamError: cut")
    assert "ModelStreamError: cut" in str(_raised(cassette, step))


def test_a_streamed_step_without_its_response_answers_with_the_final_event(
    recordings: dict[str, Path],
) -> None:
    recorded = load_cassette(recordings["form-computer_use_preview-full-stream"]).steps[0]
    assert recorded.response is not None
    events = [
        SseEvent(t_ms=1.0, event="response.created", data={"response": {}}),
        SseEvent(t_ms=9.0, event="response.completed", data={"response": recorded.response}),
    ]
    step = recorded.model_copy(update={"response": None, "events": events})
    response = asyncio.run(_replayed(step))
    assert response.id == recorded.response["id"]


async def _replayed(step: StepRecord) -> Response:
    """What the in-process replay backend answers to a step's recorded request."""
    request = {"model": "computer-use-preview", "input": "go"}
    alone = step.model_copy(update={"step": 1, "request": request, "items": {}})
    session = ReplaySession(Cassette(Path("c"), Manifest(), [alone], None))
    try:
        return await session.backend.create(request)
    finally:
        await session.backend.aclose()


def _raised(cassette: Cassette, step: StepRecord) -> Exception:
    with pytest.raises(openai.APIError) as caught:
        asyncio.run(_replayed(step))
    return caught.value


def test_a_stop_that_differs_from_the_recording_is_a_stop_mismatch(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    directory = copy_of(recordings, "form-computer_use_preview-chain-plain", tmp_path)

    def other_message(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[-1]["final_message"] = "Something else."
        return lines

    edit_log(directory, other_message)
    _, report = replay_recorded(load_cassette(directory))
    mismatch = report.mismatches[0]
    assert mismatch.what == "stop"
    assert str(mismatch.differences[0]).startswith("stop.final_message: recorded 'Something")


# -- match policies --------------------------------------------------------------------------


def changed_url(request: dict[str, Any]) -> dict[str, Any]:
    for item in request["input"]:
        if item.get("type") == "computer_call_output":
            item["current_url"] += "#changed"
    return request


def test_strict_fails_on_a_changed_current_url_where_structural_passes(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["form-computer_use_preview-chain-plain"])
    assert replay_recorded(cassette, match="strict")[1].ok  # itself, field for field
    assert replay_recorded(cassette, rewrite=changed_url)[1].ok
    _, report = replay_recorded(cassette, match="strict", rewrite=changed_url)
    mismatch = report.mismatches[0]
    assert (mismatch.what, mismatch.step) == ("request", 2)
    assert [d.path for d in mismatch.differences] == ["input[0].current_url"]


def test_sequential_warns_about_a_difference_and_goes_on(recordings: dict[str, Path]) -> None:
    def instructed(request: dict[str, Any]) -> dict[str, Any]:
        return {**request, "instructions": "Be brief."}

    cassette = load_cassette(recordings["form-computer_use_preview-chain-plain"])
    assert replay_recorded(cassette, rewrite=instructed)[1].mismatches[0].what == "request"
    _, report = replay_recorded(cassette, match="sequential", rewrite=instructed)
    assert report.ok and report.stop.reason is StopReason.COMPLETED
    assert len(report.warnings) == len(cassette.steps)
    assert report.warnings[0].differences[0].path == "instructions"


# -- the command --------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("replay")(replay_command)
    app.command("other")(lambda: None)  # two commands: "replay" stays a subcommand
    return app


def test_the_replay_command_exits_0_on_a_match(run_task_recording: Path) -> None:
    result = CliRunner().invoke(
        cli(), ["replay", str(run_task_recording), "--executor", "recorded"]
    )
    assert result.exit_code == 0, result.output
    assert "replayed 7 of 7 recorded step(s)" in result.output


def test_the_replay_command_exits_1_on_a_mismatch_and_names_it(
    run_task_recording: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "tampered"
    shutil.copytree(run_task_recording, directory)
    edit_log(directory, lambda lines: [*lines[:-1], {**lines[-1], "steps": 9}])
    result = CliRunner().invoke(cli(), ["replay", str(directory), "--executor", "recorded"])
    assert result.exit_code == 1, result.output
    assert "ReplayMismatch:" in result.output and "stop.steps: recorded 9, live 7" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["{missing}"],  # no cassette there
        ["{missing}", "--match", "fuzzy"],  # not a policy
    ],
)
def test_the_replay_command_exits_2_on_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    argv = ["replay", *(a.format(missing=tmp_path / "nothing") for a in args)]
    result = CliRunner().invoke(cli(), argv)
    assert result.exit_code == 2, result.output
