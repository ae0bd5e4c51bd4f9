"""Shared test setup: hypothesis profiles, environment isolation, a browser harness.

Profiles (pick with ``HYPOTHESIS_PROFILE=...`` or ``--hypothesis-profile``):

* ``ci``       derandomized, fast: the default and what ``.ci/run`` uses;
* ``dev``      random, a few more examples;
* ``thorough`` 10,000 examples for the pure properties (browser properties
  run :data:`BROWSER_EXAMPLES` of their own).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

#: Examples per browser property: each example drives real Chromium.
BROWSER_EXAMPLES = {"ci": 25, "dev": 50, "thorough": 400}.get(PROFILE, 25)

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep credentials out of every test; live tests opt back in explicitly."""
    for name in (
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


class BrowserHarness:
    """One event loop in a thread, one headless Chromium on the fixture site, for a session.

    Tests stay synchronous (so hypothesis works unchanged) and hand coroutines
    to :meth:`run`.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="browser-loop", daemon=True
        )
        self._thread.start()
        self._stack: list[Any] = []

    def run(
        self, work: Callable[[], Awaitable[T]] | Coroutine[Any, Any, T], timeout: float = 120
    ) -> T:
        """Run ``work`` on the browser loop and return its result.

        Pass Playwright calls as a lambda (``run(lambda: page.goto(url))``):
        Playwright sends the command when the method is *called*, so the call
        itself must happen on the loop's thread. A coroutine of our own
        ``async def`` may be passed directly; creating it runs nothing.
        """

        async def call() -> T:
            return await (work if inspect.iscoroutine(work) else work())  # type: ignore[operator]

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def open(self) -> Any:
        from cua_replay.sandbox import open_sandbox

        manager = open_sandbox()
        sandbox = self.run(manager.__aenter__())
        self._stack.append(manager)
        self.sandbox = sandbox
        return sandbox

    async def new_page(self, *, width: int, height: int, device_scale_factor: float = 1.0) -> Any:
        context = await self.sandbox.browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=device_scale_factor
        )
        await self.sandbox.site.install(context)
        return await context.new_page()

    def executor(self, page: Any) -> Any:
        """A PlaywrightExecutor for ``page``, built on the loop (it subscribes to page events)."""
        from cua_replay.executors.playwright import PlaywrightExecutor

        async def build() -> PlaywrightExecutor:
            return PlaywrightExecutor(page)

        return self.run(build())

    def close(self) -> None:
        while self._stack:
            self.run(self._stack.pop().__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserHarness]:
    """A running headless Chromium with the fixture site (see :class:`BrowserHarness`)."""
    harness = BrowserHarness()
    try:
        harness.open()
        yield harness
    finally:
        harness.close()
