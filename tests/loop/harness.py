"""Run the loop engine on the session browser against an in-process fake server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI

from cua_replay.backends import SDKBackend
from cua_replay.events import Event, Listener
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.loop import Loop, LoopConfig, RunResult
from cua_replay.safety import AllowGate, SafetyGate
from cua_replay.server import FakeResponsesServer, Scenario
from tests.conftest import BrowserHarness

ALL_CODES = frozenset({"malicious_instructions", "irrelevant_domain", "sensitive_domain"})


@dataclass
class Outcome:
    result: RunResult
    events: list[Event] = field(default_factory=list)
    log: Sequence[Any] = ()
    done_text: dict[str, str] = field(default_factory=dict)
    final_url: str = ""


def run_scenario(
    browser: BrowserHarness,
    scenario: Scenario,
    *,
    tool: str = "computer_use_preview",
    history: str = "chain",
    gate: SafetyGate | None = None,
    watched: bool = True,
    backend: Any = None,
    server: FakeResponsesServer | None = None,
    stream: bool = False,
    listeners: Sequence[Listener] = (),
    executor: Callable[[Any], Any] | None = None,
    http_client: Any = None,
) -> Outcome:
    """One loop run of ``scenario`` in a fresh browser context; the page's end state read back.

    ``executor`` builds the executor from the page (default :class:`PlaywrightExecutor`);
    ``http_client`` is given to the default backend's SDK client (a recording transport, say).
    """
    own = server is None
    server = server or FakeResponsesServer(scenario).start()
    try:

        async def go() -> Outcome:
            context = await browser.sandbox.browser.new_context(
                viewport={"width": scenario.display.width, "height": scenario.display.height}
            )
            try:
                await browser.sandbox.site.install(context)
                page = await context.new_page()
                await page.goto(scenario.start_url)
                loop_executor = (executor or PlaywrightExecutor)(page)
                model_backend = backend or SDKBackend(
                    AsyncOpenAI(
                        base_url=server.urls.openai_base_url,
                        api_key="sk-test",
                        http_client=http_client,
                    )
                )
                events: list[Event] = []
                config = LoopConfig(
                    model=scenario.model,
                    tool=tool,  # type: ignore[arg-type]
                    history=history,  # type: ignore[arg-type]
                    store=False if history == "full" else None,
                    watched=watched,
                    stream=stream,
                )
                loop = Loop(
                    model_backend,
                    loop_executor,
                    gate or AllowGate(ALL_CODES),
                    config,
                    listeners=[events.append, *listeners],
                )
                result = await loop.run(scenario.task)
                await model_backend.aclose()
                texts = {
                    selector: (await page.locator(selector).text_content() or "")
                    for selector in scenario.done.text
                }
                return Outcome(
                    result, events, list(server.state.log), texts, loop_executor.current_url
                )
            finally:
                await context.close()

        return browser.run(go())
    finally:
        if own:
            server.stop()
