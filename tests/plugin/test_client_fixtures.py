"""The plugin's client fixtures under real clients: pytest runs a user's tests in a subprocess.

The user's tests take ``cua_openai``, ``cua_async_openai``, ``cua_azure_openai``,
``cua_async_azure_openai`` or ``cua_http_client`` and hand it to their own code:
the SDK's ``ComputerToolset`` (sync and async) and the Agents SDK's computer-use
agent (``set_default_openai_client``), each on real Chromium
(``tests/clients``). Their ``conftest.py`` overrides ``cua_client_options``:
recording, each test gets a fresh fake server and passes its base URL (or Azure
endpoint); replaying, nothing, so the clients point at the real service with no
key, and the replay must not need either.

The scenario is "model version 2" (an acknowledged ``malicious_instructions``
check) with a 429 on its third turn, so the recorded runs carry an
acknowledgement and a retry, and the replays must send the one and make the
other as recorded.

``--cua-record-mode new`` has a project of its own (:data:`NEW_TESTS`): the
SDK's ``ComputerToolset``, sync and async, on a driver that needs no browser,
first cut short by ``max_steps``, then run to the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cli.main import app
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.clients.checks import V2, scripted, shown, without_url_expectations

pytest.importorskip("agents")
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-canary-fixtures-0123456789abcdef"

CONFTEST = textwrap.dedent(
    '''
    import os

    import pytest

    from cua_replay.server import FakeResponsesServer, load_scenario


    @pytest.fixture
    def cua_client_options(request):
        """Recording: a fake server for this test, its URL passed to the client."""
        if os.environ.get("RECORDING") != "1":
            return {}
        server = FakeResponsesServer(load_scenario(os.environ["SCENARIO"])).start()
        request.addfinalizer(server.stop)
        if "azure" in request.node.name:
            return {
                "azure_endpoint": server.urls.azure_endpoint,
                "api_version": "2025-04-01-preview",
                "api_key": os.environ["FAKE_KEY"],
            }
        return {"base_url": server.urls.openai_base_url, "api_key": os.environ["FAKE_KEY"]}
    '''
)

USER_TESTS = textwrap.dedent(
    """
    import asyncio
    import os
    import socket

    import pytest
    from openai import OpenAI

    from cua_replay.server import load_scenario
    from tests.clients.agents_computer import run_agent
    from tests.clients.toolset_runs import toolset_async, toolset_sync

    SCENARIO = load_scenario(os.environ["SCENARIO"])
    FINAL = SCENARIO.turns[-1].message
    STYLE = os.environ.get("PAGE_STYLE")


    def test_toolset(cua_openai):
        assert toolset_sync(SCENARIO, cua_openai, style=STYLE).message == FINAL


    def test_toolset_async(cua_async_openai):
        async def run():
            async with cua_async_openai as client:
                return await toolset_async(SCENARIO, client)

        assert asyncio.run(run()).message == FINAL


    def test_agents_sdk(cua_async_openai):
        async def run():
            async with cua_async_openai as client:
                return await run_agent(
                    client, model="computer-use-preview", task=SCENARIO.task,
                    start_url=SCENARIO.start_url,
                )

        assert asyncio.run(run()).final_output == FINAL


    def test_azure_toolset(cua_azure_openai):
        assert toolset_sync(SCENARIO, cua_azure_openai).message == FINAL


    def test_async_azure_toolset(cua_async_azure_openai):
        async def run():
            async with cua_async_azure_openai as client:
                return await toolset_async(SCENARIO, client)

        assert asyncio.run(run()).message == FINAL


    def test_http_client(cua_http_client, cua_client_options):
        options = {"api_key": "unused", **cua_client_options}
        with OpenAI(http_client=cua_http_client, **options) as client:
            assert toolset_sync(SCENARIO, client).message == FINAL


    def test_two_questions(cua_openai):
        tool = {"type": "computer_use_preview", "display_width": 1024, "display_height": 768,
                "environment": "browser"}
        for _ in range(1 if os.environ.get("STOP_EARLY") else 2):
            cua_openai.responses.create(
                model="computer-use-preview", input=SCENARIO.task, tools=[tool],
                truncation="auto",
            )


    def test_replay_is_offline(cua_http_client):
        if os.environ.get("RECORDING") == "1":
            pytest.skip("only a replay blocks the network")
        with pytest.raises(OSError, match="blocked"):
            socket.create_connection(("example.com", 80), timeout=1)
    """
)

TESTS = [
    "test_toolset",
    "test_toolset_async",
    "test_agents_sdk",
    "test_azure_toolset",
    "test_async_azure_toolset",
    "test_http_client",
]


def scenario_with_a_retry() -> Scenario:
    data = without_url_expectations(load_scenario(V2)).model_dump(mode="json")
    data["turns"][2]["fault"] = {"kind": "http", "status": 429, "retry_after": 0}
    return Scenario.model_validate(data)


def pytest_run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest on the user's project, with no credential in the environment."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "AZURE_OPENAI_"))
    }
    path = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    environ.update(env, PYTHONPATH=path, OPENAI_AGENTS_DISABLE_TRACING="1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        env=environ,
        timeout=600,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's project, recorded once (``--cua-record-mode=once``) against fake servers."""
    where = tmp_path_factory.mktemp("client_fixtures")
    (where / "conftest.py").write_text(CONFTEST)
    (where / "test_user.py").write_text(USER_TESTS)
    scenario = where / "scenario.json"
    scenario.write_text(json.dumps(scenario_with_a_retry().model_dump(mode="json")))
    done = pytest_run(
        where, "--cua-record-mode=once", RECORDING="1", SCENARIO=str(scenario), FAKE_KEY=KEY
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return where


def cassette(project: Path, test: str) -> Path:
    return project / "cassettes" / "test_user" / test


def test_every_client_records_its_run_with_the_retry_and_the_acknowledgement(
    project: Path,
) -> None:
    for test in TESTS:
        directory = cassette(project, test)
        rows = shown(directory)
        assert [action for row in rows for action in row["actions"]] == scripted(
            load_scenario(V2)
        ), test
        steps = [json.loads(line) for line in (directory / "steps.jsonl").read_text().splitlines()]
        assert any((step.get("http") or {}).get("attempts") for step in steps), test
        text = "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())
        assert "acknowledged_safety_checks" in text and "malicious_instructions" in text
        assert KEY not in text, test
        assert CliRunner().invoke(app, ["verify", str(directory)]).exit_code == 0, test


def test_every_client_replays_offline_without_credentials(project: Path) -> None:
    done = pytest_run(project, SCENARIO=str(project / "scenario.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(TESTS) + 2} passed" in done.stdout


def test_a_different_screen_fails_naming_the_step_field_and_screenshots(project: Path) -> None:
    done = pytest_run(
        project,
        "-k",
        "test_toolset and not async",
        SCENARIO=str(project / "scenario.json"),
        PAGE_STYLE="body { background: #ff00ff !important; }",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "diverged at step 1 (request)" in done.stdout
    assert "image_url" in done.stdout
    assert "screenshots:" in done.stdout


def test_a_test_that_stops_before_the_recording_fails(project: Path) -> None:
    done = pytest_run(
        project, "-k", "test_two_questions", SCENARIO=str(project / "scenario.json"), STOP_EARLY="1"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "diverged at step 2 (stop): the test sent 1 of the 2 recorded requests" in done.stdout


NEW_CONFTEST = textwrap.dedent(
    """
    import os

    import pytest


    @pytest.fixture
    def cua_client_options():
        \"\"\"With UPSTREAM set (recording), the clients go there.\"\"\"
        if not os.environ.get("UPSTREAM"):
            return {}
        return {"base_url": os.environ["UPSTREAM"], "api_key": os.environ["FAKE_KEY"]}
    """
)

NEW_TESTS = textwrap.dedent(
    """
    import asyncio
    import os

    import pytest
    from openai.lib.computer import AsyncComputerToolset, ComputerToolset, ComputerUseError

    from cua_replay.server import load_scenario
    from tests.server.images import data_url, png

    SCENARIO = load_scenario("form")
    MAX_STEPS = int(os.environ.get("MAX_STEPS", "20"))
    PARAMS = {"model": "gpt-5.4", "input": SCENARIO.task, "store": False}
    SCREEN = {"type": "computer_screenshot", "image_url": data_url(png())}


    class Driver:
        def _do(self, action):
            pass

        click = double_click = drag = keypress = move = scroll = type = wait = _do

        def screenshot(self):
            return SCREEN


    class AsyncDriver:
        async def _do(self, action):
            pass

        click = double_click = drag = keypress = move = scroll = type = wait = _do

        async def screenshot(self):
            return SCREEN


    def finished(run):
        if MAX_STEPS < len(SCENARIO.turns):  # cut short: the SDK stops at max_steps
            with pytest.raises(ComputerUseError, match="max_steps"):
                run()
        else:
            assert run().output_text == SCENARIO.turns[-1].message


    def test_toolset(cua_openai):
        finished(lambda: ComputerToolset(Driver()).run(cua_openai, PARAMS, max_steps=MAX_STEPS))


    def test_toolset_async(cua_async_openai):
        async def run():
            async with cua_async_openai as client:
                toolset = AsyncComputerToolset(AsyncDriver())
                return await toolset.run(client, PARAMS, max_steps=MAX_STEPS)

        finished(lambda: asyncio.run(run()))
    """
)

NEW = ["test_toolset", "test_toolset_async"]
CUT = 2
"""Steps the first recording keeps (of the form scenario's four)."""


def steps_of(directory: Path) -> list[dict[str, Any]]:
    return [step.model_dump(mode="json") for step in load_cassette(directory).steps]


def test_new_replays_the_recorded_steps_and_records_the_rest(tmp_path: Path) -> None:
    """Cut short, then run whole under ``new``: the recorded steps replay, the rest is added.

    The first run, under ``new`` with no cassette yet, records what it does (two
    steps). The second, the whole run, gets those two from the cassette (its
    fake server sees only the other two) and the cassette grows to four; a
    replay (``none``, offline) then plays all four, and ``new`` again sends
    nothing and changes nothing.
    """
    (tmp_path / "conftest.py").write_text(NEW_CONFTEST)
    (tmp_path / "test_new.py").write_text(NEW_TESTS)
    scenario = load_scenario("form")
    # One upstream for every run, as the service is: it accepts the recorded history
    # (its ids, its encrypted reasoning) and never issues an id twice.
    with FakeResponsesServer(scenario) as upstream:
        live = {"UPSTREAM": upstream.urls.openai_base_url, "FAKE_KEY": KEY}
        log = upstream.state.log

        done = pytest_run(tmp_path, "--cua-record-mode=new", MAX_STEPS=str(CUT), **live)
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(log) == len(NEW) * CUT
        cut = {test: steps_of(cassette_of(tmp_path, test)) for test in NEW}
        assert all(len(steps) == CUT for steps in cut.values())

        sent = len(log)
        done = pytest_run(tmp_path, "--cua-record-mode=new", **live)
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(log) - sent == len(NEW) * (len(scenario.turns) - CUT)
        for test in NEW:
            directory = cassette_of(tmp_path, test)
            steps = steps_of(directory)
            assert [step["step"] for step in steps] == list(range(1, len(scenario.turns) + 1))
            assert steps[:CUT] == cut[test], test  # the recorded steps stay as they were
            assert [a for row in shown(directory) for a in row["actions"]] == scripted(scenario)
            files = [p for p in directory.rglob("*") if p.is_file()]
            assert KEY not in "".join(p.read_text(errors="replace") for p in files), test
            assert CliRunner().invoke(app, ["verify", str(directory)]).exit_code == 0, test
            assert not directory.with_name(f"{test}.recording").exists()

        done = pytest_run(tmp_path)  # none: the whole run from the cassette, network blocked
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{len(NEW)} passed" in done.stdout

        before = {test: (cassette_of(tmp_path, test) / "steps.jsonl").read_bytes() for test in NEW}
        sent = len(log)
        done = pytest_run(tmp_path, "--cua-record-mode=new", **live)
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(log) == sent
        for test in NEW:
            assert (cassette_of(tmp_path, test) / "steps.jsonl").read_bytes() == before[test]


def cassette_of(project: Path, test: str) -> Path:
    return project / "cassettes" / "test_new" / test
