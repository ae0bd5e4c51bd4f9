"""A recorded cassette served over HTTP: the loop, the SDK and a seed loop replay it.

Recordings are made once per module with the real loop on real Chromium
against the scripted fake server (``form``: both tools, both history modes),
then served by ``FakeResponsesServer(CassetteBrain(...))``, whose ids differ from
the recording's, and the same loop runs again on a fresh page.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from openai import BadRequestError, OpenAI, RateLimitError
from PIL import Image
from starlette.types import Message, Receive, Scope, Send
from typer.testing import CliRunner

from cua_replay.cassette import CassetteWriter, StepRecord, load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.cassette.format import Http
from cua_replay.cassette.redact import RedactionPolicy, Redactor
from cua_replay.cassette.store import Cassette
from cua_replay.cli.main import app
from cua_replay.errors import InvalidSetting
from cua_replay.events import RequestSent
from cua_replay.images import mask_png
from cua_replay.record import Exchange, Recorder, new_manifest
from cua_replay.replay.matchers import MatchPolicy
from cua_replay.replay.options import ReplayOptions
from cua_replay.server import CassetteBrain, FakeResponsesApp, FakeResponsesServer, load_scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import Outcome, run_scenario
from tests.server.images import data_url

FORM = load_scenario("form")
SEED_003 = "tests.seeds.openai_guide_loop"
PREVIEW_TOOL = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}
MODES = [
    ("computer_use_preview", "chain"),
    ("computer_use_preview", "full"),
    ("computer", "chain"),
    ("computer", "full"),
]


class Recordings:
    """One cassette per (tool, history), recorded on first use."""

    def __init__(self, browser: BrowserHarness, root: Path) -> None:
        self.browser = browser
        self.root = root
        self.outcomes: dict[tuple[str, str], Outcome] = {}

    def get(self, tool: str, history: str) -> tuple[Cassette, Outcome]:
        key = (tool, history)
        directory = self.root / f"form-{tool}-{history}"
        if key not in self.outcomes:
            recorder = Recorder.open(
                directory, new_manifest(task=FORM.task, scenario=FORM.name), environ={}
            )
            self.outcomes[key] = run_scenario(
                self.browser, FORM, tool=tool, history=history, listeners=[recorder]
            )
            assert self.outcomes[key].result.stop.reason == "completed"
        return load_cassette(directory), self.outcomes[key]


@pytest.fixture(scope="module")
def recordings(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    return Recordings(browser, tmp_path_factory.mktemp("cassettes"))


def response_ids(outcome: Outcome) -> list[str]:
    return [response.id for response in outcome.result.responses]


def call_ids(outcome: Outcome) -> list[str]:
    return [
        item.call_id
        for response in outcome.result.responses
        for item in response.output
        if item.type == "computer_call"
    ]


@pytest.mark.browser
@pytest.mark.parametrize(("tool", "history"), MODES)
def test_the_loop_replays_a_recorded_run_from_the_cassette(
    recordings: Recordings, browser: BrowserHarness, tool: str, history: str
) -> None:
    cassette, recorded = recordings.get(tool, history)
    assert len(cassette) == len(response_ids(recorded))
    with FakeResponsesServer(CassetteBrain(cassette)) as server:
        replayed = run_scenario(browser, FORM, tool=tool, history=history, server=server)
        # One request past the final message is past the recording.
        with pytest.raises(BadRequestError) as exhausted:
            client(server).responses.create(**one_more(replayed, history))

    stopped = replayed.result.stop
    assert stopped.reason == "completed", stopped.detail
    assert stopped.final_message == FORM.turns[-1].message
    assert cassette.stop is not None and cassette.stop.final_message == stopped.final_message
    # Every request matched its recorded step and got 200; the page reached the done state.
    assert [(r.status, r.code) for r in replayed.log] == [(200, None)] * len(cassette)
    assert replayed.done_text == FORM.done.text
    assert replayed.final_url == FORM.done.url
    # The server's own ids: none of the recorded ones came back, yet the chain worked.
    live_ids = response_ids(replayed) + call_ids(replayed)
    recorded_ids = response_ids(recorded) + call_ids(recorded)
    assert len(live_ids) == len(recorded_ids)
    assert not set(live_ids) & set(recorded_ids)
    assert error_of(exhausted.value)["code"] == "cassette_exhausted"
    assert f"recorded {len(cassette)} steps" in error_of(exhausted.value)["message"]


_CLIENTS: list[OpenAI] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every SDK client a test opened, so no pooled socket outlives its server."""
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def client(server: FakeResponsesServer | str, *, max_retries: int = 0) -> OpenAI:
    base_url = server if isinstance(server, str) else server.urls.openai_base_url
    sdk = OpenAI(base_url=base_url, api_key="sk-test", max_retries=max_retries)
    _CLIENTS.append(sdk)
    return sdk


