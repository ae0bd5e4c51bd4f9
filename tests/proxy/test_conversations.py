"""Several conversations through one proxy, interleaved, each replayed from its own recording.

Three clients share a proxy: two chaining on ``previous_response_id`` with the
same task, one stateless (the SDK's ``ComputerToolset``, full history) with
another. Their requests take turns on the wire, so the cassette holds the
conversations interleaved. Replayed (in another order), every client gets a
whole recorded conversation of its own: the ids it is given are those one
recorded conversation was given, in order, and no conversation is served twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
import pytest
from openai import OpenAI
from openai.lib.computer import ComputerToolset

from cua_replay.cassette import load_cassette
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.replay.http import STEP_HEADER
from cua_replay.server import FakeResponsesServer
from cua_replay.server.scenario import HttpFault, Turn
from tests.proxy.conftest import KEY, SCENARIO, Driver
from tests.server.images import png

OTHER_TASK = f"{SCENARIO.task} Use the keyboard only."


class Turns:
    """The clients' requests go out in turns (a, b, c, a, ...); a finished client leaves."""

    def __init__(self, names: list[str]) -> None:
        self.order = list(names)
        self.index = 0
        self.sent: list[str] = []
        self._cond = threading.Condition()

    def take(self, name: str) -> None:
        """Wait for ``name``'s turn, then pass it on: the request goes out as the next one may."""
        with self._cond:
            self._cond.wait_for(lambda: self.order[self.index % len(self.order)] == name, 60)
            self.sent.append(name)
            self.index += 1
            self._cond.notify_all()

    def leave(self, name: str) -> None:
        with self._cond:
            position, pointer = self.order.index(name), self.index % len(self.order)
            self.order.remove(name)
            pointer -= 1 if position < pointer else 0
            self.index = pointer % len(self.order) if self.order else 0
            self._cond.notify_all()


@dataclass
class Seen:
    """What one client was answered: the response ids, and the replayed step of each."""

    ids: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def sdk_client(
    base_url: str, name: str, turns: Turns, seen: Seen, *, max_retries: int = 0
) -> OpenAI:
    """The real SDK, its requests taking turns and its answers noted (hooks, not our code)."""

    def request(_: httpx2.Request) -> None:
        turns.take(name)

    def response(answer: httpx2.Response) -> None:
        answer.read()
        seen.statuses.append(answer.status_code)
        if STEP_HEADER in answer.headers:
            seen.steps.append(int(answer.headers[STEP_HEADER]))
        if answer.status_code == 200:
            seen.ids.append(answer.json()["id"])

    http = httpx2.Client(event_hooks={"request": [request], "response": [response]})
    return OpenAI(base_url=base_url, api_key=KEY, max_retries=max_retries, http_client=http)


def chained(client: OpenAI, task: str) -> str:
    """A hand-written loop chaining every request on the previous response."""
    screen = Driver().screenshot()
    response = client.responses.create(model="gpt-5.4", tools=[{"type": "computer"}], input=task)
    while calls := [item for item in response.output if item.type == "computer_call"]:
        response = client.responses.create(
            model="gpt-5.4",
            previous_response_id=response.id,
            tools=[{"type": "computer"}],
            input=[
                {"type": "computer_call_output", "call_id": call.call_id, "output": screen}
                for call in calls
            ],
        )
    return response.output_text


def stateless(client: OpenAI, task: str) -> str:
    """The SDK's ``ComputerToolset``: full history, ``store=False``."""
    params = {"model": "gpt-5.4", "input": task, "store": False}
    return str(ComputerToolset(Driver()).run(client, params).output_text)


CLIENTS: dict[str, tuple[Callable[[OpenAI, str], str], str]] = {
    "chained-1": (chained, SCENARIO.task),
    "chained-2": (chained, SCENARIO.task),
    "stateless": (stateless, OTHER_TASK),
}


def run_all(
    base_url: str, order: list[str], *, max_retries: int = 0
) -> tuple[dict[str, Seen], Turns]:
    """Every client in its own thread, requests in turns starting with ``order``'s."""
    turns = Turns(order)
    seen = {name: Seen() for name in order}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        loop, task = CLIENTS[name]
        try:
            with sdk_client(base_url, name, turns, seen[name], max_retries=max_retries) as client:
                assert loop(client, task) == SCENARIO.turns[-1].message
        except BaseException as exc:
            errors.append(exc)
        finally:
            turns.leave(name)

    threads = [threading.Thread(target=run, args=(name,)) for name in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return seen, turns


@dataclass
class Recorded:
    directory: Path
    seen: dict[str, Seen]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    directory = tmp_path_factory.mktemp("conversations") / "three"
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream.urls.openai_base_url)) as proxy,
    ):
        seen, turns = run_all(proxy.urls.openai_base_url, list(CLIENTS))
    assert turns.sent[:3] == ["chained-1", "chained-2", "stateless"]
    return Recorded(directory, seen)


def test_the_recording_holds_the_conversations_interleaved(recorded: Recorded) -> None:
    cassette = load_cassette(recorded.directory)
    assert len(cassette) == 3 * len(SCENARIO.turns)
    step_of = {step.response["id"]: step.step for step in cassette.steps if step.response}
    for seen in recorded.seen.values():
        steps = [step_of[response_id] for response_id in seen.ids]
        assert len(steps) == len(SCENARIO.turns)
        # Recorded order is no conversation's order: others' steps lie between its own.
        assert steps[-1] - steps[0] + 1 > len(steps), steps


