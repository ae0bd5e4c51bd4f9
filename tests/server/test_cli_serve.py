"""``cua-replay serve`` and ``cua-replay scenarios`` as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.server.runner import bind

runner = CliRunner()
CLI = [sys.executable, "-m", "cua_replay"]


def test_scenarios_lists_every_builtin() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert {"demo", "form", "new_tab", "injection", "sensitive", "drag", "scroll"} <= set(names)


def test_serve_refuses_an_unknown_scenario_with_the_list() -> None:
    result = runner.invoke(app, ["serve", "--scenario", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("ScenarioError: No scenario named 'nope'")
    assert "demo" in result.output and "Traceback" not in result.output


def test_serve_refuses_a_busy_port() -> None:
    taken = bind()
    try:
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    finally:
        taken.close()
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output


def test_serve_prints_the_three_urls_and_answers_the_sdk(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [*CLI, "serve", "--scenario", "form", "--api-key", "sk-right"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(5)]
            text = "".join(lines)
            base = re.search(r"OpenAI\s+base_url=(http://127\.0\.0\.1:\d+/v1)", text)
            assert base, text
            port = base.group(1).split(":")[2].split("/")[0]
            assert f"azure_endpoint=http://127.0.0.1:{port} " in text
            assert f"base_url=http://127.0.0.1:{port}/openai/v1/" in text
            client = OpenAI(base_url=base.group(1), api_key="sk-right", max_retries=0)
            response = client.responses.create(
                model="computer-use-preview",
                tools=[
                    {
                        "type": "computer_use_preview",
                        "display_width": 1024,
                        "display_height": 768,
                        "environment": "browser",
                    }
                ],
                truncation="auto",
                input="Order a blue mug for Grace Hopper",
            )
            assert response.output[-1].type == "computer_call"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.fake_scenario("drag", api_key="sk-fixture")
def test_the_pytest_fixture_serves_the_marked_scenario(fake_responses_server: object) -> None:
    from cua_replay.server import FakeResponsesServer

    assert isinstance(fake_responses_server, FakeResponsesServer)
    assert fake_responses_server.app.brain.name == "drag"
    client = OpenAI(
        base_url=fake_responses_server.urls.openai_base_url, api_key="sk-fixture", max_retries=0
    )
    response = client.responses.create(
        model="gpt-5.4", tools=[{"type": "computer"}], input="Drag the blue box"
    )
    assert response.output[-1].actions[0].type == "drag"
