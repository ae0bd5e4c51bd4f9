"""A live run against the real service: skipped unless credentials are set.

Reads ``CUA_REPLAY_LIVE_OPENAI_API_KEY`` (not ``OPENAI_API_KEY``, which every
other test clears so no test can spend money by accident) and runs the form
task on the fixture site with the real model. Network access is allowed for
this test only.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from cua_replay.cassette import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.netguard import loopback_only
from cua_replay.rerun import replay_cassette
from cua_replay.run import RunOptions, run_task
from cua_replay.safety import DenyGate
from cua_replay.settings import Settings

LIVE_KEY = os.environ.get("CUA_REPLAY_LIVE_OPENAI_API_KEY")
LIVE_MODEL = os.environ.get("CUA_REPLAY_LIVE_MODEL", "computer-use-preview")

pytestmark = [
    pytest.mark.live,
    pytest.mark.browser,
    pytest.mark.skipif(not LIVE_KEY, reason="set CUA_REPLAY_LIVE_OPENAI_API_KEY to run"),
]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["api.openai.com", "127.0.0.1"])
def test_a_live_model_fills_in_the_form() -> None:
    options = RunOptions(
        task="Fill in the order form with the name Grace Hopper, tick gift wrap and submit it.",
        start_url="https://shop.example/form.html",
        settings=Settings(model=LIVE_MODEL, api_key=LIVE_KEY, _environ={}),
        max_steps=15,
    )
    outcome = asyncio.run(run_task(options, gate=DenyGate(), environ={}))
    assert outcome.result.stop.steps >= 1
    assert outcome.result.stop.reason.value in {"completed", "max_steps", "safety_denied"}


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["api.openai.com", "127.0.0.1"])
def test_a_live_run_records_and_replays_offline(tmp_path: Path) -> None:
    """The live smoke test of recording: a short real run, recorded, verified, replayed offline."""
    cassette = tmp_path / "live"
    options = RunOptions(
        task="Click the blue mug's 'Add to cart' button, then say what the cart shows.",
        start_url="https://shop.example/",
        settings=Settings(model=LIVE_MODEL, api_key=LIVE_KEY, _environ={}),
        max_steps=6,
        record=cassette,
    )
    outcome = asyncio.run(run_task(options, gate=DenyGate(), environ={}))
    assert outcome.result.stop.steps >= 1
    loaded = load_cassette(cassette)
    assert len(loaded) == outcome.result.stop.steps
    assert loaded.manifest.endpoint.host == "api.openai.com"
    assert all(step.http is not None and step.http.headers.get("x-request-id") for step in loaded)
    report = verify(cassette, environ={}, secrets=(str(LIVE_KEY),))
    assert report.ok, report.findings
    with loopback_only():
        replayed = asyncio.run(replay_cassette(cassette, executor="recorded", environ={}))
    assert replayed.ok and replayed.steps == len(loaded)
