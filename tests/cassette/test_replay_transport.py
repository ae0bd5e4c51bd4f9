"""Replay at the HTTP level: the real SDK over ``replay_client``, answered from a cassette.

Cassettes are recorded for real first: the loop engine on real Chromium
against the fake server, through the recording transport (so status, headers,
retried attempts and SSE events are on record), and the SDK's own
``ComputerToolset`` with the recording transport and no loop at all. Replay
then runs with no server and no network: every client points at
``http://replay.invalid``, which the suite's socket blocking would refuse, and
the fake server a loop run starts alongside must see no request.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import (
    AsyncOpenAI,
    AzureOpenAI,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    RateLimitError,
)
from openai.lib.computer import ComputerToolset
from PIL import Image, ImageDraw

from cua_replay.backends import SDKBackend
from cua_replay.cassette import load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.errors import InvalidSetting, ReplayMismatch
from cua_replay.record import Recorder, new_manifest
from cua_replay.record.transport import async_recording_client, recording_client
from cua_replay.replay.cursor import ReplayCursor
from cua_replay.replay.matchers import MatchPolicy
from cua_replay.replay.options import ReplayOptions
from cua_replay.replay.transport import (
    STEP_HEADER,
    AsyncReplayTransport,
    NotReplayable,
    ReplayTransport,
    async_replay_client,
    replay_client,
)
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from cua_replay.wire.sse import synthesize
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario
from tests.server.images import data_url, png

REPLAY_URL = "http://replay.invalid/v1"
FORM = load_scenario("form")


# -- recording ------------------------------------------------------------------------------


def record_loop(
    browser: BrowserHarness, directory: Path, scenario: Scenario, *, stream: bool = False
) -> Path:
    """A loop run on real Chromium, recorded by the listener and the recording transport."""
    recorder = Recorder.open(directory, new_manifest(task=scenario.task, scenario=scenario.name))
    outcome = run_scenario(
        browser,
        scenario,
        stream=stream,
        listeners=[recorder],
        http_client=async_recording_client(recorder.exchange),
    )
    assert outcome.result.final_message == scenario.turns[-1].message
    assert recorder.closed
    return directory


class Driver:
    """A ``ComputerDriver`` that notes each action and always shows the same screen."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def _do(self, action: Any) -> None:
        self.actions.append(action.model_dump(exclude_none=True))

    click = double_click = drag = keypress = move = scroll = type = wait = _do

    def screenshot(self) -> dict[str, str]:
        return {"type": "computer_screenshot", "image_url": data_url(png())}


def toolset_params(scenario: Scenario) -> dict[str, Any]:
    return {"model": "gpt-5.4", "input": scenario.task, "store": False}


def record_toolset(directory: Path, scenario: Scenario) -> Path:
    """The SDK's ``ComputerToolset`` against the fake server, recorded by the transport only."""
    recorder = Recorder.open(directory, new_manifest(task=scenario.task, scenario=scenario.name))
    with (
        FakeResponsesServer(scenario) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as client,
    ):
        response = ComputerToolset(Driver()).run(client, toolset_params(scenario))
    recorder.close()
    assert response.output_text == scenario.turns[-1].message
    return directory


