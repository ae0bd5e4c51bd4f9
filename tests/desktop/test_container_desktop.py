"""The container path: the same executor, its commands prefixed with ``docker exec``.

A fake runner records the commands (no Docker, no display needed), so these
tests run anywhere; the local path runs the same commands for real on Xvfb.
"""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Mapping, Sequence

import pytest
from PIL import Image

from cua_replay.actions import Keypress, parse_call
from cua_replay.errors import ExecutorError, UnknownKey
from cua_replay.executors.desktop import DesktopExecutor
from cua_replay.executors.xdisplay import XDisplay, run_command
from cua_replay.geometry import Viewport

PREFIX = ["docker", "exec", "-i", "-e", "DISPLAY=:99", "cua-desktop"]
KEYMAP = """There are 4 KeySyms per KeyCode; KeyCodes range from 8 to 12.

    KeyCode\tKeysym (Keysym)\t...
    Value  \tValue   (Name)  \t...

      8\t
      9    \t0xff1b (Escape)\t0x0000 (NoSymbol)\t0xff1b (Escape)\t
     10    \t0x0061 (a)\t0x0041 (A)\t0x0061 (a)\t0x0041 (A)\t
     11    \t0xffe3 (Control_L)\t0x0000 (NoSymbol)\t
     12\t
"""


def xwd(width: int, height: int, pixel: bytes) -> bytes:
    """A minimal XWD file (TrueColor, 32 bpp, LSB first) of one colour."""
    name = b"fake\x00"
    header_size = 100 + len(name)
    fields = [header_size, 7, 2, 24, width, height, 0, 0, 32, 0, 32, 32, width * 4]
    fields += [4, 0xFF0000, 0xFF00, 0xFF, 8, 256, 0, width, height, 0, 0, 0]
    return struct.pack(">25I", *fields) + name + pixel * (width * height)


class FakeRunner:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    async def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        stdin: bytes | None,
        timeout: float,
    ) -> bytes:
        assert env is None  # the container's DISPLAY rides on docker exec -e
        self.commands.append(list(argv))
        command = list(argv[len(PREFIX) :])
        if command[:2] == ["xmodmap", "-pk"]:
            return KEYMAP.encode()
        if command[:1] == ["xwd"]:
            return xwd(4, 3, bytes([0x30, 0x20, 0x10, 0]))  # B, G, R, X
        return b""


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def executor(runner: FakeRunner) -> DesktopExecutor:
    display = XDisplay.container("cua-desktop", ":99")
    return DesktopExecutor(display, runner=runner, size=(1024, 768))


def run(executor: DesktopExecutor, *actions: dict[str, object]) -> None:
    for action in parse_call({"call_id": "c", "actions": list(actions)}, Viewport(1024, 768)):
        asyncio.run(executor.execute(action))


def test_every_command_goes_through_docker_exec(
    executor: DesktopExecutor, runner: FakeRunner
) -> None:
    run(
        executor,
        {"type": "click", "x": 5000, "y": -1, "button": "wheel", "keys": ["CTRL"]},
        {"type": "double_click", "x": 1, "y": 2},
        {"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 6}]},
        {"type": "keypress", "keys": ["CTRL", "a"]},
    )
    assert all(command[: len(PREFIX)] == PREFIX for command in runner.commands)
    xdotool = [" ".join(c[len(PREFIX) + 1 :]) for c in runner.commands if "xdotool" in c]
    assert xdotool == [
        "keydown --delay 0 Control_L mousemove 1023 0 click --delay 0 2 keyup --delay 0 Control_L",
        "mousemove 1 2 click --delay 0 --repeat 2 1",
        "mousemove 1 2 mousedown 1 mousemove 3 4 mousemove 5 6 mouseup 1",
        "keydown --delay 0 Control_L keydown --delay 0 U0061 keyup --delay 0 U0061 "
        "keyup --delay 0 Control_L",
    ]


def test_a_scroll_is_one_command_with_both_axes_and_no_abs(
    executor: DesktopExecutor, runner: FakeRunner
) -> None:
    run(
        executor,
        {"type": "scroll", "x": 10, "y": 20, "scroll_x": -250, "scroll_y": 350},
        {"type": "scroll", "x": 10, "y": 20, "scroll_x": -50, "scroll_y": 50},
    )
    first, second = (" ".join(c[len(PREFIX) + 1 :]) for c in runner.commands)
    assert first == "mousemove 10 20 click --delay 0 --repeat 3 5 click --delay 0 --repeat 2 6"
    # the carried -50 and 50 make one more notch on each axis
    assert second == "mousemove 10 20 click --delay 0 5 click --delay 0 6"


def test_keysyms_the_keymap_lacks_are_bound_once_then_typed(
    executor: DesktopExecutor, runner: FakeRunner
) -> None:
    run(executor, {"type": "type", "text": "aé€é"})
    commands = [" ".join(c[len(PREFIX) :]) for c in runner.commands]
    assert commands == [
        "xmodmap -pk",
        "xmodmap -e keycode 8 = U00E9 U00E9 -e keycode 12 = U20AC U20AC",
        "xdotool key --delay 0 U0061 U00E9 U20AC U00E9",
    ]
    run(executor, {"type": "keypress", "keys": ["F13"]})  # both keycodes taken: the oldest goes
    assert runner.commands[-2][len(PREFIX) :] == ["xmodmap", "-e", "keycode 8 = F13 F13"]


def test_an_unknown_key_sends_nothing(executor: DesktopExecutor, runner: FakeRunner) -> None:
    with pytest.raises(UnknownKey):
        asyncio.run(executor.execute(Keypress(keys=("Control", "Bogus"), model_keys=("x",))))
    assert runner.commands == []


def test_screenshots_are_pngs_decoded_from_xwd(
    executor: DesktopExecutor, runner: FakeRunner
) -> None:
    image = Image.open(io.BytesIO(asyncio.run(executor.screenshot())))
    assert (image.format, image.size, image.getpixel((0, 0))) == ("PNG", (4, 3), (0x10, 0x20, 0x30))
    assert [c[len(PREFIX) :] for c in runner.commands] == [["xwd", "-root", "-silent"]] * 2


def test_a_failing_command_is_one_clear_executor_error() -> None:
    with pytest.raises(ExecutorError, match=r"Could not run 'no-such-docker'.*install"):
        asyncio.run(run_command(["no-such-docker", "exec"], env=None, stdin=None, timeout=5))
    with pytest.raises(ExecutorError, match="exited with status 3"):
        asyncio.run(run_command(["sh", "-c", "exit 3"], env=None, stdin=None, timeout=5))