def error_of(exc: Exception) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    assert isinstance(body, dict), exc
    return body


def one_more(outcome: Outcome, history: str) -> dict[str, Any]:
    """A request after the run's final message: the conversation goes on past its end."""
    last = [e.request for e in outcome.events if isinstance(e, RequestSent)][-1]
    final = outcome.result.responses[-1]
    ask = {"role": "user", "content": "Anything else?"}
    if history == "chain":
        return {**last, "previous_response_id": final.id, "input": [ask]}
    return {**last, "input": [*last["input"], *(o.to_dict() for o in final.output), ask]}


def sendable(cassette: Cassette, step: int) -> dict[str, Any]:
    """Step ``step``'s recorded request as a client would send it (screenshots inlined)."""
    body: dict[str, Any] = expand(cassette.request(step), cassette.blobs.get)
    return body


@pytest.fixture
def preview_chain(recordings: Recordings) -> Cassette:
    return recordings.get("computer_use_preview", "chain")[0]


@pytest.mark.browser
def test_the_recorded_first_request_gets_the_recorded_first_answer(
    preview_chain: Cassette,
) -> None:
    recorded = preview_chain.steps[0].response
    assert recorded is not None
    with FakeResponsesServer(
        CassetteBrain(preview_chain, ReplayOptions(MatchPolicy.STRICT))
    ) as server:
        response = client(server).responses.create(**sendable(preview_chain, 1))
    assert [o.type for o in response.output] == [o["type"] for o in recorded["output"]]
    call = response.output[-1]
    assert call.type == "computer_call"
    assert call.action.to_dict() == recorded["output"][-1]["action"]
    assert response.output[0].summary[0].text == FORM.turns[0].reasoning
    assert response.id != recorded["id"] and call.call_id != recorded["output"][-1]["call_id"]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": "gpt-4o"}, "model"),
        ({"task": "Order a red mug for Ada Lovelace."}, "input[0].content[0].text"),
    ],
    ids=["model", "task"],
)
def test_a_different_request_gets_cassette_mismatch_naming_step_and_field(
    preview_chain: Cassette, change: dict[str, str], field: str
) -> None:
    body = sendable(preview_chain, 1)
    if "model" in change:
        body["model"] = change["model"]
    else:
        body["input"][0]["content"][0]["text"] = change["task"]
    with FakeResponsesServer(CassetteBrain(preview_chain)) as server:
        with pytest.raises(BadRequestError) as caught:
            client(server).responses.create(**body)
        assert server.state.log[-1].code == "cassette_mismatch"
    error = error_of(caught.value)
    assert (error["code"], error["param"]) == ("cassette_mismatch", "input")
    message = error["message"]
    assert "step 1" in message and f"{field}: recorded " in message, message
    assert "structural match" in message and "--match sequential" in message


