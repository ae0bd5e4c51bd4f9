"""The HTML diff: self-contained, opens in headless Chromium, shows the diverging steps."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from typer.testing import CliRunner

from cua_replay.cassette.store import load_cassette
from cua_replay.diff import diff_cassettes, diff_folders
from cua_replay.diff.render import render_folder_html, render_html
from cua_replay.report.html import CONTENT_SECURITY_POLICY
from cua_replay.server import load_scenario
from tests.cassette.replaying import record
from tests.conftest import BrowserHarness

from .builders import Step, click, drag, key, run_of, scroll, type_, write
from .test_cli import app

A = [
    click(10, 10),
    type_("Ada"),
    key("Control", "A"),
    scroll(30, 30, 0, 300),
    drag((5, 5), (40, 40)),
]
B = [click(10, 10), click(50, 40, "right"), type_("Grace"), key("Control", "A"),
     scroll(30, 30, 0, 300), drag((5, 5), (60, 44))]  # fmt: skip


def test_html_is_self_contained_and_shows_the_diverging_steps(
    browser: BrowserHarness, tmp_path: Path
) -> None:
    a = write(tmp_path / "a", run_of(A))
    b = write(tmp_path / "b", [*run_of(B, message="Done, differently.")[:-1],
                               Step(message="Done, differently.")])  # fmt: skip
    out = tmp_path / "diff.html"
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    html = out.read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs), refs[:3]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html.replace("https://shop.example/", "")

    page = browser.run(browser.new_page(width=1200, height=900))
    try:
        browser.run(lambda: page.set_content(html))  # the sandbox routes block file://
        kinds = browser.run(
            lambda: page.eval_on_selector_all("section.pair", "els => els.map(e => e.dataset.kind)")
        )
        assert kinds.count("only_b") == 1 and "changed" in kinds
        first = browser.run(lambda: page.text_content("section.first h2"))
        assert first is not None and "First divergence" in first
        overlays = browser.run(
            lambda: page.eval_on_selector_all(
                "svg.overlay", "els => els.map(e => e.dataset.action)"
            )
        )
        assert {"click", "type", "drag"} <= set(overlays)
        loaded = browser.run(
            lambda: page.eval_on_selector_all(
                "img", "els => els.every(e => e.complete && e.naturalWidth > 0)"
            )
        )
        assert loaded  # under the page's Content-Security-Policy
        browser.run(lambda: page.screenshot(path=str(tmp_path / "diff.png"), full_page=True))
    finally:
        browser.run(lambda: page.context.close())


def test_the_diff_page_carries_the_reports_policy_and_no_injected_script_runs(
    browser: BrowserHarness, tmp_path: Path
) -> None:
    """Were cassette text ever to reach the page unescaped, its script would not run."""
    a = write(tmp_path / "a", run_of(A))
    b = write(tmp_path / "b", run_of(B))
    ca, cb = load_cassette(a), load_cassette(b)
    html = render_html(diff_cassettes(ca, cb), ca, cb)
    folder = render_folder_html(diff_folders(tmp_path, tmp_path))
    policy = escape(CONTENT_SECURITY_POLICY)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    for page_html in (html, folder):
        assert page_html.index(meta) < page_html.index("<title>")  # before any cassette text
    injected = (
        "<script>document.body.dataset.ran = 'inline'</script>"
        "<img src=data:, onerror=\"document.body.dataset.ran = 'handler'\">"
    )
    page = browser.run(browser.new_page(width=800, height=600))
    violations: list[str] = []

    async def listen() -> None:  # on the browser loop's thread, as every Playwright call
        page.on("console", lambda m: violations.extend([m.text] * ("Content Security" in m.text)))

    browser.run(listen())
    try:
        for page_html in (html, folder):
            hostile = page_html.replace("</body>", injected + "</body>")
            browser.run(lambda: page.goto("about:blank"))  # a new document: no policy kept
            browser.run(lambda hostile=hostile: page.set_content(hostile))
            ran = browser.run(lambda: page.evaluate("() => document.body.dataset.ran ?? null"))
            assert ran is None
            images = browser.run(
                lambda: page.eval_on_selector_all(
                    "img[alt]", "els => els.every(e => e.complete && e.naturalWidth > 0)"
                )
            )
            assert images  # the policy lets the page's own data: screenshots in
        # The control: the same injection, the policy taken out, runs.
        unguarded = html.replace(meta, "").replace("</body>", injected + "</body>")
        browser.run(lambda: page.goto("about:blank"))
        browser.run(lambda: page.set_content(unguarded))
        ran = browser.run(lambda: page.evaluate("() => document.body.dataset.ran ?? null"))
        assert ran in ("inline", "handler")
    finally:
        browser.run(lambda: page.context.close())
    assert violations  # Chromium refused the injected script, and said so


def test_a_real_recording_diffs_the_same_with_itself_and_a_rerecording(
    browser: BrowserHarness, tmp_path: Path
) -> None:
    scenario = load_scenario("demo")
    first = record(browser, scenario, tmp_path / "one")
    second = record(browser, scenario, tmp_path / "two")
    assert diff_cassettes(first, first).same
    result = diff_cassettes(second, first)
    assert all(p.kind == "same" for p in result.pairs), [
        p for p in result.pairs if p.kind != "same"
    ]
    assert not {o.name for o in result.differing_outcomes} - {"latency_ms"}
    html = render_html(result, load_cassette(tmp_path / "two"), first)
    assert "The two trajectories are the same." in html


def test_diff_output_in_a_missing_directory_is_refused_before_any_work(tmp_path: Path) -> None:
    a = write(tmp_path / "a", run_of(A))
    out = tmp_path / "missing" / "diff.html"
    for args in (
        [str(a), str(a)],
        ["--baseline", str(tmp_path), "--candidate", str(tmp_path)],
    ):
        result = CliRunner().invoke(app, ["diff", *args, "--format", "html", "-o", str(out)])
        assert result.exit_code == 2
        assert result.output.strip() == (
            f"InvalidSetting: Could not write the diff to output={out}: the directory "
            f"{out.parent} does not exist; create it first (mkdir -p {out.parent}) or pass -o "
            "with a path in an existing directory."
        )
    assert not out.parent.exists()
