"""Replay, specified once and run against every replay path.

The same recording (the SDK's ``ComputerToolset`` on the fake server, recorded
by the transport only; and the same run with a rate-limited turn the SDK
retried) is replayed three ways: the in-process backend the loop uses
(``ReplaySession.backend``), the HTTP replay transport under the real SDK
(``replay_client``), and ``serve --cassette`` over loopback HTTP
(``FakeResponsesServer(CassetteBrain(...))``) under the real SDK. Each test
states one rule of replay and holds for all three, including the places the
paths used to disagree (streamed vs not, ``input_items`` paging).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types.responses import Response

from cua_replay.cassette import Cassette, load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.errors import ReplayMismatch
from cua_replay.record import Recorder, new_manifest, recording_client
from cua_replay.replay import ReplaySession, replay_client
from cua_replay.server import CassetteBrain, FakeResponsesServer, load_scenario
from tests.cassette.test_replay_transport import record_toolset, with_turn_fault

FORM = load_scenario("form")


@dataclass
class Refusal:
    """How a path said no: the step it names, a machine code, and the message."""

    code: str
    message: str


class ReplayPath:
    """One way of replaying a cassette, driven the same way by every test."""

    name = ""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def create(self, body: dict[str, Any]) -> Response | Refusal:
        raise NotImplementedError

    def close(self) -> None:
        pass


class InProcess(ReplayPath):
    name = "in-process"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.session = ReplaySession(load_cassette(directory))

    def create(self, body: dict[str, Any]) -> Response | Refusal:
        try:
            return asyncio.run(self.session.backend.create(body))
        except ReplayMismatch as exc:
            code = "cassette_exhausted" if exc.what == "exhausted" else "cassette_mismatch"
            return Refusal(code, str(exc))


class Transport(ReplayPath):
    name = "http-transport"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.client = OpenAI(
            base_url="http://replay.invalid/v1",
            api_key="sk-none",
            http_client=replay_client(directory),
            max_retries=2,
        )

    def create(self, body: dict[str, Any]) -> Response | Refusal:
        return _sdk_create(self.client, body)

    def close(self) -> None:
        self.client.close()


class Served(ReplayPath):
    name = "serve-cassette"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.server = FakeResponsesServer(CassetteBrain(load_cassette(directory)))
        self.server.__enter__()
        self.client = OpenAI(
            base_url=self.server.urls.openai_base_url, api_key="sk-none", max_retries=2
        )

    def create(self, body: dict[str, Any]) -> Response | Refusal:
        return _sdk_create(self.client, body)

    def close(self) -> None:
        self.client.close()
        self.server.__exit__(None, None, None)


def _sdk_create(client: OpenAI, body: dict[str, Any]) -> Response | Refusal:
    try:
        response = client.responses.create(**body)
    except openai.APIStatusError as exc:
        error = exc.body if isinstance(exc.body, dict) else {}
        return Refusal(str(error.get("code")), str(error.get("message")))
    if isinstance(response, Response):
        return response
    final: Response | None = None
    for event in response:
        if event.type == "response.completed":
            final = event.response
    assert final is not None, "the stream ended without response.completed"
    return final


PATHS: list[type[ReplayPath]] = [InProcess, Transport, Served]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_toolset(tmp_path_factory.mktemp("every-path") / "form", FORM)


@pytest.fixture(scope="module")
def rate_limited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = with_turn_fault(
        FORM, 2, {"kind": "http", "status": 429, "retry_after": 0.001, "message": "Slow down."}
    )
    return record_toolset(tmp_path_factory.mktemp("every-path-429") / "form", scenario)


@pytest.fixture(params=PATHS, ids=lambda path: path.name)
def replaying(request: pytest.FixtureRequest) -> Iterator[Callable[[Path], ReplayPath]]:
    opened: list[ReplayPath] = []

    def open_path(directory: Path) -> ReplayPath:
        path: ReplayPath = request.param(directory)
        opened.append(path)
        return path

    yield open_path
    for path in opened:
        path.close()


def requests_of(directory: Path) -> list[dict[str, Any]]:
    """Every recorded request as the client sent it (screenshots inlined), minus delivery."""
    cassette = load_cassette(directory)
    return [
        {
            key: value
            for key, value in expand(cassette.request(step.step), cassette.blobs.get).items()
            if key not in ("stream", "stream_options")
        }
        for step in cassette.steps
    ]


def model_output(response: Response | dict[str, Any]) -> list[dict[str, Any]]:
    """What the model said, without the ids a server may issue on its own."""
    data = response.to_dict() if isinstance(response, Response) else response
    out: list[dict[str, Any]] = []
    for item in data.get("output") or []:
        kept = {"type": item["type"]}
        if item["type"] == "computer_call":
            kept["actions"] = item.get("actions") or [item.get("action")]
            kept["checks"] = [c["code"] for c in item.get("pending_safety_checks") or []]
        elif item["type"] == "reasoning":
            kept["summary"] = [part["text"] for part in item.get("summary") or []]
        elif item["type"] == "message":
            kept["text"] = [part.get("text") for part in item.get("content") or []]
        out.append(kept)
    return out


def chained(
    directory: Path, path: ReplayPath, stream: bool = False, history: list[Any] | None = None
) -> list[Response]:
    """Replay the recorded run as its stateless (``store: false``) client would.

    Each request resends the history the client holds: the live previous input
    and the live previous output (a server with ids of its own answers with
    other ids than the recording), then the items the recording added, their
    ``call_id`` pointing at the live call.
    """
    cassette = load_cassette(directory)
    recorded = requests_of(directory)
    answers: list[Response] = []
    live_input: list[Any] = []
    for index, body in enumerate(recorded):
        if index == 0:
            live_input = list(body["input"])
        else:
            before = recorded[index - 1]["input"]
            said = (cassette.steps[index - 1].response or {}).get("output") or []
            added = body["input"][len(before) + len(said) :]
            previous = answers[-1]
            calls = [item.call_id for item in previous.output if item.type == "computer_call"]
            live_input = [
                *live_input,
                *(item.to_dict() for item in previous.output),
                *(
                    {**item, "call_id": calls[0]}
                    if isinstance(item, dict) and "call_id" in item and calls
                    else item
                    for item in added
                ),
            ]
        request = {**body, "input": live_input}
        answer = path.create({**request, "stream": True} if stream else request)
        assert isinstance(answer, Response), answer
        answers.append(answer)
    if history is not None:
        history[:] = live_input
    return answers


def recorded_outputs(directory: Path) -> list[list[dict[str, Any]]]:
    cassette: Cassette = load_cassette(directory)
    return [model_output(step.response or {}) for step in cassette.steps if step.response]


def test_every_recorded_request_gets_the_recorded_answer(
    recorded: Path, replaying: Callable[[Path], ReplayPath]
) -> None:
    answers = chained(recorded, replaying(recorded))
    assert [model_output(a) for a in answers] == recorded_outputs(recorded)


def test_a_streamed_request_ends_in_the_same_answer_as_a_plain_one(
    recorded: Path, replaying: Callable[[Path], ReplayPath]
) -> None:
    answers = chained(recorded, replaying(recorded), stream=True)
    assert [model_output(a) for a in answers] == recorded_outputs(recorded)


def test_a_changed_request_is_refused_naming_the_step_and_the_field(
    recorded: Path, replaying: Callable[[Path], ReplayPath]
) -> None:
    first = {**requests_of(recorded)[0], "model": "gpt-4o"}
    refusal = replaying(recorded).create(first)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "cassette_mismatch"
    assert "step 1" in refusal.message and "model: recorded 'gpt-5.4', live 'gpt-4o'" in (
        refusal.message
    )


def test_a_request_past_the_end_is_refused_as_exhausted(
    recorded: Path, replaying: Callable[[Path], ReplayPath]
) -> None:
    path = replaying(recorded)
    history: list[Any] = []
    answers = chained(recorded, path, history=history)
    last = requests_of(recorded)[-1]
    ask = {"role": "user", "content": "Anything else?"}
    more = [*history, *(item.to_dict() for item in answers[-1].output), ask]
    refusal = path.create({**last, "input": more})
    assert isinstance(refusal, Refusal)
    assert refusal.code == "cassette_exhausted"


def test_a_step_the_client_retried_replays_to_its_final_answer(
    rate_limited: Path, replaying: Callable[[Path], ReplayPath]
) -> None:
    cassette = load_cassette(rate_limited)
    retried = cassette.steps[1]
    assert retried.http is not None and [a.status for a in retried.http.attempts] == [429]
    answers = chained(rate_limited, replaying(rate_limited))
    assert [model_output(a) for a in answers] == recorded_outputs(rate_limited)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One stored (``store: true``) request of the form task, recorded by the transport."""
    directory = tmp_path_factory.mktemp("every-path-stored") / "form"
    recorder = Recorder.open(directory, new_manifest(task=FORM.task, scenario=FORM.name))
    with (
        FakeResponsesServer(FORM) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as client,
    ):
        client.responses.create(
            model="computer-use-preview",
            input=[{"role": "user", "content": FORM.task}, {"role": "user", "content": "Go."}],
            tools=[
                {
                    "type": "computer_use_preview",
                    "display_width": 1024,
                    "display_height": 768,
                    "environment": "browser",
                }
            ],
            truncation="auto",
        )
    recorder.close()
    return directory


@pytest.mark.parametrize("kind", [Transport, Served], ids=lambda path: path.name)
def test_input_items_page_the_same_on_every_http_path(
    stored: Path, kind: type[Transport | Served]
) -> None:
    path = kind(stored)
    try:
        response = path.create(requests_of(stored)[0])
        assert isinstance(response, Response), response
        items = path.client.responses.input_items
        first = items.list(response.id, limit=1, order="asc")
        assert [item.type for item in first.data] == ["message"] and first.has_more
        rest = items.list(response.id, after=first.data[0].id, order="asc")
        assert len(rest.data) == 1 and not rest.has_more
        with pytest.raises(openai.BadRequestError) as unknown:
            items.list(response.id, after="msg_never_listed")
        assert isinstance(unknown.value.body, dict)
        assert unknown.value.body["param"] == "after"
        with pytest.raises(openai.BadRequestError) as too_many:
            items.list(response.id, limit=101)
        assert isinstance(too_many.value.body, dict)
        assert too_many.value.body["param"] == "limit"
    finally:
        path.close()
