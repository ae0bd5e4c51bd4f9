"""A browserless computer-use client for the server tests: a tiny PNG for every screenshot.

The fake server checks images (real PNG bytes) and a turn's ``expect``
(``current_url`` globs, acknowledged safety checks), not what the page shows,
so a client that answers every call with the same 1x1 PNG and a URL that
satisfies the scenario runs any scenario to its final message without Chromium.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openai import AsyncOpenAI
from openai.types.responses import Response

from cua_replay.server import Scenario
from tests.server.driver import History, Tool, create, tools_for
from tests.server.images import data_url, png

TINY_PNG = png()
TINY_DATA_URL = data_url(TINY_PNG)


def satisfying(glob: str) -> str:
    """A concrete URL that matches ``glob`` (the scenarios' globs only use ``*``)."""
    url = glob.replace("*", "index.html").replace("?", "x")
    if not fnmatch.fnmatchcase(url, glob):
        raise ValueError(f"cannot build a URL matching {glob!r}; got {url!r}")
    return url


def url_before(scenario: Scenario, tool: Tool, position: int, previous: str) -> str:
    """The ``current_url`` to report in the request that asks for step ``position``."""
    steps = scenario.steps(tool)
    if position < len(steps) and steps[position].first:
        wanted = steps[position].turn.expect.current_url
        if wanted is not None and not fnmatch.fnmatchcase(previous, wanted):
            return satisfying(wanted)
    return previous


def first_input(task: str) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": task},
                {"type": "input_image", "image_url": TINY_DATA_URL},
            ],
        }
    ]


def base_params(scenario: Scenario, tool: Tool, history: History) -> dict[str, Any]:
    """What every request of a run carries, as the browser driver sends it."""
    base: dict[str, Any] = {"model": scenario.model, "tools": tools_for(scenario, tool)}
    if tool == "preview":
        base["truncation"] = "auto"
    if history == "full":
        base["include"] = ["reasoning.encrypted_content"]
        base["store"] = False
    return base


def call_output(call: Any, url: str) -> dict[str, Any]:
    """The answer to one computer call: the tiny PNG, every safety check acknowledged."""
    return {
        "type": "computer_call_output",
        "call_id": call.call_id,
        "output": {"type": "computer_screenshot", "image_url": TINY_DATA_URL},
        "acknowledged_safety_checks": [c.model_dump() for c in call.pending_safety_checks or []],
        "current_url": url,
    }


async def run_scripted(
    client: AsyncOpenAI,
    scenario: Scenario,
    *,
    tool: Tool = "preview",
    history: History = "chain",
    stream: bool = False,
    task: str | None = None,
) -> list[Response]:
    """Run ``scenario`` to its final message without a browser; return every response."""
    steps = scenario.steps(tool)
    base = base_params(scenario, tool, history)
    items: list[Any] = first_input(task or scenario.task)
    params: dict[str, Any] = {**base, "input": list(items), "reasoning": {"summary": "concise"}}
    url = scenario.start_url
    responses: list[Response] = []
    for _ in range(len(steps)):
        response = await create(client, stream, **params)
        responses.append(response)
        calls = [item for item in response.output if item.type == "computer_call"]
        if not calls:
            return responses
        url = url_before(scenario, tool, len(responses), url)
        outputs = [call_output(call, url) for call in calls]
        if history == "chain":
            params = {**base, "previous_response_id": response.id, "input": outputs}
        else:
            items += [item.to_dict() for item in response.output] + outputs
            params = {**base, "input": list(items)}
    raise AssertionError(f"scenario {scenario.name!r} did not end after {len(steps)} responses")


# -- raw HTTP, for byte-level checks ------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One raw request and the answer's status, wire-relevant headers and exact body bytes."""

    method: str
    path: str
    request: bytes
    status: int
    content_type: str
    request_id: str
    body: bytes


def exchange(
    base_url: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Exchange:
    """Send one request to ``base_url`` + ``path`` over loopback with ``http.client``."""
    origin = urlsplit(base_url)
    assert origin.hostname in ("127.0.0.1", "::1", "localhost"), base_url
    raw = b"" if body is None else json.dumps(body).encode()
    sent = {"authorization": "Bearer sk-test", **(headers or {})}
    if body is not None:
        sent["content-type"] = "application/json"
    connection = http.client.HTTPConnection(origin.hostname, origin.port, timeout=30)
    try:
        connection.request(method, origin.path.rstrip("/") + path, body=raw or None, headers=sent)
        answer = connection.getresponse()
        data = answer.read()
        return Exchange(
            method,
            path,
            raw,
            answer.status,
            answer.getheader("content-type", ""),
            answer.getheader("x-request-id", ""),
            data,
        )
    finally:
        connection.close()


def sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body into ``(event name, data)`` pairs; every block has both lines."""
    out: list[tuple[str, dict[str, Any]]] = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        name, data = block.split("\n")
        assert name.startswith("event: ") and data.startswith("data: "), block
        out.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out
