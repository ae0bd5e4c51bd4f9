"""Our own Xvfb: a free display number each, its socket up when start() returns, gone after."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cua_replay.errors import ExecutorError
from cua_replay.executors.desktop import DesktopExecutor
from cua_replay.executors.xdisplay import XDisplay
from cua_replay.executors.xvfb import VirtualDisplay


def socket_of(display: XDisplay) -> Path:
    return Path("/tmp/.X11-unix") / f"X{display.name.lstrip(':')}"


def test_two_displays_get_their_own_numbers_and_stop_cleanly(xvfb: XDisplay) -> None:
    first, second = VirtualDisplay(640, 480), VirtualDisplay(320, 200)
    with first as a, second as b:
        assert a.name != b.name != xvfb.name
        assert socket_of(a).exists() and socket_of(b).exists()
        sizes = [asyncio.run(DesktopExecutor(d).size()) for d in (a, b)]
        assert sizes == [(640, 480), (320, 200)]
    assert not socket_of(a).exists() and not socket_of(b).exists()
    first.stop()  # idempotent
    with pytest.raises(ExecutorError, match="not started"):
        _ = first.display


def test_without_xvfb_the_error_says_what_to_install(
    xvfb: XDisplay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ExecutorError, match="Xvfb is not installed; install it: apt-get install"):
        VirtualDisplay().start()
