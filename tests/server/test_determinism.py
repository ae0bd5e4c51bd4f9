"""Same scenario, same requests: byte-identical answers, in any process.

Record/replay and cassette diffs rely on it: ids, timestamps, token counts,
encrypted reasoning and stream obfuscation all come from the seed and the
conversation's own counters, never from the clock, the process or a random
source. Two ``cua-replay serve`` processes and the in-thread server must agree
on every body byte, streamed or not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from cua_replay.server import FakeResponsesServer, Scenario, builtin_scenarios, load_scenario
from tests.server.driver import History, Tool
from tests.server.scripted import (
    TINY_DATA_URL,
    Exchange,
    base_params,
    exchange,
    first_input,
    sse_events,
    url_before,
)

URL_LINE = re.compile(r"^\s+OpenAI\s+base_url=(http://127\.0\.0\.1:\d+/v1)\s*$")
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


@contextmanager
def serve_process(name: str, log: IO[str]) -> Iterator[str]:
    """``cua-replay serve --scenario name --port 0`` as a subprocess; yields its OpenAI URL."""
    script = Path(sys.executable).parent / "cua-replay"
    process = subprocess.Popen(
        [str(script), "serve", "--scenario", name, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # ends at EOF if the process dies
            match = URL_LINE.match(line)
            if match:
                yield match.group(1)
                break
        else:
            log.seek(0)
            raise AssertionError(f"cua-replay serve printed no URL; stderr:\n{log.read()}")
    finally:
        process.kill()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def final_response(answer: Exchange) -> dict[str, Any]:
    """The response an answer carries: the JSON body, or a stream's terminal event."""
    if answer.content_type.startswith("text/event-stream"):
        (data,) = [data for name, data in sse_events(answer.body) if name in TERMINAL]
        return dict(data["response"])
    return dict(json.loads(answer.body))


def conversation(
    base_url: str, scenario: Scenario, *, tool: Tool, history: History, azure: bool
) -> list[Exchange]:
    """Run ``scenario`` with raw HTTP: alternate streamed and plain turns, read back each one."""
    path = "/responses"
    headers: dict[str, str] = {}
    if azure:  # the Azure v1 route and header, on the same server
        base_url = base_url.removesuffix("/v1") + "/openai/v1"
        path, headers = "/responses?api-version=preview", {"api-key": "azure-key"}
    base = base_params(scenario, tool, history)
    items: list[dict[str, Any]] = first_input(scenario.task)
    body: dict[str, Any] = {**base, "input": list(items), "reasoning": {"summary": "concise"}}
    url = scenario.start_url
    log: list[Exchange] = []
    for turn in range(len(scenario.steps(tool))):
        answer = exchange(
            base_url, "POST", path, {**body, "stream": turn % 2 == 1}, headers=headers
        )
        assert answer.status == 200, answer.body
        log.append(answer)
        response = final_response(answer)
        if history == "chain":
            got = f"/responses/{response['id']}"
            log.append(exchange(base_url, "GET", got, headers=headers))
            log.append(exchange(base_url, "GET", got + "/input_items?order=asc", headers=headers))
            log.append(
                exchange(base_url, "GET", got + "?stream=true&starting_after=2", headers=headers)
            )
        calls = [item for item in response["output"] if item["type"] == "computer_call"]
        if not calls:
            return log
        url = url_before(scenario, tool, turn + 1, url)
        outputs = [
            {
                "type": "computer_call_output",
                "call_id": call["call_id"],
                "output": {"type": "computer_screenshot", "image_url": TINY_DATA_URL},
                "acknowledged_safety_checks": call.get("pending_safety_checks") or [],
                "current_url": url,
            }
            for call in calls
        ]
        if history == "chain":
            body = {**base, "previous_response_id": response["id"], "input": outputs}
        else:
            items += [*response["output"], *outputs]
            body = {**base, "input": list(items)}
    raise AssertionError(f"scenario {scenario.name!r} did not end")


def transcript(base_url: str, scenario: Scenario) -> list[Exchange]:
    """Two conversations on one server: preview chained on OpenAI, GA stateless on Azure."""
    first = conversation(base_url, scenario, tool="preview", history="chain", azure=False)
    second = conversation(base_url, scenario, tool="ga", history="full", azure=True)
    return first + second


def assert_same(left: list[Exchange], right: list[Exchange]) -> None:
    assert len(left) == len(right)
    for number, (a, b) in enumerate(zip(left, right, strict=True)):
        assert (a.method, a.path, a.request) == (b.method, b.path, b.request), number
        assert (a.status, a.content_type, a.request_id) == (b.status, b.content_type, b.request_id)
        assert a.body == b.body, f"exchange {number}: {a.method} {a.path} differs"


@pytest.mark.parametrize("path", list(builtin_scenarios()), ids=lambda path: path.stem)
def test_two_serve_processes_answer_byte_identically(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    with ExitStack() as stack:
        logs = [stack.enter_context(open(tmp_path / f"serve-{n}.log", "w+")) for n in (1, 2)]
        urls = [stack.enter_context(serve_process(path.stem, log)) for log in logs]
        assert urls[0] != urls[1]
        left, right = (transcript(url, scenario) for url in urls)
    assert all(answer.status == 200 for answer in left)
    assert any(answer.content_type.startswith("text/event-stream") for answer in left)
    assert_same(left, right)


def test_in_thread_server_answers_like_the_serve_process(tmp_path: Path) -> None:
    scenario = load_scenario("demo")
    with open(tmp_path / "serve.log", "w+") as log, serve_process("demo", log) as url:
        expected = transcript(url, scenario)
    with FakeResponsesServer("demo") as server:
        assert_same(transcript(server.urls.openai_base_url, scenario), expected)


def test_a_fresh_server_with_another_seed_answers_differently() -> None:
    # The control: the identical bytes above come from the seed, not from constant output.
    scenario = load_scenario("demo")
    with FakeResponsesServer("demo") as one, FakeResponsesServer("demo", seed="other") as two:
        a = transcript(one.urls.openai_base_url, scenario)
        b = transcript(two.urls.openai_base_url, scenario)
    assert a[0].request == b[0].request
    assert a[0].body != b[0].body
    assert json.loads(a[0].body)["id"] != json.loads(b[0].body)["id"]
