"""The executor's waits: requests in flight, the `wait` action, screenshots that fail."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError

from cua_replay.actions import Wait
from cua_replay.errors import ExecutorError

from ..conftest import BrowserHarness
from .helpers import click, make_executor, text

IDLE_LOG = "cua_replay.executors.pages"


@pytest.fixture
def page(browser: BrowserHarness) -> Any:
    page = browser.run(browser.new_page(width=1024, height=768))
    yield page
    browser.run(lambda: page.context.close())


class HeldRequest:
    """``/stock.json`` answered only once :meth:`release` is called (a slow server)."""

    def __init__(self, browser: BrowserHarness, page: Any) -> None:
        self.browser = browser
        self.answered = False

        async def install() -> tuple[asyncio.Event, asyncio.Event]:
            arrived, released = asyncio.Event(), asyncio.Event()

            async def handle(route: Any) -> None:
                arrived.set()
                await released.wait()
                self.answered = True  # before fulfilling: the page may see it first
                await route.fulfill(status=200, content_type="text/plain", body="in stock")

            await page.context.route("**/stock.json", handle)
            return arrived, released

        self.arrived, self.released = browser.run(install())

    def wait_until_arrived(self) -> None:
        """Return once the request reached the (held) server."""
        self.browser.run(asyncio.wait_for(self.arrived.wait(), 10))

    def release(self, after_s: float = 0) -> None:
        """Answer the request now, or ``after_s`` seconds from now (on the browser loop)."""
        self.browser.loop.call_soon_threadsafe(
            lambda: self.browser.loop.call_later(after_s, self.released.set)
        )


def test_an_action_waits_for_the_requests_it_started(browser: BrowserHarness, page: Any) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/fetch.html")))
    held = HeldRequest(browser, page)
    executor = make_executor(browser, page, network_idle_ms=30_000)
    held.release(after_s=0.2)
    click(browser, executor, "#check")
    assert held.answered
    assert text(browser, executor, "#result") == "in stock"


def test_a_page_that_never_idles_is_logged_not_fatal(
    browser: BrowserHarness, page: Any, caplog: pytest.LogCaptureFixture
) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/fetch.html")))
    held = HeldRequest(browser, page)
    executor = make_executor(browser, page, network_idle_ms=100, wait_ms=100)
    with caplog.at_level("INFO", logger=IDLE_LOG):
        click(browser, executor, "#check")
        browser.run(executor.execute(Wait()))
    assert text(browser, executor, "#result") == "checking" and not held.answered
    idle_logs = [r.getMessage() for r in caplog.records if "network not idle" in r.getMessage()]
    assert len(idle_logs) == 2 and "stock.json" in idle_logs[0]
    held.release()
    browser.run(lambda: page.wait_for_function("document.body.innerText.includes('in stock')"))


def test_wait_lets_the_page_finish_up_to_wait_ms(browser: BrowserHarness, page: Any) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/fetch.html")))
    held = HeldRequest(browser, page)
    executor = make_executor(browser, page, network_idle_ms=50, wait_ms=30_000)
    click(browser, executor, "#check")  # returns after 50 ms with the request in flight
    held.wait_until_arrived()
    assert text(browser, executor, "#result") == "checking"
    held.release(after_s=0.2)
    browser.run(executor.execute(Wait()), timeout=20)
    assert held.answered and text(browser, executor, "#result") == "in stock"


def test_wait_on_an_idle_page_returns_at_once(browser: BrowserHarness, page: Any) -> None:
    # A wait_ms far beyond run()'s timeout: a fixed sleep would fail this test.
    browser.run(lambda: page.goto(browser.sandbox.site.url("/form.html")))
    executor = make_executor(browser, page, wait_ms=600_000)
    browser.run(executor.execute(Wait()), timeout=30)


# -- screenshots ------------------------------------------------------------------------


def failing(original: Any, failures: int) -> tuple[Any, list[int]]:
    """A stand-in for ``page.screenshot`` that fails ``failures`` times, then works."""
    calls: list[int] = []

    async def screenshot(**options: Any) -> bytes:
        calls.append(1)
        if len(calls) <= failures:
            raise PlaywrightError("Protocol error (Page.captureScreenshot): boom")
        result: bytes = await original(**options)
        return result

    return screenshot, calls


def test_a_failed_screenshot_is_retried_once(
    browser: BrowserHarness, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/form.html")))
    executor = make_executor(browser, page)
    fake, calls = failing(page.screenshot, failures=1)
    monkeypatch.setattr(page, "screenshot", fake)
    png = browser.run(executor.screenshot())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(calls) == 2


def test_a_screenshot_failing_twice_raises_executor_error(
    browser: BrowserHarness, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = browser.sandbox.site.url("/form.html")
    browser.run(lambda: page.goto(url))
    executor = make_executor(browser, page)
    fake, calls = failing(page.screenshot, failures=2)
    monkeypatch.setattr(page, "screenshot", fake)
    with pytest.raises(ExecutorError) as caught:
        browser.run(executor.screenshot())
    assert len(calls) == 2 and caught.value.url == url
    assert f"url={url!r}" in str(caught.value) and "boom" in str(caught.value)
    assert isinstance(caught.value.__cause__, PlaywrightError)


def test_a_screenshot_of_a_closed_page_raises_executor_error(
    browser: BrowserHarness, page: Any
) -> None:
    url = browser.sandbox.site.url("/form.html")
    browser.run(lambda: page.goto(url))
    executor = make_executor(browser, page)
    browser.run(lambda: page.close())  # the only page: nothing to fall back to
    with pytest.raises(ExecutorError, match="closed") as caught:
        browser.run(executor.screenshot())
    assert caught.value.url == url
    assert executor.drain_events() == [
        ("tab_closed", {"url": url, "was_current": True, "switched_to": None})
    ]