@pytest.mark.browser
def test_sequential_logs_the_difference_and_serves_the_step(
    preview_chain: Cassette, caplog: pytest.LogCaptureFixture
) -> None:
    body = {**sendable(preview_chain, 1), "model": "gpt-4o"}
    recorded = preview_chain.steps[0].response
    assert recorded is not None
    with (
        caplog.at_level(logging.WARNING, logger="cua_replay.server.cassette_brain"),
        FakeResponsesServer(
            CassetteBrain(preview_chain, ReplayOptions(MatchPolicy.SEQUENTIAL))
        ) as server,
    ):
        response = client(server).responses.create(**body)
    assert response.output[-1].action.to_dict() == recorded["output"][-1]["action"]
    assert response.model == "gpt-4o"
    [warning] = [r.getMessage() for r in caplog.records]
    assert (
        "step 1" in warning and "model: recorded 'computer-use-preview', live 'gpt-4o'" in warning
    )


@pytest.mark.browser
def test_the_other_computer_tool_is_refused_naming_the_one_needed(
    preview_chain: Cassette,
) -> None:
    body = {**sendable(preview_chain, 1), "tools": [{"type": "computer"}]}
    del body["truncation"]
    with (
        FakeResponsesServer(CassetteBrain(preview_chain)) as server,
        pytest.raises(BadRequestError) as caught,
    ):
        client(server).responses.create(**body)
    error = error_of(caught.value)
    assert (error["code"], error["param"]) == ("cassette_tool_mismatch", "tools")
    assert "recorded with the 'computer_use_preview' tool" in error["message"]
    assert "declares the 'computer' tool" in error["message"]


# -- recorded failures, on hand-written cassettes (no browser) ------------------------------

FIRST = {
    "model": "computer-use-preview",
    "tools": [PREVIEW_TOOL],
    "truncation": "auto",
    "input": "Order a blue mug",
}


def write_cassette(
    directory: Path,
    request: dict[str, Any] = FIRST,
    *,
    policy: RedactionPolicy | None = None,
    environ: dict[str, str] | None = None,
    **step: Any,
) -> Cassette:
    """A one-step cassette written as the recorder would (redaction and masking included)."""
    policy = policy or RedactionPolicy()
    manifest = new_manifest(task="Order a blue mug", redaction=policy.describe())
    rects = policy.mask
    writer = CassetteWriter(
        directory,
        manifest,
        redactor=Redactor.from_env(environ or {}, policy),
        image=(lambda data: mask_png(data, rects)) if rects else None,
    )
    canonical = writer.canonical(request)
    writer.append(
        StepRecord(step=1, request=canonical, request_hash=writer.hash(canonical), **step)
    )
    writer.close()
    return load_cassette(directory)


def screenshot(block: tuple[int, int, int, int] | None = None, colour: int = 0) -> str:
    """A 100x100 white PNG, with ``block`` (x, y, w, h) painted grey level ``colour``."""
    image = Image.new("RGB", (100, 100), "white")
    if block is not None:
        x, y, w, h = block
        image.paste((colour, colour, colour), (x, y, x + w, y + h))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return data_url(out.getvalue())


def with_screenshot(url: str, task: str = "Order a blue mug") -> dict[str, Any]:
    content = [{"type": "input_text", "text": task}, {"type": "input_image", "image_url": url}]
    return {**FIRST, "input": [{"role": "user", "content": content}]}


COMPLETED = {
    "id": "resp_recorded",
    "object": "response",
    "status": "completed",
    "output": [
        {
            "id": "cu_recorded",
            "type": "computer_call",
            "call_id": "call_recorded",
            "action": {"type": "click", "button": "left", "x": 10, "y": 20},
            "pending_safety_checks": [
                {"id": "cu_sc_recorded", "code": "malicious_instructions", "message": "Careful."}
            ],
            "status": "completed",
        }
    ],
}


