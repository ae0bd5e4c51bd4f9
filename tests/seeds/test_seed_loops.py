"""The seeds' own sample loops, barely adapted, finish their scenarios on the fake server.

* Seed 001 (Azure OpenAI docs, complete async Playwright script):
  tests/seeds/azure_playwright_loop.py plays ``injection``: a screenshot, then a
  click that raises ``malicious_instructions``, which the script's own
  ``input()`` prompt asks about and the test approves with ``y``, then the final
  message. Its ``ITERATIONS = 5`` cap is above the scenario's 2 computer calls.
* Seed 003 (OpenAI guide, sync Playwright): tests/seeds/openai_guide_loop.py
  plays ``form``: 6 computer calls (the preview tool sends a turn's actions one
  per response), no ``current_url`` expectations (the guide's loop sends none)
  and no safety checks (the guide's loop cannot acknowledge any).

Each copy says what was changed and why. The loops catch and print their own
errors, so the tests judge by what the server saw (every request 200, the
conversation reached its final message) and by the page.
"""

from __future__ import annotations

import asyncio
import builtins
import importlib
import sys
from fnmatch import fnmatchcase
from types import ModuleType
from typing import Any

import pytest

from cua_replay.server import FakeResponsesServer, load_scenario
from tests.fakes import Arrival, record_arrivals

SEED_001 = "tests.seeds.azure_playwright_loop"
SEED_003 = "tests.seeds.openai_guide_loop"
TASK_PROMPT = "Enter a task to perform (or 'exit' to quit): "
SAFETY_PROMPT = "\nDo you want to proceed? (y/n): "


def fresh_import(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``name`` anew: both copies read their configuration when imported."""
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Arrival]:
    """Every HTTP request the fake servers of this test receive."""
    return record_arrivals(monkeypatch)


def assert_no_api_errors(server: FakeResponsesServer, count: int) -> None:
    log = server.state.log
    assert [(r.method, r.status, r.code) for r in log] == [("POST", 200, None)] * count, log


@pytest.mark.browser
def test_seed_001_azure_playwright_script(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent: list[Arrival],
) -> None:
    scenario = load_scenario("injection")
    prompts: list[str] = []
    answers = iter([scenario.task, "y", "exit"])

    def answer(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", answer)

    with FakeResponsesServer("injection") as server:
        monkeypatch.setenv("SEED_001_BASE_URL", server.urls.azure_v1_base_url)
        monkeypatch.setenv("SEED_001_START_URL", scenario.start_url)
        seed = fresh_import(SEED_001, monkeypatch)

        # Read the page once the script's loop is done, before its `finally` closes the browser.
        page_after: dict[str, Any] = {}
        process = seed.process_model_response

        async def then_read_page(client: Any, response: Any, page: Any, **kwargs: Any) -> None:
            await process(client, response, page, **kwargs)
            page_after["url"] = page.url
            page_after["cart"] = await page.text_content("#cart")

        monkeypatch.setattr(seed, "process_model_response", then_read_page)
        asyncio.run(seed.main())

    out = capsys.readouterr().out
    # Zero API errors, and the conversation reached the scenario's final message.
    assert_no_api_errors(server, 3)
    assert len(server.state.finished) == 1
    assert "Error" not in out and "error occurred" not in out, out
    # The interactive safety prompt was asked once, about the injection, and answered "y".
    assert prompts == [TASK_PROMPT, SAFETY_PROMPT, TASK_PROMPT]
    assert "- malicious_instructions: We've detected instructions" in out
    assert "Operation cancelled by user." not in out
    # Azure v1 wire: /openai/v1/responses?api-version=preview with an Entra ID bearer token.
    assert {r.path for r in server.state.log} == {"/openai/v1/responses"}
    assert len(sent) == 3
    for request in sent:
        assert (request.method, request.path) == ("POST", "/openai/v1/responses")
        assert request.query == {"api-version": ["preview"]}
        assert request.headers["authorization"] == "Bearer fake-entra-id-token"
        assert "api-key" not in request.headers
    # The click really happened on the fixture page, and nothing left the fixture site.
    assert fnmatchcase(page_after["url"], scenario.done.url or "*")
    assert page_after["cart"] == scenario.done.text["#cart"]
    assert seed.SITE.blocked == []


@pytest.mark.browser
def test_seed_003_openai_guide_loop(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent: list[Arrival],
) -> None:
    scenario = load_scenario("form")
    with FakeResponsesServer("form") as server:
        # How the guide's bare `OpenAI()` is configured: the environment.
        monkeypatch.setenv("OPENAI_BASE_URL", server.urls.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cua-replay-fake")
        seed = fresh_import(SEED_003, monkeypatch)
        response, result, site = seed.main(
            scenario.start_url, scenario.task, inspect=lambda page: page.text_content("#result")
        )

    out = capsys.readouterr().out
    calls = sum(len(turn.actions) for turn in scenario.turns)
    assert calls == 6
    assert_no_api_errors(server, calls + 1)
    assert server.state.finished == [response.id]
    assert [item.type for item in response.output] == ["message"]
    assert "Error handling action" not in out and "Unrecognized action" not in out, out
    assert {r.path for r in server.state.log} == {"/v1/responses"}
    assert len(sent) == calls + 1
    assert all(r.headers["authorization"] == "Bearer sk-cua-replay-fake" for r in sent)
    # The form was filled in and submitted on the fixture page.
    assert result == scenario.done.text["#result"]
    assert site.blocked == []
