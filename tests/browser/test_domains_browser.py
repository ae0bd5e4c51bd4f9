"""The domain policy in Chromium, installed after the fixture site: blocks abort, the rest loads."""

from __future__ import annotations

from typing import Any

import pytest

from cua_replay.domains import DomainPolicy

from ..conftest import BrowserHarness

NEWS = "https://news.example/"
SHOP = "https://shop.example/"


@pytest.fixture
def page(browser: BrowserHarness) -> Any:
    """A fresh page whose context already routes through the fixture site."""
    page = browser.run(browser.new_page(width=1024, height=768))
    yield page
    browser.run(lambda: page.context.close())


def install(browser: BrowserHarness, page: Any, policy: DomainPolicy) -> list[str]:
    reported: list[str] = []
    browser.run(policy.install(page.context, on_blocked=reported.append))
    return reported


def test_blocked_host_is_aborted_and_recorded_while_others_load(
    browser: BrowserHarness, page: Any
) -> None:
    from playwright.async_api import Error as PlaywrightError

    policy = DomainPolicy(block=("news.example",))
    reported = install(browser, page, policy)
    site_blocked = len(browser.sandbox.site.blocked)

    response = browser.run(lambda: page.goto(SHOP))
    assert response is not None and response.status == 200
    assert browser.run(lambda: page.title()) == "Shop Example"
    assert policy.blocked == []  # the page and its stylesheet fell back to the site

    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        browser.run(lambda: page.goto(NEWS))
    assert policy.blocked == reported == [NEWS]
    assert len(browser.sandbox.site.blocked) == site_blocked  # the site never saw it


def test_allow_list_blocks_a_link_to_another_host(browser: BrowserHarness, page: Any) -> None:
    policy = DomainPolicy(allow=("shop.example",))
    reported = install(browser, page, policy)
    browser.run(lambda: page.goto(SHOP))

    async def follow_news_link() -> tuple[str, str | None]:
        async with page.expect_event("requestfailed") as failed:
            await page.click("#to-news")
        request = await failed.value
        return request.url, request.failure

    url, failure = browser.run(follow_news_link())
    assert (url, failure) == (NEWS, "net::ERR_BLOCKED_BY_CLIENT")
    assert policy.blocked == reported == [NEWS]


def test_blocked_subresource_fetch_fails_in_the_page(browser: BrowserHarness, page: Any) -> None:
    policy = DomainPolicy(allow=("shop.example",))
    install(browser, page, policy)
    browser.run(lambda: page.goto(SHOP))
    outcome = browser.run(
        lambda: page.evaluate(
            "fetch('https://news.example/index.html').then(() => 'loaded', () => 'failed')"
        )
    )
    assert outcome == "failed"
    assert policy.blocked == ["https://news.example/index.html"]