@pytest.mark.parametrize(
    ("block", "served"),
    [((5, 5, 1, 1), True), ((0, 0, 50, 50), False)],
    ids=["one-pixel", "a-quarter"],
)
def test_screenshots_are_compared_perceptually(
    tmp_path: Path, block: tuple[int, int, int, int], served: bool
) -> None:
    cassette = write_cassette(tmp_path / "cas", with_screenshot(screenshot()), response=COMPLETED)
    live = with_screenshot(screenshot(block))
    with FakeResponsesServer(CassetteBrain(cassette)) as server:
        if served:
            response = client(server).responses.create(**live)
            call = response.output[0]
            assert call.type == "computer_call"
            assert call.action.to_dict() == COMPLETED["output"][0]["action"]
            [check] = call.pending_safety_checks
            assert (check.code, check.message) == ("malicious_instructions", "Careful.")
            assert check.id != "cu_sc_recorded"
            return
        with pytest.raises(BadRequestError) as caught:
            client(server).responses.create(**live)
    message = error_of(caught.value)["message"]
    assert "input[0].content[1].image_url: recorded 'sha256:" in message, message
    assert "screenshot differs in 25.0% of pixels (threshold 1.0%)" in message


def test_masked_and_redacted_recordings_still_match_strictly(tmp_path: Path) -> None:
    """The live request is masked and redacted as the recording was before comparing."""
    policy = RedactionPolicy(patterns=(r"card \d{4}",), mask=((0, 0, 50, 50),))
    task = "Order a blue mug with card 1234. My shop password is hunter2."
    recorded = with_screenshot(screenshot((10, 10, 5, 5)), task)
    cassette = write_cassette(
        tmp_path / "cas",
        recorded,
        policy=policy,
        environ={"SHOP_PASSWORD": "hunter2"},
        response=COMPLETED,
    )
    stored = cassette.request(1)["input"][0]["content"][0]["text"]
    assert stored == "Order a blue mug with [redacted]. My shop password is [redacted]."
    # Another screenshot inside the masked rectangle, the same secrets: a strict match.
    live = with_screenshot(screenshot((20, 20, 9, 9), colour=128), task)
    with FakeResponsesServer(CassetteBrain(cassette, ReplayOptions(MatchPolicy.STRICT))) as server:
        sdk = client(server)
        assert sdk.responses.create(**live).output[0].type == "computer_call"
        with pytest.raises(BadRequestError) as caught:
            sdk.responses.create(**with_screenshot(screenshot((60, 60, 5, 5)), task))
    assert "screenshot differs (compared by hash)" in error_of(caught.value)["message"]


def test_a_recorded_failed_response_is_served_failed(tmp_path: Path) -> None:
    failed = {
        "id": "resp_recorded",
        "object": "response",
        "status": "failed",
        "error": {"code": "server_error", "message": "The model crashed."},
        "output": [],
    }
    cassette = write_cassette(tmp_path / "cas", response=failed)
    with FakeResponsesServer(CassetteBrain(cassette)) as server:
        sdk = client(server)
        first = sdk.responses.create(**FIRST)
        again = sdk.responses.create(**FIRST)
    for response in (first, again):
        assert response.status == "failed"
        assert response.error is not None
        assert (response.error.code, response.error.message) == (
            "server_error",
            "The model crashed.",
        )


