"""``cua-replay proxy`` as a user runs it: record with Ctrl+C to finish, then replay."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.cli.main import app
from cua_replay.server import FakeResponsesServer
from tests.proxy.conftest import KEY, SCENARIO, Driver, run_toolset

CLI = [sys.executable, "-m", "cua_replay", "proxy"]


@contextmanager
def proxy_process(*args: str) -> Iterator[tuple[list[str], str]]:
    """The proxy in a subprocess: its stderr (filled at exit) and the OpenAI base URL it printed.

    Ctrl+C on the way out, as a user stops it.
    """
    stderr: list[str] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            text = "".join(process.stdout.readline() for _ in range(5))
            found = re.search(r"OpenAI\s+base_url=(http://127\.0\.0\.1:\d+/v1)", text)
            assert found, text
            assert "azure_endpoint=http://127.0.0.1:" in text
            assert "/openai/v1/" in text
            yield stderr, found.group(1)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
            assert process.stderr is not None
            stderr.append(process.stderr.read())


def test_record_then_replay_from_the_command_line(tmp_path: Path) -> None:
    cassette = tmp_path / "form"
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        proxy_process(
            "--cassette", str(cassette), "--record-mode", "once",
            "--upstream", upstream.urls.openai_base_url,
        ) as (_, base_url),
    ):  # fmt: skip
        response = run_toolset(base_url, Driver())
    assert response.output_text == SCENARIO.turns[-1].message
    assert load_cassette(cassette).complete, "Ctrl+C must finish the recording"
    report = verify(cassette, environ={}, secrets=[KEY])
    assert report.ok, [str(f) for f in report.findings]

    with proxy_process("--cassette", str(cassette)) as (stderr, base_url):
        response = run_toolset(base_url, Driver())
    assert response.output_text == SCENARIO.turns[-1].message
    assert "Traceback" not in stderr[0], stderr[0]


def test_replay_only_without_a_cassette_says_how_to_record(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["proxy", "--cassette", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "--record-mode once" in result.output


def test_the_help_says_what_new_records() -> None:
    result = CliRunner().invoke(app, ["proxy", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    assert "new: replay each conversation as far as it is recorded and record the rest" in text
    assert "concurrent conversations are kept apart" in text


def test_new_from_the_command_line_adds_what_was_not_recorded(tmp_path: Path) -> None:
    cassette = tmp_path / "form"
    other = f"{SCENARIO.task} Use the keyboard only."
    with FakeResponsesServer(SCENARIO) as upstream:
        record = ["--cassette", str(cassette), "--upstream", upstream.urls.openai_base_url]
        with proxy_process(*record, "--record-mode", "once") as (_, base_url):
            run_toolset(base_url, Driver())
        with proxy_process(*record, "--record-mode", "new") as (stderr, base_url):
            run_toolset(base_url, Driver())
            run_toolset(base_url, Driver(), task=other)
    assert len(load_cassette(cassette)) == 2 * len(SCENARIO.turns)
    assert "Traceback" not in stderr[0], stderr[0]
    with proxy_process("--cassette", str(cassette)) as (_, base_url):
        assert run_toolset(base_url, Driver(), task=other).output_text
