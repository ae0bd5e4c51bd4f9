"""The seeds' own loops recorded through ``cua-replay proxy``, then replayed with no upstream.

The upstream is ``cua-replay serve --scenario ...`` in a subprocess (stopped
before any replay); the loops are the copies test_seed_loops.py runs, pointed
at the proxy the way each is configured (seed 001: its Azure v1 base URL
variable and an Entra ID token; seed 003: ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``). Each recording verifies clean with the client's credential
as a secret, replays to the end, and a changed screenshot (another start page)
fails the replay at the first step that sends one, with the 400
``cassette_mismatch`` naming the step and the field. The loops print their own
errors, so the tests read the proxy's account of what it answered.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from cua_replay.cassette import load_cassette
from cua_replay.errors import ReplayMismatch
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import load_scenario
from tests.proxy.upstream import serve, verified_clean
from tests.seeds.test_seed_loops import SEED_001, SEED_003, fresh_import

pytestmark = pytest.mark.browser

INJECTION = load_scenario("injection")
FORM = load_scenario("form")
OTHER_PAGE = "https://shop.example/"
"""Another page of the fixture site: another first screenshot."""
ENTRA_TOKEN = "fake-entra-id-token"
"""What seed 001's stubbed token provider returns; sent as ``Authorization: Bearer``."""
OPENAI_KEY = "sk-seed-003-canary-9d1e4f7a2c"
APPROVED = [INJECTION.task, "y", "exit"]
"""Seed 001's prompts answered: the task, yes to the safety check, then exit."""


def run_seed_001(base_url: str, start_url: str, answers: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        replies = iter(answers)
        patch.setattr(builtins, "input", lambda prompt="": next(replies))
        patch.setenv("SEED_001_BASE_URL", base_url)
        patch.setenv("SEED_001_START_URL", start_url)
        seed = fresh_import(SEED_001, patch)
        asyncio.run(seed.main())
        assert seed.SITE.blocked == []


def run_seed_003(base_url: str, start_url: str) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_BASE_URL", base_url)
        patch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        seed = fresh_import(SEED_003, patch)
        _, result, site = seed.main(
            start_url, FORM.task, inspect=lambda page: page.text_content("#result")
        )
    assert site.blocked == []
    return result


def final_message(directory: Path) -> str:
    last = load_cassette(directory).steps[-1].response or {}
    return "".join(
        part.get("text", "")
        for item in last.get("output") or []
        if item.get("type") == "message"
        for part in item.get("content") or []
    )


@pytest.fixture(scope="module")
def seed_001(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("seed-001")
    directory = tmp / "injection"
    with (
        serve(INJECTION.name, tmp) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream)) as proxy,
    ):
        run_seed_001(proxy.urls.azure_v1_base_url, INJECTION.start_url, APPROVED)
    assert final_message(directory) == INJECTION.turns[-1].message
    yield directory


@pytest.fixture(scope="module")
def seed_003(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("seed-003")
    directory = tmp / "form"
    with (
        serve(FORM.name, tmp) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream)) as proxy,
    ):
        assert run_seed_003(proxy.urls.openai_base_url, FORM.start_url) == FORM.done.text["#result"]
    assert final_message(directory) == FORM.turns[-1].message
    yield directory


def replayed(directory: Path, run: Any) -> ProxyApp:
    """``run(proxy)`` against a replaying proxy; the app, for what it answered."""
    app = ProxyApp(directory, "none")
    with ProxyServer(app) as proxy:
        run(proxy)
    return app


def assert_replayed_to_the_end(app: ProxyApp, directory: Path) -> None:
    assert app.replayer is not None and not app.replayer.failures
    served = [s.step for s in app.replayer.served if s.status == 200]
    assert served == list(range(1, len(load_cassette(directory)) + 1))


def assert_mismatch_at(app: ProxyApp, step: int, field: str) -> None:
    assert app.replayer is not None and app.replayer.failures
    failure = app.replayer.failures[0]
    assert isinstance(failure, ReplayMismatch)
    assert failure.step == step
    assert failure.differences[0].path.endswith(field), failure
    answered = [s for s in app.replayer.served if s.status == 400]
    assert answered and answered[0].step is None  # the 400 went to the client


def test_seed_001_recording_verifies_clean(seed_001: Path) -> None:
    verified_clean(seed_001, ENTRA_TOKEN)


def test_seed_001_replays_to_the_end(seed_001: Path) -> None:
    app = replayed(
        seed_001,
        lambda proxy: run_seed_001(proxy.urls.azure_v1_base_url, INJECTION.start_url, APPROVED),
    )
    assert_replayed_to_the_end(app, seed_001)


def test_seed_001_from_another_page_fails_at_step_one(seed_001: Path) -> None:
    app = replayed(
        seed_001,
        lambda proxy: run_seed_001(
            proxy.urls.azure_v1_base_url, OTHER_PAGE, [INJECTION.task, "exit"]
        ),
    )
    assert_mismatch_at(app, 1, "image_url")


def test_seed_003_recording_verifies_clean(seed_003: Path) -> None:
    verified_clean(seed_003, OPENAI_KEY)


def test_seed_003_replays_to_the_end(seed_003: Path) -> None:
    results: list[Any] = []

    def run(proxy: ProxyServer) -> None:
        results.append(run_seed_003(proxy.urls.openai_base_url, FORM.start_url))

    app = replayed(seed_003, run)
    assert results == [FORM.done.text["#result"]]
    assert_replayed_to_the_end(app, seed_003)


def test_seed_003_from_another_page_fails_at_step_two(seed_003: Path) -> None:
    """The guide's first request has no screenshot; its second carries the first one."""

    def run(proxy: ProxyServer) -> None:
        try:
            run_seed_003(proxy.urls.openai_base_url, OTHER_PAGE)
        except openai.BadRequestError as error:
            assert isinstance(error.body, dict) and error.body["code"] == "cassette_mismatch"
            assert "step 2" in error.body["message"]

    app = replayed(seed_003, run)
    assert_mismatch_at(app, 2, "image_url")