@pytest.mark.parametrize(
    "order",
    [["stateless", "chained-2", "chained-1"], ["chained-1", "stateless", "chained-2"]],
    ids=["stateless-first", "as-recorded"],
)
def test_each_client_replays_its_own_conversation(recorded: Recorded, order: list[str]) -> None:
    app = ProxyApp(recorded.directory, "none")
    with ProxyServer(app) as proxy:
        seen, turns = run_all(proxy.urls.openai_base_url, order)
    assert turns.sent[:3] == order
    assert app.replayer is not None and not app.replayer.failures
    assert seen["stateless"].ids == recorded.seen["stateless"].ids
    chained_ids = sorted([seen["chained-1"].ids, seen["chained-2"].ids])
    assert chained_ids == sorted([recorded.seen["chained-1"].ids, recorded.seen["chained-2"].ids])
    served = [step for client in seen.values() for step in client.steps]
    assert sorted(served) == list(range(1, len(load_cassette(recorded.directory)) + 1))


def test_a_changed_client_among_others_fails_alone_at_its_step(recorded: Recorded) -> None:
    """The stateless client sends another screenshot: its second step fails, the other ends."""
    cassette = load_cassette(recorded.directory)
    second = next(
        step.step
        for step in cassette.steps
        if isinstance(step.request["input"], list)
        and cassette.request(step.step)["input"][0].get("content") == OTHER_TASK
        and len(step.request["input"]) > 1
    )
    ended: list[str] = []
    with (
        ProxyServer(ProxyApp(recorded.directory, "none")) as proxy,
        OpenAI(base_url=proxy.urls.openai_base_url, api_key=KEY, max_retries=0) as client,
    ):
        other = threading.Thread(target=lambda: ended.append(chained(client, SCENARIO.task)))
        other.start()
        params = {"model": "gpt-5.4", "input": OTHER_TASK, "store": False}
        with pytest.raises(openai.BadRequestError) as caught:
            ComputerToolset(Driver(png(64, 48))).run(client, params)
        other.join(timeout=60)
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["code"] == "cassette_mismatch"
    assert f"step {second}" in body["message"]
    assert ended == [SCENARIO.turns[-1].message]


def test_retried_failures_are_recorded_with_their_own_conversations(tmp_path: Path) -> None:
    """Each conversation gets a 429 at its second step; the other's requests go out between
    the 429 and its retry. Each attempt stays with the step that retried it, and both
    conversations replay (the 429 again, then the answer)."""
    turns = [turn.model_dump() for turn in SCENARIO.turns]
    turns[1]["fault"] = HttpFault(status=429, retry_after_ms=0).model_dump()
    faulty = SCENARIO.model_copy(update={"turns": [Turn.model_validate(t) for t in turns]})
    directory = tmp_path / "retried"
    clients = ["chained-1", "chained-2"]
    with (
        FakeResponsesServer(faulty) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream.urls.openai_base_url)) as proxy,
    ):
        seen, _ = run_all(proxy.urls.openai_base_url, clients, max_retries=1)
    cassette = load_cassette(directory)
    attempts = {
        step.response["id"]: [a.status for a in step.http.attempts]
        for step in cassette.steps
        if step.response is not None and step.http is not None and step.http.attempts
    }
    for name in clients:
        assert seen[name].statuses.count(429) == 1
        mine = [attempts[i] for i in seen[name].ids if i in attempts]
        assert mine == [[429]], (name, attempts)

    app = ProxyApp(directory, "none")
    with ProxyServer(app) as proxy:
        replayed, _ = run_all(proxy.urls.openai_base_url, clients, max_retries=1)
    assert app.replayer is not None and not app.replayer.failures
    assert [replayed[c].statuses.count(429) for c in clients] == [1, 1]
    assert sorted([replayed[c].ids for c in clients]) == sorted([seen[c].ids for c in clients])


def test_a_conversation_past_its_recording_is_exhausted(recorded: Recorded) -> None:
    last_id = recorded.seen["chained-1"].ids[-1]
    cassette = load_cassette(recorded.directory)
    last = next(s.step for s in cassette.steps if s.response and s.response["id"] == last_id)
    body = {"model": "gpt-5.4", "previous_response_id": last_id, "input": "And now?"}
    with ProxyServer(ProxyApp(recorded.directory, "none")) as proxy:
        answer = httpx2.post(f"{proxy.urls.openai_base_url}/responses", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "cassette_exhausted"
    assert f"after step {last}," in error["message"]
    assert "--record-mode new" in error["message"]


def test_a_response_id_the_recording_never_issued_is_one_clear_mismatch(
    recorded: Recorded,
) -> None:
    body = {"model": "gpt-5.4", "previous_response_id": "resp_elsewhere", "input": "Go on."}
    with ProxyServer(ProxyApp(recorded.directory, "none")) as proxy:
        answer = httpx2.post(f"{proxy.urls.openai_base_url}/responses", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "cassette_mismatch"
    assert "previous_response_id 'resp_elsewhere'" in error["message"]
