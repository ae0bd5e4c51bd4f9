"""Every test in this folder drives a real X display (its own Xvfb) with xdotool.

Without Xvfb and the X commands the tests skip with the install command, except in
CI (``CI=true``), where a missing display must fail: CI runs tools/bootstrap.sh,
which installs them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator

import pytest

from cua_replay.executors.xdisplay import XDisplay
from cua_replay.executors.xvfb import INSTALL, VirtualDisplay

from .xclient import Recorder

COMMANDS = ("Xvfb", "xdotool", "xwd", "xmodmap")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/desktop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.desktop)


def _require_x() -> None:
    missing = [name for name in COMMANDS if shutil.which(name) is None]
    if importlib.util.find_spec("tkinter") is None:  # the bundled desktop app is Tk
        missing.append("tkinter (python3-tk)")
    if not missing:
        return
    message = f"{', '.join(missing)} not installed; run tools/bootstrap.sh as root, or {INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def xvfb() -> Iterator[XDisplay]:
    """A private 1024x768x24 Xvfb on a free display number, stopped after the module."""
    _require_x()
    with VirtualDisplay(1024, 768) as display:
        yield display


@pytest.fixture(scope="module")
def recorder(xvfb: XDisplay) -> Iterator[Recorder]:
    """Our X client: a full-screen focused window that records key and pointer events."""
    pytest.importorskip("Xlib", reason="pip install python-xlib (the test extra)")
    with Recorder(xvfb.name, 1024, 768) as client:
        yield client
