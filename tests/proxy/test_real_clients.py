"""Clients we did not write, recorded through the proxy from ``cua-replay serve``, replayed offline.

The SDK's ``ComputerToolset`` and the Agents SDK's computer-use agent (the
helpers in tests/clients: real Playwright, the offline fixture site) each point
their base URL at a recording proxy whose upstream is ``cua-replay serve`` in a
subprocess. The upstream is stopped; then each recording verifies clean with
the client's key as a secret, replays to the end through a replaying proxy
(the same actions carried out in the browser), and the client given another
task fails at step 1 with the 400 ``cassette_mismatch`` naming the field.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx2
import openai
import pytest

pytest.importorskip("agents")

from openai import AsyncOpenAI

from cua_replay.errors import ReplayMismatch
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import Scenario, load_scenario
from tests.clients.agents_computer import run_agent
from tests.clients.checks import V1, scripted, without_url_expectations
from tests.clients.test_toolset import run_sync
from tests.proxy.upstream import serve, verified_clean

pytestmark = pytest.mark.browser

SCENARIO = without_url_expectations(load_scenario(V1))
"""Neither client sends ``current_url``, so the upstream checks everything else."""
TOOLSET_KEY = "sk-test"
"""The key tests/clients' toolset run sends."""
AGENT_KEY = "sk-agents-canary-0b7c5e9d2a41f6"


def toolset(base_url: str, scenario: Scenario = SCENARIO) -> list[str]:
    ran = run_sync(scenario, httpx2.Client(), base_url)
    assert ran.message == SCENARIO.turns[-1].message
    return ran.done


def agent(base_url: str, task: str = SCENARIO.task) -> str:
    async def run() -> str:
        async with AsyncOpenAI(base_url=base_url, api_key=AGENT_KEY, max_retries=0) as client:
            result = await run_agent(
                client, model="gpt-5.4", task=task, start_url=SCENARIO.start_url
            )
        return str(result.final_output)

    return asyncio.run(run())


@dataclass
class Recordings:
    toolset: Path
    agent: Path


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    """Both clients recorded through the proxy from one ``serve`` subprocess, now stopped."""
    tmp = tmp_path_factory.mktemp("real-clients")
    found = Recordings(tmp / "toolset", tmp / "agent")
    with serve(SCENARIO, tmp) as upstream:
        with ProxyServer(ProxyApp(found.toolset, "once", upstream=upstream)) as proxy:
            assert toolset(proxy.urls.openai_base_url) == scripted(SCENARIO)
        with ProxyServer(ProxyApp(found.agent, "once", upstream=upstream)) as proxy:
            assert agent(proxy.urls.openai_base_url) == SCENARIO.turns[-1].message
    return found


def test_both_recordings_verify_clean_with_the_clients_keys(recordings: Recordings) -> None:
    verified_clean(recordings.toolset, TOOLSET_KEY)
    verified_clean(recordings.agent, AGENT_KEY)


def test_the_toolset_replays_to_the_end(recordings: Recordings) -> None:
    app = ProxyApp(recordings.toolset, "none")
    with ProxyServer(app) as proxy:
        assert toolset(proxy.urls.openai_base_url) == scripted(SCENARIO)
    assert app.replayer is not None and not app.replayer.failures


def test_the_agent_replays_to_the_end(recordings: Recordings) -> None:
    app = ProxyApp(recordings.agent, "none")
    with ProxyServer(app) as proxy:
        assert agent(proxy.urls.openai_base_url) == SCENARIO.turns[-1].message
    assert app.replayer is not None and not app.replayer.failures


def first_failure(app: ProxyApp) -> ReplayMismatch:
    assert app.replayer is not None and app.replayer.failures
    failure = app.replayer.failures[0]
    assert isinstance(failure, ReplayMismatch)
    return failure


def test_another_task_fails_the_toolset_at_step_one(recordings: Recordings) -> None:
    app = ProxyApp(recordings.toolset, "none")
    changed = SCENARIO.model_copy(update={"task": "Buy a hat instead."})
    with ProxyServer(app) as proxy, pytest.raises(openai.BadRequestError) as caught:
        toolset(proxy.urls.openai_base_url, changed)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "cassette_mismatch"
    assert "step 1" in caught.value.body["message"]
    failure = first_failure(app)
    assert failure.step == 1
    assert failure.differences[0].path.startswith("input")
    assert failure.differences[0].path in caught.value.body["message"]


def test_another_task_fails_the_agent_at_step_one(recordings: Recordings) -> None:
    app = ProxyApp(recordings.agent, "none")
    with ProxyServer(app) as proxy, pytest.raises(openai.BadRequestError) as caught:
        agent(proxy.urls.openai_base_url, task="Buy a hat instead.")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "cassette_mismatch"
    assert "step 1" in caught.value.body["message"]
    failure = first_failure(app)
    assert failure.step == 1
    assert failure.differences[0].path.startswith("input")
    assert failure.differences[0].path in caught.value.body["message"]
