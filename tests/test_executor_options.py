"""PlaywrightExecutor refuses bad options before it touches the page (no browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cua_replay.errors import InvalidSetting
from cua_replay.executors.playwright import PlaywrightExecutor

NOT_A_PAGE: Any = object()  # validation must fail before the page is used


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"settle_timeout_ms": 0}, "settle_timeout_ms=0 must be positive"),
        ({"wait_ms": -1}, "wait_ms=-1 must be positive"),
        ({"screenshot_timeout_ms": float("nan")}, "screenshot_timeout_ms=nan must be positive"),
        ({"network_idle_ms": -5}, "network_idle_ms=-5 must be 0"),
        ({"dialogs": "ignore"}, "dialogs='ignore' is not a dialog policy; use 'accept' or"),
    ],
)
def test_bad_executor_options_raise_value_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSetting, match=message):
        PlaywrightExecutor(NOT_A_PAGE, **options)


def test_downloads_dir_that_is_a_file_raises_value_error(tmp_path: Path) -> None:
    file = tmp_path / "taken"
    file.write_text("")
    with pytest.raises(InvalidSetting, match="exists and is not a directory"):
        PlaywrightExecutor(NOT_A_PAGE, downloads_dir=file)


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"max_steps": 0}, "max_steps"),
        ({"history": "weird"}, "history"),
        ({"history": "chain", "store": False}, "store"),
    ],
)
def test_loop_config_errors_are_one_line_settings(options: dict[str, Any], setting: str) -> None:
    """The CLI reports CuaReplayErrors as one line; a bare ValueError would be a traceback."""
    from cua_replay.loop import LoopConfig

    with pytest.raises(InvalidSetting) as caught:
        LoopConfig(model="computer-use-preview", **options)
    assert caught.value.setting == setting
    assert "\n" not in str(caught.value)