def with_turn_fault(scenario: Scenario, turn: int, fault: dict[str, Any]) -> Scenario:
    data = scenario.model_dump(mode="json")
    data["turns"][turn - 1]["fault"] = fault
    data["name"] = f"{scenario.name}-fault"
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def form_plain(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_loop(browser, tmp_path_factory.mktemp("plain") / "form", FORM)


@pytest.fixture(scope="module")
def form_streamed(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_loop(browser, tmp_path_factory.mktemp("streamed") / "form", FORM, stream=True)


@pytest.fixture(scope="module")
def form_toolset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_toolset(tmp_path_factory.mktemp("toolset") / "form", FORM)


@pytest.fixture(scope="module")
def form_429(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Turn 2 answered 429 once (retry-after 1 ms); the SDK retried and got its answer."""
    scenario = with_turn_fault(
        FORM, 2, {"kind": "http", "status": 429, "retry_after": 0.001, "message": "Slow down."}
    )
    return record_toolset(tmp_path_factory.mktemp("rate-limited") / "form", scenario)


# -- helpers --------------------------------------------------------------------------------


def bodies(directory: Path) -> list[dict[str, Any]]:
    """Every recorded request as the SDK sent it: the shapes a client re-sends on replay."""
    cassette = load_cassette(directory)
    return [expand(cassette.request(step.step), cassette.blobs.get) for step in cassette.steps]


def recorded(directory: Path) -> list[dict[str, Any]]:
    return [step.response or {} for step in load_cassette(directory).steps]


def dumped(response: Any) -> dict[str, Any]:
    """A response as JSON, without the ``parsed`` field the ``stream()`` helper adds to text."""
    data: dict[str, Any] = response.to_dict(mode="json")
    for item in data.get("output", []):
        for part in item.get("content") or []:
            if isinstance(part, dict):
                part.pop("parsed", None)
    return data


def scribbled(url: str) -> bytes:
    """The screenshot in data URL ``url`` with a black box over its top left corner."""
    image = Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))).convert("RGB")
    ImageDraw.Draw(image).rectangle((0, 0, 300, 200), fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sdk(client: httpx2.Client, **options: Any) -> OpenAI:
    return OpenAI(base_url=REPLAY_URL, api_key="sk-none", http_client=client, **options)


def params(body: dict[str, Any]) -> dict[str, Any]:
    """A recorded body as ``responses.create`` keyword arguments, minus the delivery choice."""
    return {k: v for k, v in body.items() if k not in ("stream", "stream_options")}


# -- the sync SDK ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_sync_sdk_gets_every_recorded_response_with_its_request_id(form_plain: Path) -> None:
    client = replay_client(form_plain)
    openai = sdk(client)
    cassette = load_cassette(form_plain)
    for body, step in zip(bodies(form_plain), cassette.steps, strict=True):
        response = openai.responses.create(**params(body))
        assert response.to_dict(mode="json") == step.response
        assert step.http is not None
        assert response._request_id == step.http.headers["x-request-id"]
    assert client.replay.failures == []
    assert client.replay.finished
    assert [s.step for s in client.replay.served] == [s.step for s in cassette.steps]


@pytest.mark.browser
def test_a_streamed_request_on_a_plain_recording_gets_synthesized_events(
    form_plain: Path,
) -> None:
    openai = sdk(replay_client(form_plain))
    expected = recorded(form_plain)
    for index, body in enumerate(bodies(form_plain)):
        if index % 2:
            with openai.responses.stream(**params(body)) as stream:
                kinds = [event.type for event in stream]
                final = stream.get_final_response()
        else:
            events = list(openai.responses.create(stream=True, **params(body)))
            kinds = [event.type for event in events]
            final = events[-1].response
            assert [e.sequence_number for e in events] == list(range(len(events)))
        assert kinds[:2] == ["response.created", "response.in_progress"]
        assert kinds[-1] == "response.completed"
        assert kinds.count("response.output_item.added") == len(expected[index]["output"])
        assert dumped(final) == expected[index]


@pytest.mark.browser
def test_a_streamed_recording_replays_its_own_events_and_answers_plain_requests_too(
    form_streamed: Path,
) -> None:
    cassette = load_cassette(form_streamed)
    openai = sdk(replay_client(form_streamed))
    for index, (body, step) in enumerate(zip(bodies(form_streamed), cassette.steps, strict=True)):
        assert body["stream"] is True and step.events
        if index % 2:
            response = openai.responses.create(**params(body))
            assert response.to_dict(mode="json") == step.response
            continue
        events = list(openai.responses.create(**body))
        assert [event.type for event in events] == [e.event for e in step.events]
        assert [event.to_dict(mode="json") for event in events] == [e.data for e in step.events]


@pytest.mark.browser
def test_the_synthesized_events_end_in_the_response_they_came_from(form_plain: Path) -> None:
    for response in recorded(form_plain):
        events = [(event["type"], event) for event in synthesize(response)]
        assert events[-1] == (
            "response.completed",
            {
                "type": "response.completed",
                "response": response,
                "sequence_number": len(events) - 1,
            },
        )
        done = [data["item"] for name, data in events if name == "response.output_item.done"]
        assert done == response["output"]


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    """Finished responses with reasoning, computer calls and messages (text or refusal)."""
    output: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["reasoning", "computer_call", "message"]))
        if kind == "reasoning":
            summary = [
                {"type": "summary_text", "text": t} for t in draw(st.lists(TEXT, max_size=2))
            ]
            item: dict[str, Any] = {"type": "reasoning", "id": f"rs_{index}", "summary": summary}
            if draw(st.booleans()):
                item["encrypted_content"] = "gAAAA" + draw(TEXT)
        elif kind == "computer_call":
            item = {
                "type": "computer_call",
                "id": f"cu_{index}",
                "call_id": f"call_{index}",
                "actions": [{"type": "screenshot"}],
                "status": "completed",
            }
        else:
            parts = draw(
                st.lists(
                    st.one_of(
                        TEXT.map(
                            lambda t: {
                                "type": "output_text",
                                "text": t,
                                "annotations": [],
                                "logprobs": [],
                            }
                        ),
                        TEXT.map(lambda t: {"type": "refusal", "refusal": t}),
                    ),
                    max_size=2,
                )
            )
            item = {
                "type": "message",
                "id": f"msg_{index}",
                "role": "assistant",
                "status": "completed",
                "content": parts,
            }
        output.append(item)
    return {
        "id": "resp_" + draw(st.text("0123456789abcdef", min_size=8, max_size=8)),
        "object": "response",
        "created_at": 1767225600,
        "model": "computer-use-preview",
        "status": "completed",  # the helper's final response needs response.completed
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [{"type": "computer"}],
        "usage": None,
    }


class Wire:
    """One SDK client over a mock transport answering whatever SSE bytes it holds."""

    body = b""

    @classmethod
    @functools.cache
    def client(cls) -> OpenAI:
        def answer(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(
                200, headers={"content-type": "text/event-stream"}, content=cls.body
            )

        return sdk(httpx2.Client(transport=httpx2.MockTransport(answer)))


@given(response=responses())
def test_the_sdk_stream_helper_rebuilds_any_response_from_its_synthesized_events(
    response: dict[str, Any],
) -> None:
    Wire.body = b"".join(
        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
        for event in synthesize(response)
    )
    texts: list[str] = []
    with Wire.client().responses.stream(model="computer-use-preview", input="go") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                texts.append(event.delta)
        final = stream.get_final_response()
    assert dumped(final) == response
    assert "".join(texts) == final.output_text


# -- a real client loop, async, on the real browser ---------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
def test_the_loop_replays_offline_on_the_real_browser(
    browser: BrowserHarness,
    form_plain: Path,
    form_streamed: Path,
    streamed: bool,
) -> None:
    directory = form_streamed if streamed else form_plain
    client = async_replay_client(directory)
    backend = SDKBackend(AsyncOpenAI(base_url=REPLAY_URL, api_key="sk-none", http_client=client))
    outcome = run_scenario(browser, FORM, backend=backend, stream=streamed)
    cassette = load_cassette(directory)
    assert client.replay.failures == [] and client.replay.warnings == []
    assert client.replay.finished
    assert outcome.log == []  # the fake server the harness started heard nothing
    assert outcome.result.final_message == cassette.stop.final_message  # type: ignore[union-attr]
    assert outcome.done_text == FORM.done.text
    assert all(s.streamed is streamed for s in client.replay.served)


@pytest.mark.browser
def test_the_speed_option_keeps_the_recorded_event_order(form_streamed: Path) -> None:
    """A tiny time scale: the recorded waits are taken, scaled down; only order is checked."""
    cassette = load_cassette(form_streamed)

    async def replay() -> list[list[str]]:
        client = async_replay_client(form_streamed, speed=0.001)
        openai = AsyncOpenAI(base_url=REPLAY_URL, api_key="sk-none", http_client=client)
        seen: list[list[str]] = []
        for body in bodies(form_streamed):
            stream = await openai.responses.create(**body)
            seen.append([event.type async for event in stream])
        await openai.close()
        return seen

    assert asyncio.run(replay()) == [[e.event for e in s.events or []] for s in cassette.steps]


# -- Azure client shapes --------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(
    ("options", "path"),
    [
        (
            {"azure_endpoint": "http://replay.invalid", "api_version": "2025-03-01-preview"},
            "/openai/responses",
        ),
        (
            {
                "azure_endpoint": "http://replay.invalid",
                "azure_deployment": "cua",
                "api_version": "2025-03-01-preview",
            },
            "/openai/responses",
        ),
        (
            {"base_url": "http://replay.invalid/openai/v1/", "api_version": "preview"},
            "/openai/v1/responses",
        ),
    ],
    ids=["endpoint", "deployment", "v1"],
)
def test_azure_clients_replay_on_their_own_paths(
    form_plain: Path, options: dict[str, Any], path: str
) -> None:
    client = replay_client(form_plain)
    azure = AzureOpenAI(api_key="azure-key", http_client=client, **options)
    for body, expected in zip(bodies(form_plain), recorded(form_plain), strict=True):
        assert azure.responses.create(**params(body)).to_dict(mode="json") == expected
    assert client.replay.failures == []
    assert {s.path for s in client.replay.served} == {path}


@pytest.mark.browser
def test_an_azure_v1_client_built_as_openai_streams_too(form_streamed: Path) -> None:
    client = replay_client(form_streamed)
    openai = OpenAI(
        base_url="http://replay.invalid/openai/v1/", api_key="azure-key", http_client=client
    )
    for body, expected in zip(bodies(form_streamed), recorded(form_streamed), strict=True):
        with openai.responses.stream(**params(body)) as stream:
            assert dumped(stream.get_final_response()) == expected
    assert client.replay.finished and client.replay.failures == []


# -- the SDK's ComputerToolset --------------------------------------------------------------


def test_the_sdk_computer_toolset_replays_its_recorded_run(form_toolset: Path) -> None:
    driver = Driver()
    client = replay_client(form_toolset)
    response = ComputerToolset(driver).run(sdk(client), toolset_params(FORM))
    assert response.output_text == FORM.turns[-1].message
    assert driver.actions == [a for turn in FORM.turns for a in turn.actions]
    assert client.replay.finished and client.replay.failures == []


# -- mismatches -----------------------------------------------------------------------------


@pytest.mark.browser
def test_a_changed_request_is_a_400_cassette_mismatch_naming_the_step(form_plain: Path) -> None:
    client = replay_client(form_plain)
    openai = sdk(client)
    first = bodies(form_plain)[0]
    first["input"][0]["content"][0]["text"] = "Order a red mug for Ada Lovelace."
    with pytest.raises(BadRequestError) as caught:
        openai.responses.create(**params(first))
    assert caught.value.code == "cassette_mismatch"
    assert caught.value.type == "invalid_request_error"
    assert "diverged at step 1 (request)" in caught.value.message
    assert "input[0].content[0].text" in caught.value.message
    (failure,) = client.replay.failures
    assert isinstance(failure, ReplayMismatch) and failure.step == 1
    with pytest.raises(ReplayMismatch, match="step 1"):
        client.replay.check()


@pytest.mark.browser
def test_a_different_screenshot_names_the_png_files_it_wrote(
    form_plain: Path, tmp_path: Path
) -> None:
    client = replay_client(form_plain, ReplayOptions(artifacts=tmp_path / "mismatch"))
    openai = sdk(client)
    first, second = bodies(form_plain)[:2]
    openai.responses.create(**params(first))
    output = second["input"][0]["output"]
    output["image_url"] = data_url(scribbled(output["image_url"]))
    with pytest.raises(BadRequestError) as caught:
        openai.responses.create(**params(second))
    assert caught.value.code == "cassette_mismatch"
    (failure,) = client.replay.failures
    assert isinstance(failure, ReplayMismatch) and failure.step == 2
    names = sorted(path.name for path in failure.files)
    assert names == ["diff.png", "live.png", "recorded.png"]
    assert all(path.is_file() and str(path) in caught.value.message for path in failure.files)


def test_a_request_past_the_end_is_cassette_exhausted(form_toolset: Path) -> None:
    client = replay_client(form_toolset)
    openai = sdk(client)
    every = bodies(form_toolset)
    for body in every:
        openai.responses.create(**params(body))
    with pytest.raises(BadRequestError) as caught:
        openai.responses.create(**params(every[-1]))
    assert caught.value.code == "cassette_exhausted"
    assert f"request {len(every) + 1}" in caught.value.message
    assert isinstance(client.replay.failures[0], ReplayMismatch)


def test_a_transport_over_a_cursor_shares_its_position(form_toolset: Path) -> None:
    cursor = ReplayCursor(load_cassette(form_toolset))
    sync = ReplayTransport(cursor)
    openai = sdk(httpx2.Client(transport=sync))
    first, second = bodies(form_toolset)[:2]
    openai.responses.create(**params(first))

    async def next_step() -> int:
        transport = AsyncReplayTransport(cursor)
        async with httpx2.AsyncClient(transport=transport) as client:
            answer = await client.post(f"{REPLAY_URL}/responses", json=second)
        return int(answer.headers[STEP_HEADER])

    assert asyncio.run(next_step()) == 2
    assert cursor.position == 2
    with pytest.raises(InvalidSetting, match="options"):
        ReplayTransport(cursor, ReplayOptions(MatchPolicy.STRICT))


# -- recorded failures and retries -----------------------------------------------------------


def test_a_recorded_429_is_replayed_first_and_the_sdk_retries_it(form_429: Path) -> None:
    cassette = load_cassette(form_429)
    (limited,) = [s for s in cassette.steps if s.http is not None and s.http.attempts]
    assert limited.step == 2
    assert [(a.status, a.headers["retry-after"]) for a in limited.http.attempts] == [  # type: ignore[union-attr]
        (429, "0.001")
    ]
    client = replay_client(form_429)
    driver = Driver()
    response = ComputerToolset(driver).run(sdk(client, max_retries=2), toolset_params(FORM))
    assert response.output_text == FORM.turns[-1].message
    served = [(s.step, s.status, s.attempt) for s in client.replay.served]
    assert served == [(1, 200, None), (2, 429, 0), (2, 200, None), (3, 200, None), (4, 200, None)]
    assert client.replay.failures == []


def test_a_client_that_does_not_retry_sees_the_429_with_its_retry_after(form_429: Path) -> None:
    client = replay_client(form_429)
    openai = sdk(client, max_retries=0)
    first, second, third = bodies(form_429)[:3]
    openai.responses.create(**params(first))
    with pytest.raises(RateLimitError) as caught:
        openai.responses.create(**params(second))
    assert caught.value.response.headers["retry-after"] == "0.001"
    assert caught.value.code == "rate_limit_exceeded"
    # The application retries it by hand: the same body gets the step's answer, once.
    assert openai.responses.create(**params(second)).id == recorded(form_429)[1]["id"]
    assert openai.responses.create(**params(third)).id == recorded(form_429)[2]["id"]
    assert client.replay.failures == []


def test_sending_something_else_instead_of_the_recorded_retry_is_a_mismatch(
    form_429: Path,
) -> None:
    client = replay_client(form_429)
    openai = sdk(client, max_retries=0)
    first, second, third = bodies(form_429)[:3]
    openai.responses.create(**params(first))
    with pytest.raises(RateLimitError):
        openai.responses.create(**params(second))
    with pytest.raises(BadRequestError) as caught:
        openai.responses.create(**params(third))
    assert caught.value.code == "cassette_mismatch"
    assert "step 2 (retry)" in caught.value.message
    assert "HTTP 429" in caught.value.message


def test_a_recorded_final_error_is_answered_with_its_status_and_body(tmp_path: Path) -> None:
    scenario = with_turn_fault(
        FORM, 2, {"kind": "http", "status": 400, "message": "Scripted refusal for the test."}
    )
    recorder = Recorder.open(tmp_path / "cas", new_manifest(task=scenario.task))
    with (
        FakeResponsesServer(scenario) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as live,
        pytest.raises(BadRequestError) as original,
    ):
        ComputerToolset(Driver()).run(live, toolset_params(scenario))
    recorder.close()
    client = replay_client(tmp_path / "cas")
    with pytest.raises(BadRequestError) as replayed:
        ComputerToolset(Driver()).run(sdk(client), toolset_params(scenario))
    assert replayed.value.message == original.value.message
    assert replayed.value.body == original.value.body
    assert replayed.value.request_id == original.value.request_id
    assert client.replay.finished and client.replay.failures == []


def test_a_stream_that_broke_is_replayed_as_it_broke(tmp_path: Path) -> None:
    scenario = with_turn_fault(FORM, 1, {"kind": "stream_error", "message": "Stream broke."})
    request: dict[str, Any] = {
        "model": "gpt-5.4",
        "input": scenario.task,
        "tools": [{"type": "computer"}],
    }
    recorder = Recorder.open(tmp_path / "cas", new_manifest(task=scenario.task))
    with (
        FakeResponsesServer(scenario) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as live,
    ):
        original = [
            event.to_dict(mode="json") for event in live.responses.create(**request, stream=True)
        ]
    recorder.close()
    assert original[-1]["type"] == "error"

    openai = sdk(replay_client(tmp_path / "cas"))
    replayed = [
        event.to_dict(mode="json") for event in openai.responses.create(**request, stream=True)
    ]
    assert replayed == original
    client = replay_client(tmp_path / "cas")
    with pytest.raises(InternalServerError) as caught:
        sdk(client).responses.create(**request)
    assert caught.value.code == "cassette_no_response"
    assert "Stream broke." in caught.value.message
    # Answered with x-should-retry: false, so the SDK did not retry it.
    assert [s.status for s in client.replay.served] == [500]


def test_concurrent_requests_never_share_or_skip_a_step(form_toolset: Path) -> None:
    """Under ``sequential`` matching any order is let through: each request still gets its own
    step, exactly once, whatever the threads do."""
    client = replay_client(form_toolset, ReplayOptions(MatchPolicy.SEQUENTIAL))
    openai = sdk(client)
    every = bodies(form_toolset)
    with ThreadPoolExecutor(max_workers=len(every)) as pool:
        answers = list(pool.map(lambda body: openai.responses.create(**params(body)), every))
    steps = sorted(s.step for s in client.replay.served if s.step is not None)
    assert steps == list(range(1, len(every) + 1))
    assert sorted(a.id for a in answers) == sorted(r["id"] for r in recorded(form_toolset))
    assert client.replay.failures == [] and client.replay.finished


# -- the other Responses API requests --------------------------------------------------------


@pytest.mark.browser
def test_retrieve_delete_and_input_items_answer_from_the_recording(form_plain: Path) -> None:
    openai = sdk(replay_client(form_plain), max_retries=0)
    cassette = load_cassette(form_plain)
    step = cassette.steps[1]
    assert step.response is not None
    response_id = step.response["id"]
    assert openai.responses.retrieve(response_id).to_dict(mode="json") == step.response
    streamed = list(openai.responses.retrieve(response_id, stream=True))
    assert streamed[-1].response.to_dict(mode="json") == step.response  # type: ignore[union-attr]
    items = list(openai.responses.input_items.list(response_id))
    assert [item.type for item in items] == ["computer_call_output"]
    assert items[0].call_id == bodies(form_plain)[1]["input"][0]["call_id"]  # type: ignore[union-attr]
    with pytest.raises(NotFoundError) as missing:
        openai.responses.retrieve("resp_never_recorded")
    assert missing.value.code == "response_not_found"
    openai.responses.delete(response_id)
    with pytest.raises(NotFoundError):
        openai.responses.retrieve(response_id)


def test_a_request_that_is_not_to_the_responses_api_is_refused_not_sent(
    form_toolset: Path,
) -> None:
    client = replay_client(form_toolset)
    with pytest.raises(NotReplayable, match=r"GET http://replay\.invalid/v1/models"):
        client.get(f"{REPLAY_URL}/models")
    with pytest.raises(NotReplayable, match=r"POST .*/v1/chat/completions"):
        sdk(client).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    assert len(client.replay.failures) == 2


def test_a_body_that_is_not_json_gets_the_services_parse_error(form_toolset: Path) -> None:
    client = replay_client(form_toolset)
    answer = client.post(f"{REPLAY_URL}/responses", content=b"{not json")
    assert answer.status_code == 400
    assert json.loads(answer.content)["error"]["message"].startswith("We could not parse")
    assert client.replay.cursor.position == 0


@pytest.mark.parametrize("speed", [-1.0, float("nan"), "fast", True])
def test_a_speed_that_is_not_a_time_scale_is_refused(form_toolset: Path, speed: Any) -> None:
    with pytest.raises(InvalidSetting, match="speed"):
        replay_client(form_toolset, speed=speed)
