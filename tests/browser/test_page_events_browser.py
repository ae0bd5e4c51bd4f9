"""The executor follows the context: new tabs, popups, closes, dialogs and downloads."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ..conftest import BrowserHarness
from .helpers import click, make_executor, text

ROOT = Path(__file__).parent.parent.parent
FILE_TXT = (ROOT / "fixtures" / "site" / "shop.example" / "file.txt").read_bytes()


@pytest.fixture
def page(browser: BrowserHarness) -> Any:
    page = browser.run(browser.new_page(width=1024, height=768))
    yield page
    browser.run(lambda: page.context.close())


def goto(browser: BrowserHarness, page: Any, path: str) -> str:
    url = browser.sandbox.site.url(path)
    browser.run(lambda: page.goto(url))
    return url


# -- tabs and popups ----------------------------------------------------------------------


def test_target_blank_link_makes_the_new_tab_current(browser: BrowserHarness, page: Any) -> None:
    start = goto(browser, page, "/newtab.html")
    executor = make_executor(browser, page)
    click(browser, executor, "#open-tab")
    second = browser.sandbox.site.url("/page2.html")
    assert executor.current_url == second and executor.page is not page
    assert browser.run(lambda: executor.page.opener()) is page
    assert text(browser, executor, "#heading") == "Second page"
    assert executor.drain_events() == [("tab_opened", {"url": second, "opener_url": start})]
    # Navigation tracking follows the switch: a link in the new tab is waited for.
    click(browser, executor, "#to-home")
    assert executor.current_url == browser.sandbox.site.url("/index.html")
    assert page.url == start and executor.drain_events() == []


def test_window_open_popup_makes_the_popup_current(browser: BrowserHarness, page: Any) -> None:
    start = goto(browser, page, "/newtab.html")
    executor = make_executor(browser, page)
    click(browser, executor, "#open-popup")
    second = browser.sandbox.site.url("/page2.html")
    assert executor.current_url == second and executor.page is not page
    assert executor.drain_events() == [("tab_opened", {"url": second, "opener_url": start})]


def test_a_tab_that_closes_itself_hands_back_to_its_opener(
    browser: BrowserHarness, page: Any
) -> None:
    url = goto(browser, page, "/closer.html")
    executor = make_executor(browser, page)
    click(browser, executor, "#open-closer")
    popup = executor.page
    assert popup is not page
    click(browser, executor, "#close-window")  # window.close() in the popup
    assert popup.is_closed() and executor.page is page and executor.current_url == url
    assert executor.drain_events() == [
        ("tab_opened", {"url": url, "opener_url": url}),
        ("tab_closed", {"url": url, "was_current": True, "switched_to": url}),
    ]
    click(browser, executor, "#open-closer")  # the opener is usable again
    assert executor.page is not page and len(page.context.pages) == 2


def test_closing_the_current_tab_from_outside_returns_to_the_opener(
    browser: BrowserHarness, page: Any
) -> None:
    start = goto(browser, page, "/newtab.html")
    executor = make_executor(browser, page)
    click(browser, executor, "#open-tab")
    second = executor.current_url
    executor.drain_events()
    browser.run(lambda: executor.page.close())
    assert executor.page is page and executor.current_url == start
    assert executor.drain_events() == [
        ("tab_closed", {"url": second, "was_current": True, "switched_to": start})
    ]


def test_closing_a_background_tab_keeps_the_current_one(browser: BrowserHarness, page: Any) -> None:
    start = goto(browser, page, "/newtab.html")
    executor = make_executor(browser, page)
    click(browser, executor, "#open-tab")
    popup = executor.page
    executor.drain_events()
    browser.run(lambda: page.close())  # the opener, in the background
    assert executor.page is popup
    assert executor.drain_events() == [
        ("tab_closed", {"url": start, "was_current": False, "switched_to": None})
    ]


# -- dialogs ----------------------------------------------------------------------------

DIALOGS = {
    # button: (type, message, default value, page text if accepted, if dismissed)
    "#alert": ("alert", "Your cart is empty.", "", "alert closed", "alert closed"),
    "#confirm": ("confirm", "Remove the blue mug?", "", "confirm: true", "confirm: false"),
    "#prompt": (
        "prompt",
        "Gift message?",
        "Happy birthday",
        "prompt: Happy birthday",
        "prompt: null",
    ),
}


@pytest.mark.parametrize("policy", ["accept", "dismiss"])
@pytest.mark.parametrize("button", sorted(DIALOGS))
def test_dialogs_are_answered_by_the_policy_and_recorded(
    browser: BrowserHarness, page: Any, button: str, policy: str
) -> None:
    url = goto(browser, page, "/dialogs.html")
    executor = make_executor(browser, page, dialogs=policy)
    kind, message, default, accepted, dismissed = DIALOGS[button]
    click(browser, executor, button)
    assert text(browser, executor, "#result") == (accepted if policy == "accept" else dismissed)
    detail = {"type": kind, "message": message, "default_value": default, "action": policy}
    assert executor.drain_events() == [("dialog", {**detail, "url": url})]


def test_dialogs_are_dismissed_by_default(browser: BrowserHarness, page: Any) -> None:
    goto(browser, page, "/dialogs.html")
    executor = make_executor(browser, page)
    assert executor.dialogs == "dismiss"
    click(browser, executor, "#confirm")
    assert text(browser, executor, "#result") == "confirm: false"


@pytest.mark.parametrize("policy", ["accept", "dismiss"])
def test_beforeunload_follows_the_policy(browser: BrowserHarness, page: Any, policy: str) -> None:
    url = goto(browser, page, "/dialogs.html")
    executor = make_executor(browser, page, dialogs=policy)
    click(browser, executor, "#guard")
    click(browser, executor, "#leave")
    events = executor.drain_events()
    assert [(kind, detail["type"], detail["action"], detail["url"]) for kind, detail in events] == [
        ("dialog", "beforeunload", policy, url)
    ]
    stays = browser.sandbox.site.url("/page2.html") if policy == "accept" else url
    assert executor.current_url == stays


# -- downloads --------------------------------------------------------------------------


def test_download_is_saved_and_recorded(browser: BrowserHarness, page: Any, tmp_path: Path) -> None:
    goto(browser, page, "/downloads.html")
    folder = tmp_path / "downloads"
    executor = make_executor(browser, page, downloads_dir=folder)
    click(browser, executor, "#get-file")
    click(browser, executor, "#get-file")
    file_url = browser.sandbox.site.url("/file.txt?download")
    saved = [folder / "file.txt", folder / "file (1).txt"]
    assert executor.drain_events() == [
        (
            "download",
            {
                "url": file_url,
                "suggested_filename": "file.txt",
                "path": str(path),
                "size": len(FILE_TXT),
            },
        )
        for path in saved
    ]
    assert [path.read_bytes() for path in saved] == [FILE_TXT, FILE_TXT]
    assert executor.current_url == browser.sandbox.site.url("/downloads.html")


def test_downloads_go_to_a_temporary_folder_made_at_the_first_one(
    browser: BrowserHarness, page: Any
) -> None:
    goto(browser, page, "/downloads.html")
    executor = make_executor(browser, page)
    assert executor.downloads_dir is None
    click(browser, executor, "#get-file")
    folder = executor.downloads_dir
    try:
        assert folder is not None and (folder / "file.txt").read_bytes() == FILE_TXT
        [(kind, detail)] = executor.drain_events()
        assert kind == "download" and detail["path"] == str(folder / "file.txt")
    finally:
        if folder is not None:
            shutil.rmtree(folder)
