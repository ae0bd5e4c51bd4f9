"""A suite run with a live model: skipped unless credentials are set.

Reads ``CUA_REPLAY_LIVE_OPENAI_API_KEY`` (as tests/live does: every other test
clears ``OPENAI_API_KEY``) and runs the built-in suite's ``form`` task once.
Whether the model passes is its business; the test checks the run was recorded
and judged.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from cua_replay.settings import Settings
from cua_replay.suite.layout import finished, read_manifest
from cua_replay.suite.runner import SuiteRunOptions, run_suite
from cua_replay.suite.spec import load_suite

LIVE_KEY = os.environ.get("CUA_REPLAY_LIVE_OPENAI_API_KEY")
LIVE_MODEL = os.environ.get("CUA_REPLAY_LIVE_MODEL", "computer-use-preview")
BUILTIN = Path(__file__).resolve().parents[2] / "fixtures" / "suites" / "builtin.yaml"

pytestmark = [
    pytest.mark.live,
    pytest.mark.browser,
    pytest.mark.skipif(not LIVE_KEY, reason="set CUA_REPLAY_LIVE_OPENAI_API_KEY to run"),
]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["api.openai.com", "127.0.0.1"])
def test_a_live_model_runs_a_suite_task(tmp_path: Path) -> None:
    environ = {"OPENAI_API_KEY": LIVE_KEY or ""}

    def settings(model: str) -> Settings:
        return Settings(model=model, _environ=environ)

    options = SuiteRunOptions(
        models=(LIVE_MODEL,), trials=1, root=tmp_path, tags=("form",), settings=settings
    )
    suite = load_suite(BUILTIN)
    suite = suite.model_copy(update={"tasks": (suite.task("form"),)})
    records = asyncio.run(run_suite(suite, options, environ=environ))
    assert len(records) == 1 and records[0].error == ""
    assert finished(records[0].directory)
    manifest = read_manifest(records[0].directory)
    assert manifest is not None and manifest.verdict is not None
