from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cua_replay.browser import (
    ENV_VAR,
    LAUNCH_ARGS,
    SYSTEM_CHROMIUMS,
    find_chromium,
    playwright_cache_chromium,
)
from cua_replay.errors import ChromiumNotFound


def fake_browser(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def nothing(_: str) -> None:
    return None


def test_env_var_wins(tmp_path: Path) -> None:
    chrome = fake_browser(tmp_path / "my-chrome")
    bundled = fake_browser(tmp_path / "bundled")
    found = find_chromium(
        environ={ENV_VAR: str(chrome)}, playwright_executable=lambda: bundled, which=nothing
    )
    assert (found.path, found.source) == (chrome, "env")


def test_wrong_env_var_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    bundled = fake_browser(tmp_path / "bundled")
    with pytest.raises(ChromiumNotFound, match=f"{ENV_VAR}=.*is not an executable file"):
        find_chromium(
            environ={ENV_VAR: str(tmp_path / "nope")}, playwright_executable=lambda: bundled
        )


def test_playwright_browser_comes_before_the_system_one(tmp_path: Path) -> None:
    bundled = fake_browser(tmp_path / "bundled")
    found = find_chromium(
        environ={}, playwright_executable=lambda: bundled, which=lambda n: "/usr/bin/x"
    )
    assert (found.path, found.source) == (bundled, "playwright")


def test_playwright_cache_is_searched_for_the_newest_revision(tmp_path: Path) -> None:
    fake_browser(tmp_path / "chromium-1100" / "chrome-linux" / "chrome")
    newest = fake_browser(tmp_path / "chromium-1200" / "chrome-linux64" / "chrome")
    assert playwright_cache_chromium({"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)}) == newest
    found = find_chromium(environ={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)}, which=nothing)
    assert (found.path, found.source) == (newest, "playwright")


def test_system_names_are_tried_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("chromium", "chromium-browser", "google-chrome")
    monkeypatch.setattr("cua_replay.browser.SYSTEM_CHROMIUMS", names)
    tried: list[str] = []

    def which(name: str) -> str | None:
        tried.append(name)
        return "/opt/google-chrome" if name == "google-chrome" else None

    found = find_chromium(environ={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)}, which=which)
    assert (str(found.path), found.source) == ("/opt/google-chrome", "system")
    assert tried == list(names)


def test_usr_bin_chromium_is_tried_first() -> None:
    assert SYSTEM_CHROMIUMS[0] == "/usr/bin/chromium"


def test_nothing_found_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "cua_replay.browser.SYSTEM_CHROMIUMS", ("chromium", "chromium-browser", "google-chrome")
    )
    with pytest.raises(ChromiumNotFound) as info:
        find_chromium(environ={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)}, which=nothing)
    message = str(info.value)
    assert "python -m playwright install chromium" in message
    assert "apt-get install chromium" in message
    assert ENV_VAR in message


def test_launch_flags_work_as_root_and_offline() -> None:
    for flag in (
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        assert flag in LAUNCH_ARGS
    assert not any(
        arg.startswith("--user-data-dir") for arg in LAUNCH_ARGS
    )  # Playwright makes a fresh one
