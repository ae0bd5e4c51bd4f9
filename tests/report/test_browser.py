"""The report in real headless Chromium from file://: no errors, images shown, j/k navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cua_replay.cassette.store import load_cassette
from cua_replay.report import render_report

from .conftest import CASSETTES, SHIPPED


def open_report(browser: Any, path: Path) -> tuple[Any, list[str]]:
    problems: list[str] = []

    async def go() -> Any:
        context = await browser.sandbox.browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.on(
            "console",
            lambda m: (
                problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"requestfailed: {r.url}"))
        page.on(
            "request",
            lambda r: (
                problems.append(f"request: {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        await page.goto(path.as_uri())
        return page

    return browser.run(go()), problems


def current(browser: Any, page: Any) -> dict[str, Any]:
    return dict(
        browser.run(
            lambda: page.evaluate(
                """() => ({
                  body: document.body.dataset.current,
                  sections: [...document.querySelectorAll('section.step.current')].map(s => s.id),
                  thumbs: [...document.querySelectorAll('nav.filmstrip a.current')]
                            .map(a => a.getAttribute('href')),
                })"""
            )
        )
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_report_opens_from_file_and_navigates_with_keys(
    browser: Any, tmp_path: Path, name: str
) -> None:
    cassette = load_cassette(CASSETTES / name)
    path = tmp_path / f"{name}.html"
    path.write_text(render_report(cassette), encoding="utf-8")
    page, problems = open_report(browser, path)
    try:
        first = cassette.steps[0].step
        assert current(browser, page) == {
            "body": "1",
            "sections": [f"step-{first}"],
            "thumbs": [f"#step-{first}"],
        }
        browser.run(lambda: page.keyboard.press("j"))
        moved = current(browser, page)
        assert moved["sections"] == [f"step-{cassette.steps[1].step}"]
        assert moved["thumbs"] == [f"#step-{cassette.steps[1].step}"]
        browser.run(lambda: page.keyboard.press("ArrowRight"))
        last = min(2, len(cassette.steps) - 1)  # the last step stays put
        assert current(browser, page)["sections"] == [f"step-{cassette.steps[last].step}"]
        browser.run(lambda: page.keyboard.press("k"))
        assert current(browser, page)["sections"] == [f"step-{cassette.steps[last - 1].step}"]
        browser.run(lambda: page.keyboard.press("End"))
        assert current(browser, page)["sections"] == [f"step-{cassette.steps[-1].step}"]
        browser.run(lambda: page.keyboard.press("Home"))
        browser.run(lambda: page.keyboard.press("j"))

        shown = browser.run(
            lambda: page.evaluate(
                """() => [...document.querySelectorAll('.shot')].map(el => {
                  const r = el.getBoundingClientRect();
                  return [getComputedStyle(el).backgroundImage.slice(0, 27), r.width, r.height];
                })"""
            )
        )
        assert shown, "no screenshots on the page"
        for image, width, height in shown:
            assert image == 'url("data:image/png;base64,'
            assert width > 50 and height > 30
        overlays = browser.run(lambda: page.locator("section.step svg.overlay").count())
        assert overlays >= sum(1 for s in cassette.steps if s.actions)

        browser.run(lambda: page.evaluate("window.scrollTo(0, 0)"))
        shot = tmp_path / f"{name}.png"
        browser.run(lambda: page.screenshot(path=str(shot), full_page=True))
        print(f"full-page screenshot: {shot}")
        assert shot.stat().st_size > 10_000
        assert problems == []
    finally:
        browser.run(lambda: page.context.close())
