"""The executor on the fixture pages: scrolling, drag paths, history buttons, the site itself."""

from __future__ import annotations

from typing import Any

import pytest

from cua_replay.actions import parse_call
from cua_replay.geometry import Viewport

from ..conftest import BrowserHarness

VIEWPORT = Viewport(1024, 768)


@pytest.fixture
def page(browser: BrowserHarness) -> Any:
    page = browser.run(browser.new_page(width=1024, height=768))
    yield page
    browser.run(lambda: page.context.close())


def execute(browser: BrowserHarness, page: Any, call: dict[str, Any]) -> None:
    executor = browser.executor(page)

    async def go() -> None:
        for action in parse_call({"call_id": "call_p", **call}, VIEWPORT):
            await executor.execute(action)

    browser.run(go())


def test_scroll_over_an_inner_container_scrolls_that_container(
    browser: BrowserHarness, page: Any
) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/scroll.html")))
    execute(
        browser,
        page,
        {"action": {"type": "scroll", "x": 200, "y": 240, "scroll_x": 0, "scroll_y": 400}},
    )
    browser.run(
        lambda: page.wait_for_function(
            "document.getElementById('inner').scrollTop >= 400", timeout=5000
        )
    )
    assert browser.run(lambda: page.evaluate("window.scrollY")) == 0  # not window.scrollBy


def test_scroll_outside_the_container_scrolls_the_page(browser: BrowserHarness, page: Any) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/scroll.html")))
    execute(
        browser,
        page,
        {"action": {"type": "scroll", "x": 700, "y": 400, "scroll_x": 0, "scroll_y": 300}},
    )
    browser.run(lambda: page.wait_for_function("window.scrollY >= 300", timeout=5000))
    assert browser.run(lambda: page.evaluate("document.getElementById('inner').scrollTop")) == 0


def test_drag_follows_the_whole_path_with_the_button_held(
    browser: BrowserHarness, page: Any
) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/drag.html")))
    path = [{"x": 100, "y": 160}, {"x": 200, "y": 400}, {"x": 300, "y": 60}, {"x": 480, "y": 200}]
    execute(browser, page, {"action": {"type": "drag", "path": path, "keys": ["shift"]}})
    log = browser.run(lambda: page.evaluate("window.__log"))
    moved = browser.run(lambda: page.evaluate("window.__path"))
    assert log[0] == {"type": "dragstart", "x": 100, "y": 160, "shift": True}
    assert log[-1]["type"] == "drop" and log[-1]["inside"] is True
    assert [p for p in moved if p in ([200, 400], [300, 60], [480, 200])] == [
        [200, 400],
        [300, 60],
        [480, 200],
    ]


def test_back_and_forward_buttons_walk_history(browser: BrowserHarness, page: Any) -> None:
    site = browser.sandbox.site
    browser.run(lambda: page.goto(site.url("/")))
    browser.run(lambda: page.goto(site.url("/page2.html")))
    execute(browser, page, {"action": {"type": "click", "button": "back", "x": 5, "y": 5}})
    assert page.url == site.url("/")
    execute(browser, page, {"action": {"type": "click", "button": "forward", "x": 5, "y": 5}})
    assert page.url == site.url("/page2.html")


def test_link_click_waits_for_the_navigation(browser: BrowserHarness, page: Any) -> None:
    site = browser.sandbox.site
    browser.run(lambda: page.goto(site.url("/")))
    box = browser.run(lambda: page.locator("#to-page2").bounding_box())
    execute(
        browser,
        page,
        {
            "action": {
                "type": "click",
                "button": "left",
                "x": int(box["x"] + 5),
                "y": int(box["y"] + 5),
            }
        },
    )
    assert page.url == site.url("/page2.html")
    assert browser.run(lambda: page.locator("#heading").text_content()) == "Second page"


def test_form_typing_and_submit(browser: BrowserHarness, page: Any) -> None:
    browser.run(lambda: page.goto(browser.sandbox.site.url("/form.html")))

    def center(selector: str) -> dict[str, int]:
        box = browser.run(lambda: page.locator(selector).bounding_box())
        return {"x": int(box["x"] + box["width"] / 2), "y": int(box["y"] + box["height"] / 2)}

    execute(
        browser,
        page,
        {
            "actions": [
                {"type": "click", "button": "left", **center("#name")},
                {"type": "type", "text": "Zoë O'Brien"},
                {"type": "click", "button": "left", **center("#gift")},
                {"type": "click", "button": "left", **center("#submit")},
            ]
        },
    )
    text = browser.run(lambda: page.locator("#result").text_content())
    assert text == "Ordered: name=Zoë O'Brien, colour=blue, gift=yes, password length=0"


def test_site_serves_every_fixture_host_and_404s_the_rest(
    browser: BrowserHarness, page: Any
) -> None:
    site = browser.sandbox.site
    assert {"shop.example", "news.example"} <= site.hosts
    response = browser.run(lambda: page.goto(site.url("/", host="news.example")))
    assert response.status == 200 and page.url == "https://news.example/"
    assert browser.run(lambda: page.goto(site.url("/missing.html"))).status == 404
    assert (
        browser.run(lambda: page.goto("https://shop.example/%2e%2e/news.example/index.html")).status
        == 404
    )


def test_requests_outside_the_fixture_site_are_aborted(browser: BrowserHarness, page: Any) -> None:
    from playwright.async_api import Error as PlaywrightError

    site = browser.sandbox.site
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        browser.run(lambda: page.goto("https://example.com/"))
    assert "https://example.com/" in site.blocked
