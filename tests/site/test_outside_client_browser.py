"""A client with none of our routing runs the built-in scenarios, as shipped, on the loopback site.

Each test starts ``cua-replay serve --scenario NAME --site`` as a user does (a
separate process), reads the base URL and start URL it prints, and runs
tests/site/outside_client.py, also as a separate process: the openai SDK and
plain Playwright with its own Chromium, no ``cua_replay`` import and no request
routing. The client must reach the scenario's done state: the final message,
the final page matching ``done.url`` (a fixture URL glob, compared as the fake
server compares ``current_url``) and every ``done.text`` selector's text.
"""

from __future__ import annotations

import ast
import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cua_replay.browser import find_chromium
from cua_replay.server.scenario import load_scenario, url_matches
from tests.scenarios import browser_scenarios

CLIENT = Path(__file__).with_name("outside_client.py")
CLI = [sys.executable, "-m", "cua_replay"]
REPO = Path(__file__).resolve().parents[2]
SCENARIOS = [path.stem for path in browser_scenarios()]


@contextmanager
def cli(*args: str) -> Iterator[str]:
    """Run ``cua-replay ARGS`` until its ``start_url=`` line; yield everything it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            lines: list[str] = []
            while not any("start_url=" in line for line in lines):
                line = process.stdout.readline()
                assert line, f"cua-replay {' '.join(args)} exited early: {''.join(lines)}"
                lines.append(line)
            yield "".join(lines)
        finally:
            process.terminate()
            process.wait(timeout=30)


def printed(text: str, key: str, pattern: str = r"\S+") -> str:
    found = re.search(rf"{key}=({pattern})", text)
    assert found, text
    return found.group(1)


def test_the_client_imports_none_of_our_code() -> None:
    tree = ast.parse(CLIENT.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "cua_replay" not in imported and "tests" not in imported
    assert {"openai", "playwright"} <= imported
    assert ".route(" not in CLIENT.read_text()  # no request routing of any kind


@pytest.mark.browser
@pytest.mark.parametrize("name", SCENARIOS)
def test_an_outside_client_finishes_the_builtin_scenario(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(name)
    with cli("serve", "--scenario", name, "--site") as out:
        base_url = printed(out, "base_url", r"http://127\.0\.0\.1:\d+/v1")
        start_url = printed(out, "start_url")
        start = urlsplit(start_url)
        assert (
            start.scheme == "http"
            and start.hostname == f"{urlsplit(scenario.start_url).hostname}.localhost"
        )
        assert url_matches(start_url, scenario.start_url)
        command = [
            sys.executable,
            str(CLIENT),
            "--base-url", base_url,
            "--start-url", start_url,
            "--task", scenario.task,
            "--tool", scenario.tool,
            "--model", scenario.model,
            "--width", str(scenario.display.width),
            "--height", str(scenario.display.height),
            "--chromium", str(find_chromium().path),
        ]  # fmt: skip
        for selector in scenario.done.text:
            command += ["--check", selector]
        # Its own process, with no PYTHONPATH to this repository.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        ran = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result["routed"] is False  # cua_replay was never imported in the client
    assert result["message"] == scenario.turns[-1].message
    flavour = "ga" if scenario.tool == "computer" else "preview"
    assert result["calls"] == len(scenario.steps(flavour)) - 1  # every step but the message
    assert urlsplit(result["url"]).hostname.endswith(".localhost")
    assert url_matches(result["url"], scenario.done.url or "*"), result["url"]
    for selector, text in scenario.done.text.items():
        assert text in (result["texts"][selector] or ""), (selector, result["texts"])


def test_the_site_command_serves_the_site_alone_and_prints_the_start_page() -> None:
    with cli("site", "--scenario", "sensitive") as out:
        start_url = printed(out, "start_url")
        start = urlsplit(start_url)
        assert start.hostname == "shop.example.localhost"
        assert f"http://bank.example.localhost:{start.port}/" in out
        connection = http.client.HTTPConnection("127.0.0.1", start.port, timeout=30)
        connection.request("GET", start.path, headers={"Host": start.netloc})
        reply = connection.getresponse()
        body = reply.read().decode()
        connection.close()
    assert reply.status == 200
    assert f'href="http://bank.example.localhost:{start.port}/pay.html"' in body
