"""Remote browsers: a suite run in a ``playwright run-server`` browser (started here, on
loopback) and in a Chromium attached over CDP; the fixture site's routing and the domain
policy live on the context, so they hold there too."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import playwright
import pytest

from cua_replay.browser import BrowserSource, find_chromium, open_browser
from cua_replay.errors import ChromiumNotFound
from cua_replay.events import StopReason
from cua_replay.run import RunOptions, run_task
from cua_replay.settings import Settings
from cua_replay.suite.runner import SuiteRunOptions, run_suite
from cua_replay.suite.spec import load_suite

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FLAKY = ROOT / "fixtures" / "suites" / "flaky.yaml"


def _browsers_path(tmp: Path) -> Path:
    """A Playwright browser folder whose headless shell is this machine's Chromium.

    ``playwright run-server`` launches the browser Playwright downloads; this
    machine has a system Chromium instead, so the server is pointed at a folder
    laid out the way Playwright expects, with the system one in place.
    """
    listed = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    browsers = json.loads(listed.read_text("utf-8"))["browsers"]
    revision = next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")
    shell = (
        tmp
        / f"chromium_headless_shell-{revision}"
        / "chrome-headless-shell-linux64"
        / "chrome-headless-shell"
    )
    shell.parent.mkdir(parents=True)
    shell.symlink_to(find_chromium().path)
    return tmp


@pytest.fixture(scope="module")
def run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``playwright run-server`` on loopback; yields its ws:// endpoint."""
    env = {
        **os.environ,
        "PLAYWRIGHT_BROWSERS_PATH": str(_browsers_path(tmp_path_factory.mktemp("pw"))),
    }
    command = [sys.executable, "-m", "playwright", "run-server", "--port", "0"]
    with subprocess.Popen(
        [*command, "--host", "127.0.0.1"], stdout=subprocess.PIPE, text=True, env=env
    ) as server:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.search(r"ws://127\.0\.0\.1:\d+/", line)
        assert found, line
        try:
            yield found.group(0)
        finally:
            server.terminate()
            server.wait()
            server.stdout.close()


@pytest.fixture(scope="module")
def cdp_chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Chromium with a DevTools port on loopback; yields its http:// endpoint."""
    profile = tmp_path_factory.mktemp("profile")
    command = [
        str(find_chromium().path),
        "--headless=new",
        "--no-sandbox",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--disable-background-networking",
        "about:blank",
    ]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as chromium:
        assert chromium.stderr is not None
        for line in chromium.stderr:
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                break
        else:
            pytest.fail("Chromium printed no DevTools address")
        try:
            yield f"http://127.0.0.1:{found.group(1)}"
        finally:
            chromium.terminate()
            chromium.wait()
            chromium.stderr.close()


@pytest.mark.parametrize("kind", ["endpoint", "cdp"])
def test_a_suite_runs_in_a_remote_browser(
    kind: str, run_server: str, cdp_chromium: str, tmp_path: Path
) -> None:
    source = (
        BrowserSource(endpoint=run_server)
        if kind == "endpoint"
        else BrowserSource(cdp=cdp_chromium)
    )
    options = SuiteRunOptions(
        models=("model-v1", "model-v2"),
        trials=1,
        workers=2,
        fake=True,
        root=tmp_path,
        tags=("tabs",),
        browser=source,
    )
    records = asyncio.run(run_suite(load_suite(FLAKY), options, environ={}))
    verdicts = {r.run.model: r.passed for r in records}
    assert verdicts == {"model-v1": True, "model-v2": False}, records


def test_the_domain_policy_holds_in_a_remote_browser(run_server: str) -> None:
    async def main() -> StopReason:
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            browser = await open_browser(p, BrowserSource(endpoint=run_server))
            try:
                outcome = await run_task(
                    RunOptions(
                        fake="sensitive",
                        settings=Settings(_environ={}),
                        safety="allow:sensitive_domain",
                        allow_domains=("shop.example",),
                    ),
                    environ={},
                    browser=browser,
                )
            finally:
                await browser.close()
        return outcome.result.stop.reason

    assert asyncio.run(main()) is StopReason.BLOCKED_DOMAIN


def test_an_unreachable_endpoint_is_one_line() -> None:
    async def main() -> None:
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            await open_browser(p, BrowserSource(endpoint="ws://127.0.0.1:9/"))

    with pytest.raises(ChromiumNotFound) as caught:
        asyncio.run(main())
    message = str(caught.value)
    assert "\n" not in message and "--browser-endpoint ws://127.0.0.1:9/" in message
    assert "playwright run-server" in message
