"""The cassettes shipped under ``cassettes/`` verify and replay, both ways, offline.

They were recorded by ``tools/record_cassettes.py`` against the fake server and
the fixture site, so they hold no secrets and replay anywhere Chromium runs.
One test also replays through the pytest plugin's ``cua_cassette`` fixture, as
a user's suite would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cua_replay.cassette import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.integrations.pytest_plugin import CassetteFixture
from cua_replay.loop import Loop, LoopConfig
from cua_replay.replay.options import ReplayOptions
from cua_replay.rerun import replay_cassette, run_options

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes"
NAMES = sorted(p.name for p in SHIPPED.iterdir() if (p / "run.json").is_file())


def test_the_expected_cassettes_ship() -> None:
    assert NAMES == ["demo", "drag-stream", "form-full", "injection", "model-v1", "model-v2"]


@pytest.mark.parametrize("name", NAMES)
def test_shipped_cassette_verifies(name: str) -> None:
    report = verify(SHIPPED / name, environ={})
    assert report.ok, report.findings
    cassette = load_cassette(SHIPPED / name)
    assert cassette.complete and cassette.manifest.status == "complete"
    assert all(step.http is not None and step.http.status == 200 for step in cassette)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_cassette_replays_offline(name: str, tmp_path: Path) -> None:
    report = asyncio.run(
        replay_cassette(
            SHIPPED / name,
            executor="recorded",
            options=ReplayOptions(artifacts=tmp_path),
            environ={},
        )
    )
    assert report.ok and report.complete
    assert report.steps == report.recorded_steps == len(load_cassette(SHIPPED / name))


@pytest.mark.parametrize("name", NAMES)
def test_shipped_cassette_replays_in_the_browser(name: str, tmp_path: Path) -> None:
    report = asyncio.run(
        replay_cassette(
            SHIPPED / name,
            executor="browser",
            options=ReplayOptions(artifacts=tmp_path),
            environ={},
        )
    )
    assert report.ok, report.summary()
    assert report.stop.reason == "completed"
    assert not list(tmp_path.iterdir()), "no screenshot differed, so none was written"


@pytest.mark.cua_cassette(path=SHIPPED / "injection")
def test_replay_with_the_plugin_fixture(cua_cassette: CassetteFixture) -> None:
    assert cua_cassette.replaying and cua_cassette.mode == "none"
    cassette = load_cassette(cua_cassette.path)
    options = run_options(cassette)
    config = LoopConfig(
        model=str(options.model),
        tool=options.tool or "computer_use_preview",
        display=options.display or (1024, 768),
        history=options.history,
    )
    loop = Loop(
        cua_cassette.backend(),
        cua_cassette.executor(),
        cua_cassette.recorded_gate,
        config,
        listeners=cua_cassette.listeners,
    )
    result = asyncio.run(loop.run(str(options.task)))
    report = cua_cassette.check(result)
    assert report.ok and report.steps == 3
    assert "ignored a review" in result.final_message
