"""Bodies in the real service's exact shape record, verify, show and diff.

The fake server's answers go through an ASGI middleware (:class:`RealShape`) that
rewrites every response object into what the service sends today: the dated
snapshot ``computer-use-preview-2025-03-11`` as ``model`` and, in streams, as
``tools[].type``; ``service_tier``, ``background``, ``max_tool_calls``,
``prompt_cache_key``, ``safety_identifier``, ``top_logprobs``,
``text.verbosity``, ``tool_choice: null`` and Azure's ``content_filters``. The
app runs on uvicorn over loopback; a chained preview-tool loop with the real
``openai`` SDK streams it (events with ``sequence_number``) through
``recording_client``. Both fake "model versions" are recorded, and the CLI
verifies, shows and diffs them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cli.main import app
from cua_replay.record import Recorder, new_manifest, recording_client
from cua_replay.replay import replay_client
from cua_replay.server import FakeResponsesApp, Scenario, load_scenario
from cua_replay.server.runner import BackgroundServer, _PromptServer, uvicorn_config
from tests.server.images import data_url, png

from .checks import (
    V1,
    V2,
    assert_diff_finds_the_planted_changes,
    assert_self_diff_is_same,
    assert_shows,
    scripted,
    without_url_expectations,
)

SNAPSHOT = "computer-use-preview-2025-03-11"
CONTENT_FILTERS = [
    {
        "blocked": False,
        "source_type": "completion",
        "content_filter_results": {
            "hate": {"filtered": False, "severity": "safe"},
            "self_harm": {"filtered": False, "severity": "safe"},
            "sexual": {"filtered": False, "severity": "safe"},
            "violence": {"filtered": False, "severity": "safe"},
        },
        "content_filter_offsets": {"start_offset": 0, "end_offset": 12, "check_offset": 0},
    }
]
SCREEN = data_url(png(8, 6))
TOOLS: list[Any] = [
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    }
]


def real(response: dict[str, Any], *, streamed: bool) -> dict[str, Any]:
    """``response`` as the service shapes it."""
    tools = response.get("tools") or []
    if streamed:
        tools = [
            {**tool, "type": SNAPSHOT} if tool.get("type") == "computer_use_preview" else tool
            for tool in tools
        ]
    return {
        **response,
        "model": SNAPSHOT,
        "tools": tools,
        "tool_choice": None,
        "service_tier": "default",
        "background": False,
        "max_tool_calls": None,
        "prompt_cache_key": None,
        "safety_identifier": None,
        "top_logprobs": 0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "content_filters": CONTENT_FILTERS,
    }


def real_event(event: bytes) -> bytes:
    lines = event.split(b"\n")
    for number, line in enumerate(lines):
        if line.startswith(b"data: "):
            data = json.loads(line[6:])
            assert "sequence_number" in data, data
            if isinstance(data.get("response"), dict):
                data["response"] = real(data["response"], streamed=True)
            lines[number] = b"data: " + json.dumps(data).encode()
    return b"\n".join(lines)


class RealShape:
    """ASGI middleware: the wrapped app's response objects, in the real service's shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.streams = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        pending = b""

        async def rewrite(message: Message) -> None:
            nonlocal pending
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
                start.update(message, headers=headers)
                start["sse"] = any(
                    k.lower() == b"content-type" and v.startswith(b"text/event-stream")
                    for k, v in headers
                )
                if start["sse"]:
                    self.streams += 1
                    await send({k: v for k, v in start.items() if k != "sse"})
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            pending += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if start["sse"]:
                *events, pending = pending.split(b"\n\n")
                body = b"".join(real_event(event) + b"\n\n" for event in events)
                if body or not more:
                    await send({"type": "http.response.body", "body": body, "more_body": more})
                return
            if more:
                return
            data = json.loads(pending) if pending else None
            if isinstance(data, dict) and data.get("object") == "response":
                pending = json.dumps(real(data, streamed=False)).encode()
            headers = [*start["headers"], (b"content-length", str(len(pending)).encode())]
            await send(
                {"type": "http.response.start", "status": start["status"], "headers": headers}
            )
            await send({"type": "http.response.body", "body": pending})

        await self.app(scope, receive, rewrite)


def loop(client: OpenAI, task: str) -> str:
    """A chained preview-tool loop that streams every response."""

    def create(**params: Any) -> Any:
        stream = client.responses.create(
            model="computer-use-preview", tools=TOOLS, truncation="auto", stream=True, **params
        )
        events = list(stream)
        numbers = [event.sequence_number for event in events]
        assert numbers == list(range(len(events))), numbers
        return events[-1].response

    response = create(input=task)
    assert response.model == SNAPSHOT and response.service_tier == "default"
    while calls := [item for item in response.output if item.type == "computer_call"]:
        outputs: list[Any] = [
            {
                "type": "computer_call_output",
                "call_id": call.call_id,
                "output": {"type": "computer_screenshot", "image_url": SCREEN},
                "acknowledged_safety_checks": [
                    check.model_dump() for check in call.pending_safety_checks
                ],
            }
            for call in calls
        ]
        response = create(previous_response_id=response.id, input=outputs)
    return str(response.output_text)


def record(directory: Path, scenario: Scenario) -> Path:
    shaped = RealShape(FakeResponsesApp(scenario))
    recorder = Recorder.open(directory, new_manifest(task=scenario.task), environ={})
    with BackgroundServer(_PromptServer(uvicorn_config(shaped)), host="127.0.0.1", port=0) as srv:
        http = recording_client(recorder.exchange)
        with OpenAI(base_url=srv.urls.openai_base_url, api_key="sk-test", http_client=http) as c:
            assert loop(c, scenario.task) == scenario.turns[-1].message
    recorder.close()
    assert shaped.streams == len(load_cassette(directory).steps) > 0
    return directory


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("real-shape")
    return (
        record(root / "v1", without_url_expectations(load_scenario(V1))),
        record(root / "v2", without_url_expectations(load_scenario(V2))),
    )


def test_the_cassette_keeps_the_real_shape_and_verifies(runs: tuple[Path, Path]) -> None:
    steps = (runs[0] / "steps.jsonl").read_text()
    for needle in (SNAPSHOT, "content_filters", "service_tier", "sequence_number"):
        assert needle in steps, needle
    for directory in runs:
        result = CliRunner().invoke(app, ["verify", str(directory)])
        assert result.exit_code == 0, result.output


def test_show_lists_every_action(runs: tuple[Path, Path]) -> None:
    assert_shows(runs[0], scripted(load_scenario(V1)))
    assert_shows(runs[1], scripted(load_scenario(V2)))
    result = CliRunner().invoke(app, ["show", str(runs[0])])
    assert result.exit_code == 0, result.output


def test_diff_finds_the_planted_differences(runs: tuple[Path, Path]) -> None:
    assert_diff_finds_the_planted_changes(*runs)
    assert_self_diff_is_same(runs[0])


def test_the_recording_replays_offline(runs: tuple[Path, Path]) -> None:
    scenario = load_scenario(V2)
    http = replay_client(runs[1])
    with OpenAI(base_url="http://replay.invalid/v1", api_key="unused", http_client=http) as c:
        assert loop(c, scenario.task) == scenario.turns[-1].message
    http.replay.check()
    assert http.replay.finished
