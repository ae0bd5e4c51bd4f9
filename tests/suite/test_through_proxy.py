"""A suite run whose model is reached through `cua-replay proxy`, as a team records a
live suite: the suite's own cassettes, and the proxy's one cassette of the traffic.

The upstream is the fake server playing the `form` scenario, so the test is offline;
the suite runs it as a live model (not `--fake`), through the proxy's base URL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cua_replay.cassette.store import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.cassette.view import view
from cua_replay.proxy.app import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer, load_scenario
from cua_replay.server.scenario import builtin_scenarios
from cua_replay.settings import Settings
from cua_replay.suite.layout import finished, read_manifest
from cua_replay.suite.runner import SuiteRunOptions, run_suite
from cua_replay.suite.spec import load_suite

BUILTIN = Path(__file__).resolve().parents[2] / "fixtures" / "suites" / "builtin.yaml"
KEY = "sk-suite-through-proxy-0123456789"

pytestmark = pytest.mark.browser


def test_a_suite_task_recorded_through_the_proxy(tmp_path: Path) -> None:
    form = load_scenario(next(p for p in builtin_scenarios() if p.stem == "form"))
    suite = load_suite(BUILTIN)
    suite = suite.model_copy(update={"tasks": (suite.task("form"),)})
    proxied = tmp_path / "proxied"
    with (
        FakeResponsesServer(form) as upstream,
        ProxyServer(ProxyApp(proxied, "all", upstream=upstream.urls.openai_base_url)) as proxy,
    ):
        environ = {"OPENAI_API_KEY": KEY}

        def settings(model: str) -> Settings:
            return Settings(model=model, base_url=proxy.urls.openai_base_url, _environ=environ)

        options = SuiteRunOptions(
            models=(form.model,), trials=1, root=tmp_path / "runs", settings=settings
        )
        records = asyncio.run(run_suite(suite, options, environ=environ))

    assert [record.error for record in records] == [""]
    run = records[0].directory
    assert finished(run)
    manifest = read_manifest(run)
    assert manifest is not None and manifest.verdict is not None and manifest.verdict.passed
    # The proxy's cassette holds the same conversation, readable like any other.
    cassette = load_cassette(proxied)
    assert len(cassette.steps) == len(load_cassette(run).steps) > 1
    assert verify(proxied, secrets=(KEY,), environ={}).ok
    described = [call for step in view(cassette).steps for call in step.calls]
    assert described, "the proxy's cassette shows no actions"
