"""The ``cua_cassette`` pytest fixture, end to end: pytest runs a user's test file in a subprocess.

The user's test drives the real loop engine with the real SDK; when recording,
its "live" model is a fake Responses server on loopback, and its executor is a
tiny in-memory one (the fixture is about the model traffic; the browser
executor is covered by the replay tests). Each mode is a separate pytest run
over the same directory, as a user would do it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_TESTS = textwrap.dedent(
    '''
    import asyncio, io, os, socket

    import pytest
    from openai import AsyncOpenAI
    from PIL import Image

    from cua_replay.backends import SDKBackend
    from cua_replay.loop import Loop, LoopConfig
    from cua_replay.safety import DenyGate
    from cua_replay.server import FakeResponsesServer, Scenario

    TASK = os.environ.get("USER_TASK", "Look around the page three times.")
    SCENARIO = Scenario.model_validate({
        "name": "look", "task": "Look around", "start_url": "https://shop.example/",
        "turns": [
            {"actions": [{"type": "move", "x": 10 * n, "y": 20}]} for n in range(1, 4)
        ] + [{"message": "Looked three times."}],
    })


    class Screens:
        """An executor under test: in-memory pages, one colour per step."""

        def __init__(self):
            self.n = 0
            self.current_url = "https://shop.example/"

        async def execute(self, action):
            self.n += 1

        async def screenshot(self):
            out = io.BytesIO()
            Image.new("RGB", (64, 48), (40 * self.n % 256, 90, 160)).save(out, "PNG")
            return out.getvalue()


    def live():
        server = FakeResponsesServer(SCENARIO).start()
        return SDKBackend(AsyncOpenAI(base_url=server.urls.openai_base_url, api_key="sk-x"))


    def run(cua_cassette):
        config = LoopConfig(model="computer-use-preview", display=(64, 48))
        loop = Loop(cua_cassette.backend(live), Screens(), DenyGate(), config,
                    listeners=cua_cassette.listeners)
        result = asyncio.run(loop.run(TASK))
        assert result.final_message == "Looked three times.", result.stop
        return cua_cassette.check(result)


    @pytest.mark.parametrize("n", [1, 2, 3, 4])
    def test_look(cua_cassette, n, tmp_path_factory):
        run(cua_cassette)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(os.path.join(os.path.dirname(__file__), "workers.txt"), "a") as out:
            out.write(worker + "\\n")


    def test_reaches_out(cua_cassette):
        run(cua_cassette)
        if cua_cassette.replaying:
            socket.create_connection(("example.com", 80), timeout=1)
    '''
)


def pytest_run(
    where: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *args,
        ],
        cwd=where,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("user_project")
    (where / "test_user.py").write_text(USER_TESTS)
    return where


def test_none_mode_fails_without_a_cassette(project: Path) -> None:
    done = pytest_run(project, "-k", "test_look and 1")
    assert done.returncode == 1, done.stdout
    assert "No cassette at" in done.stdout
    assert "--cua-record-mode=once" in done.stdout


def test_record_once_then_replay_offline(project: Path) -> None:
    recorded = pytest_run(project, "--cua-record-mode=once")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    cassettes = sorted(p.name for p in (project / "cassettes" / "test_user").iterdir())
    assert cassettes == [
        "test_look[1]",
        "test_look[2]",
        "test_look[3]",
        "test_look[4]",
        "test_reaches_out",
    ]
    replayed = pytest_run(project, "-k", "test_look")
    assert replayed.returncode == 0, replayed.stdout
    assert "4 passed" in replayed.stdout


def test_replay_blocks_the_network(project: Path) -> None:
    done = pytest_run(project, "-k", "reaches_out")
    assert done.returncode == 1, done.stdout
    assert "Network access to 'example.com' is blocked" in done.stdout


def test_divergence_fails_naming_the_step(project: Path) -> None:
    done = pytest_run(project, "-k", "test_look and 2", env={"USER_TASK": "Something else."})
    assert done.returncode == 1, done.stdout
    assert "diverged at step 1 (request)" in done.stdout
    assert "Something else." in done.stdout


def test_replays_run_in_parallel_under_xdist(project: Path) -> None:
    (project / "workers.txt").unlink(missing_ok=True)
    done = pytest_run(project, "-n", "2", "-k", "test_look")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    workers = (project / "workers.txt").read_text().split()
    assert len(workers) == 4 and set(workers) == {"gw0", "gw1"}


def test_all_rerecords_and_new_extends_a_cut_recording(project: Path) -> None:
    cassette = project / "cassettes" / "test_user" / "test_look[3]"
    log = cassette / "steps.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]))  # a recording cut after two steps, no stop line
    assert pytest_run(project, "-k", "test_look and 3").returncode == 1
    extended = pytest_run(project, "-k", "test_look and 3", "--cua-record-mode=new")
    assert extended.returncode == 0, extended.stdout + extended.stderr
    assert len(log.read_text().splitlines()) == len(lines)
    assert pytest_run(project, "-k", "test_look and 3").returncode == 0
    before = (cassette / "run.json").read_text()
    again = pytest_run(project, "-k", "test_look and 3", "--cua-record-mode=all")
    assert again.returncode == 0, again.stdout
    assert (cassette / "run.json").read_text() != before