def test_a_recorded_http_error_is_served_without_retries(tmp_path: Path) -> None:
    http = Http(
        path="/responses",
        status=429,
        body={
            "error": {
                "message": "Rate limit reached.",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
    )
    cassette = write_cassette(tmp_path / "cas", http=http, error="RateLimitError: 429")
    with FakeResponsesServer(CassetteBrain(cassette)) as server:
        sdk = client(server, max_retries=2)
        with pytest.raises(RateLimitError) as caught:
            sdk.responses.create(**FIRST)
        attempts = len(server.state.log)
    assert error_of(caught.value)["code"] == "rate_limit_exceeded"
    assert error_of(caught.value)["message"] == "Rate limit reached."
    assert attempts == 1


def test_a_step_without_response_answers_cassette_no_response(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "cas", error="APIConnectionError: Connection error.")
    with (
        FakeResponsesServer(CassetteBrain(cassette)) as server,
        pytest.raises(BadRequestError) as caught,
    ):
        client(server).responses.create(**FIRST)
    error = error_of(caught.value)
    assert error["code"] == "cassette_no_response"
    assert "step 1 recorded no response (APIConnectionError: Connection error.)" in error["message"]


def test_a_threshold_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "cas", response={"status": "completed", "output": []})
    with pytest.raises(InvalidSetting, match="between 0 and 1"):
        CassetteBrain(cassette, ReplayOptions(threshold=2.0))
    with pytest.raises(InvalidSetting, match="is not one of strict, structural, sequential"):
        CassetteBrain(cassette, ReplayOptions(MatchPolicy.parse("fuzzy")))


def test_a_message_beside_a_call_moves_the_conversation_two_places(tmp_path: Path) -> None:
    """A GA response with commentary and a call: the next request (one message and one
    call output further on) gets step 2, not a step past the end."""
    first = {"model": "gpt-5.4", "tools": [{"type": "computer"}], "input": "Order a blue mug"}
    commentary = {
        "id": "resp_r1",
        "object": "response",
        "status": "completed",
        "output": [
            {
                "id": "msg_r1",
                "type": "message",
                "role": "assistant",
                "phase": "commentary",
                "content": [{"type": "output_text", "text": "Opening the shop."}],
            },
            {
                "id": "cu_r1",
                "type": "computer_call",
                "call_id": "call_r1",
                "actions": [{"type": "screenshot"}],
                "pending_safety_checks": [],
            },
        ],
    }
    output = {
        "type": "computer_call_output",
        "call_id": "call_r1",
        "output": {"type": "computer_screenshot", "image_url": screenshot()},
    }
    second = {**first, "previous_response_id": "resp_r1", "input": [output]}
    final = {
        "id": "resp_r2",
        "object": "response",
        "status": "completed",
        "output": [
            {
                "id": "msg_r2",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Done."}],
            }
        ],
    }
    writer = CassetteWriter(tmp_path / "cas", new_manifest())
    for number, (request, response) in enumerate([(first, commentary), (second, final)], 1):
        canonical = writer.canonical(request)
        writer.append(
            StepRecord(
                step=number,
                request=canonical,
                request_hash=writer.hash(canonical),
                response=response,
            )
        )
    writer.close()
    with FakeResponsesServer(CassetteBrain(load_cassette(tmp_path / "cas"))) as server:
        sdk = client(server)
        one = sdk.responses.create(**first)
        assert sorted(o.type for o in one.output) == ["computer_call", "message"]
        [call] = [o for o in one.output if o.type == "computer_call"]
        live_output = {**output, "call_id": call.call_id}
        two = sdk.responses.create(
            **{**second, "previous_response_id": one.id, "input": [live_output]}
        )
    assert two.output_text == "Done."


# -- `cua-replay serve --cassette`, and a client that is not ours -----------------------------

runner = CliRunner()
CLI = [sys.executable, "-m", "cua_replay"]


def record_exchanges(monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> None:
    """Feed every exchange the fake servers handle to ``recorder``, as a recording transport
    would: a client we cannot hand a transport (the guide's bare ``OpenAI()``) gets recorded."""
    call = FakeResponsesApp.__call__

    async def recording(self: FakeResponsesApp, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await call(self, scope, receive, send)
            return
        sent = bytearray()
        status: list[int] = []
        headers: list[tuple[str, str]] = []
        body = bytearray()

        async def tee_receive() -> Message:
            message = await receive()
            sent.extend(message.get("body", b""))
            return message

        async def tee_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers.extend((k.decode(), v.decode()) for k, v in message["headers"])
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await call(self, scope, tee_receive, tee_send)
        request_headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        url = f"http://127.0.0.1{scope['path']}"
        recorder.exchange(
            Exchange(
                scope["method"], url, request_headers, bytes(sent), status[0], headers, bytes(body)
            )
        )

    monkeypatch.setattr(FakeResponsesApp, "__call__", recording)


def fresh_seed(monkeypatch: pytest.MonkeyPatch, base_url: str) -> ModuleType:
    """Seed 003's loop, imported anew so its module-level ``OpenAI()`` reads ``base_url``."""
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cua-replay-fake")
    monkeypatch.delitem(sys.modules, SEED_003, raising=False)
    seed = importlib.import_module(SEED_003)
    _CLIENTS.append(seed.client)
    # The guide's one-second pause after each action, 6 s a run: the page is static, and the
    # recording and the replay both go without it.
    monkeypatch.setattr(seed, "time", SimpleNamespace(sleep=lambda seconds: None))
    return seed


@contextmanager
def serve_cassette(*args: str) -> Iterator[tuple[str, str]]:
    """``cua-replay serve --cassette ...`` in a subprocess: (its banner, the OpenAI base URL)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [*CLI, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            banner = "".join(process.stdout.readline() for _ in range(5))
            base = re.search(r"OpenAI\s+base_url=(http://127\.0\.0\.1:\d+/v1)", banner)
            assert base, banner
            yield banner, base.group(1)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.browser
def test_seed_003_replays_its_own_recording_through_serve_cassette(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The OpenAI guide's loop, recorded once against the scripted ``form`` scenario, then
    replayed by ``cua-replay serve --cassette`` in another process: it cannot tell."""
    directory = tmp_path / "guide"
    recorder = Recorder.open(directory, new_manifest(task=FORM.task), environ={})
    with monkeypatch.context() as patch:
        record_exchanges(patch, recorder)
        with FakeResponsesServer(FORM) as server:
            seed = fresh_seed(patch, server.urls.openai_base_url)
            recorded, _, _ = seed.main(FORM.start_url, FORM.task)
    recorder.close()
    cassette = load_cassette(directory)
    assert len(cassette) == 7
    capsys.readouterr()

    with serve_cassette("--cassette", str(directory)) as (banner, base_url):
        seed = fresh_seed(monkeypatch, base_url)
        response, result, site = seed.main(
            FORM.start_url, FORM.task, inspect=lambda page: page.text_content("#result")
        )

    assert f"cassette {str(directory)!r} (7 steps, task {FORM.task!r}; structural match)" in banner
    out = capsys.readouterr().out
    assert "Error handling action" not in out and "Unrecognized action" not in out, out
    assert [item.type for item in response.output] == ["message"]
    assert response.output[0].content[0].text == FORM.turns[-1].message
    assert response.id != recorded.id
    assert result == FORM.done.text["#result"]
    assert site.blocked == []


def test_serve_cassette_answers_the_sdk_with_the_recorded_step(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "cas", response=COMPLETED)
    with serve_cassette("--cassette", str(cassette.directory), "--match", "strict") as (
        banner,
        base_url,
    ):
        sdk = client(base_url)
        response = sdk.responses.create(**FIRST)
        with pytest.raises(BadRequestError) as caught:
            sdk.responses.create(**{**FIRST, "input": "Order a red mug"})
    assert "(1 step, task 'Order a blue mug'; strict match)" in banner
    assert response.output[0].type == "computer_call"
    assert response.output[0].action.to_dict() == COMPLETED["output"][0]["action"]
    assert error_of(caught.value)["code"] == "cassette_mismatch"


def test_serve_refuses_cassette_with_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--cassette", str(tmp_path), "--scenario", "form"])
    assert result.exit_code == 2
    assert result.output.startswith("InvalidSetting: --cassette and --scenario are exclusive")
    assert "Traceback" not in result.output


def test_serve_refuses_match_without_cassette() -> None:
    result = runner.invoke(app, ["serve", "--match", "strict"])
    assert result.exit_code == 2
    assert result.output.startswith("InvalidSetting: --match applies to a recorded cassette")


def test_serve_names_a_missing_cassette(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = runner.invoke(app, ["serve", "--cassette", str(missing)])
    assert result.exit_code == 2
    assert result.output.startswith(f"CassetteNotFound: No cassette at {missing} (no run.json).")
    assert "Traceback" not in result.output


def test_serve_reports_a_corrupt_cassette(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "cas", response=COMPLETED)
    (cassette.directory / "run.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--cassette", str(cassette.directory)])
    assert result.exit_code == 2
    assert result.output.startswith("InvalidCassette: ")
    assert "run.json is not readable JSON" in result.output
