"""Execute validated actions on an X display (a Linux desktop), through xdotool and xwd.

The desktop counterpart of :class:`~cua_replay.executors.playwright.PlaywrightExecutor`,
behind the same contract (:class:`~cua_replay.executors.base.Executor`).
Every action is one ``xdotool`` command with its steps chained, run where
the display is (:mod:`cua_replay.executors.xdisplay`: locally or through
``docker exec``), and every screenshot one ``xwd -root`` (:mod:`.xwd`).

What each action does:

* ``click``: buttons ``left``/``wheel``/``right``/``back``/``forward`` are X
  buttons 1/2/3/8/9 (the wheel *button* is a middle click, never a left
  one); ``double_click`` clicks button 1 twice;
* ``drag``: press button 1 at the first point, move through every point of
  the path with it held, release at the last;
* ``scroll``: wheel notches at the pointer position, moved there first;
  X buttons 4/5 are up/down, 6/7 left/right. Pixels become notches at
  :data:`PIXELS_PER_NOTCH` per notch, truncated toward zero with the
  remainder carried to the next scroll on that axis, so two 50 px scrolls
  make one notch and -150 px is one notch up with -50 carried;
* ``keypress``: the chord's modifiers go down in order, the other keys are
  pressed in order, the modifiers come up in reverse (:func:`cua_replay.keys.chord`);
* ``type``: every character as its keysym (Unicode included), keysyms the
  keymap lacks bound first (:mod:`.xkeymap`);
* a pointer action's modifier ``keys`` are held around it and released in
  reverse, also when the command fails;
* ``screenshot`` does nothing; ``wait`` waits for the screen to stop changing,
  bounded by ``wait_ms``.

Coordinates arrive scaled and clamped by :mod:`cua_replay.geometry` for the
screen size the loop was given; they are clamped again into this screen, so
no action reaches outside it whatever it was built for.

How it settles, without a fixed sleep: xdotool returns after closing its
display connection, and closing is a round trip (``XCloseDisplay`` syncs),
so the X server has delivered every event of the action when ``execute``
returns. Applications then redraw on their own time: :meth:`screenshot`
captures until two consecutive frames are identical, bounded by
``settle_timeout_ms`` (a screen still changing then is logged, not fatal).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from ..actions import (
    Action,
    Click,
    DoubleClick,
    Drag,
    Keypress,
    Move,
    Screenshot,
    Scroll,
    Type,
    Wait,
)
from ..errors import ExecutorError
from ..geometry import Position
from ..keys import chord
from .xdisplay import CommandRunner, XDisplay, run_command
from .xkeymap import KeymapBinder
from .xkeys import Keysym, x_keysym, x_keysyms
from .xwd import xwd_to_png

logger = logging.getLogger(__name__)

#: X pointer buttons for the wire's ``button`` values.
BUTTONS: dict[str, int] = {"left": 1, "wheel": 2, "right": 3, "back": 8, "forward": 9}

#: Pixels of scroll per wheel notch: what Chromium scrolls for one notch, so a
#: distance the model picked on a browser means the same on the desktop.
PIXELS_PER_NOTCH = 100

#: Wheel buttons per axis: (negative direction, positive direction).
_WHEEL = {"x": (6, 7), "y": (4, 5)}

#: Keysyms per xdotool command when typing (keeps argv far below the kernel's limits).
_TYPE_CHUNK = 1_000


class DesktopExecutor:
    """Runs actions on ``display``; see the module docstring for what each does.

    Keyword arguments:

    * ``runner``: runs each command (default: a subprocess); inject a fake to
      see the commands without a display;
    * ``size``: the screen's ``(width, height)``; asked of the display
      (``xdotool getdisplaygeometry``) on first use when None;
    * ``pixels_per_notch``: scroll pixels per wheel notch;
    * ``command_timeout_ms``: the bound on each command;
    * ``settle_timeout_ms``: the bound on waiting for the screen to stop changing
      before a screenshot; ``wait_ms`` the same for a ``wait`` action.
    """

    def __init__(
        self,
        display: XDisplay,
        *,
        runner: CommandRunner = run_command,
        size: tuple[int, int] | None = None,
        pixels_per_notch: int = PIXELS_PER_NOTCH,
        command_timeout_ms: float = 10_000,
        settle_timeout_ms: float = 1_000,
        wait_ms: float = 1_000,
    ) -> None:
        for name, value in (
            ("command_timeout_ms", command_timeout_ms),
            ("settle_timeout_ms", settle_timeout_ms),
            ("wait_ms", wait_ms),
            ("pixels_per_notch", pixels_per_notch),
        ):
            if not value > 0:
                raise ExecutorError(f"{name}={value!r} must be positive.", url="")
        self.display = display
        self.pixels_per_notch = pixels_per_notch
        self.command_timeout_ms = command_timeout_ms
        self.settle_timeout_ms = settle_timeout_ms
        self.wait_ms = wait_ms
        self._runner = runner
        self._size = size
        self._carry = {"x": 0, "y": 0}
        self._keymap = KeymapBinder(self._run)

    @property
    def current_url(self) -> str:
        """A desktop has no page: always empty (the loop sends no ``current_url``)."""
        return ""

    async def size(self) -> tuple[int, int]:
        """The screen's ``(width, height)`` in pixels."""
        if self._size is None:
            out = (await self._run(["xdotool", "getdisplaygeometry"])).decode().split()
            try:
                self._size = (int(out[0]), int(out[1]))
            except (IndexError, ValueError):
                raise ExecutorError(
                    f"xdotool getdisplaygeometry on {self.display.label} said {out!r}, "
                    "not WIDTH HEIGHT.",
                    url="",
                ) from None
        return self._size

    async def execute(self, action: Action) -> None:
        """Carry ``action`` out; returns once the X server has delivered its events."""
        keys: list[Keysym] = []
        if isinstance(action, Keypress):
            keys = x_keysyms(action.keys)
        elif isinstance(action, Type):
            keys = [x_keysym(char) for char in action.text]
        held = x_keysyms(getattr(action, "modifiers", ()))  # every key checked before any runs
        match action:
            case Click() | DoubleClick() | Move() | Scroll() | Drag():
                await self._pointer(action, held)
            case Keypress():
                await self._keypress(action, keys)
            case Type():
                await self._type(keys)
            case Wait():
                await self._settled_frame(self.wait_ms)
            case Screenshot():
                pass

    async def screenshot(self) -> bytes:
        """PNG bytes of the whole screen, once two consecutive captures agree (bounded)."""
        frame = await self._settled_frame(self.settle_timeout_ms)
        return xwd_to_png(frame, label=self.display.label)

    async def _capture(self) -> bytes:
        return await self._run(["xwd", "-root", "-silent"])

    async def _settled_frame(self, bound_ms: float) -> bytes:
        """An XWD capture once the next one is identical, or the last one at the bound."""
        deadline = time.monotonic() + bound_ms / 1000
        frame = await self._capture()
        while True:
            following = await self._capture()
            if following == frame:
                break
            frame = following
            if time.monotonic() >= deadline:
                logger.info("%s still changing after %s ms", self.display.label, bound_ms)
                break
        return frame

    async def _pointer(
        self, action: Click | DoubleClick | Move | Scroll | Drag, held: list[Keysym]
    ) -> None:
        steps: list[str] = []
        if held:
            await self._keymap.ensure(held)
            steps += ["keydown", "--delay", "0", *(k.name for k in held)]
        pressed: int | None = None
        match action:
            case Click():
                steps += [*await self._move(action.at), *_click(BUTTONS[action.button])]
            case DoubleClick():
                steps += [*await self._move(action.at), *_click(1, repeat=2)]
            case Move():
                steps += await self._move(action.at)
            case Scroll():
                steps += [*await self._move(action.at), *self._wheel(action)]
            case Drag():
                first, *rest = action.path
                steps += [*await self._move(first), "mousedown", "1"]
                pressed = 1
                for point in rest:
                    steps += await self._move(point)
                steps += ["mouseup", "1"]
        if held:
            steps += ["keyup", "--delay", "0", *(k.name for k in reversed(held))]
        try:
            await self._xdotool(steps)
        except ExecutorError:
            await self._release(held, pressed)
            raise

    async def _release(self, held: Sequence[Keysym], button: int | None) -> None:
        """After a failed command: never leave a modifier or a button down (best effort)."""
        steps = ["mouseup", str(button)] if button is not None else []
        if held:
            steps += ["keyup", "--delay", "0", *(k.name for k in reversed(held))]
        if steps:
            try:
                await self._xdotool(steps)
            except ExecutorError as exc:
                logger.warning("could not release keys/buttons on %s: %s", self.display.label, exc)

    async def _move(self, at: Position) -> list[str]:
        width, height = await self.size()
        x = min(max(at.x, 0), width - 1)
        y = min(max(at.y, 0), height - 1)
        return ["mousemove", str(x), str(y)]

    def _wheel(self, action: Scroll) -> list[str]:
        steps: list[str] = []
        for axis, pixels in (("y", action.scroll_y), ("x", action.scroll_x)):
            notches = self.notches(axis, pixels)
            if notches:
                back, forth = _WHEEL[axis]
                steps += _click(forth if notches > 0 else back, repeat=abs(notches))
        return steps

    def notches(self, axis: str, pixels: int) -> int:
        """Wheel notches for ``pixels`` on ``axis`` (``x``/``y``), carrying the remainder."""
        total = self._carry[axis] + pixels
        notches = int(total / self.pixels_per_notch)  # toward zero: symmetric in sign
        self._carry[axis] = total - notches * self.pixels_per_notch
        return notches

    async def _keypress(self, action: Keypress, keys: list[Keysym]) -> None:
        by_name = dict(zip(action.keys, keys, strict=True))
        await self._keymap.ensure(keys)
        steps: list[str] = []
        for stroke in chord(action.keys):
            kind = "keydown" if stroke.kind == "down" else "keyup"
            steps += [kind, "--delay", "0", by_name[stroke.key].name]
        try:
            await self._xdotool(steps)
        except ExecutorError:
            await self._release(list(dict.fromkeys(k for k in keys if k.is_modifier)), None)
            raise

    async def _type(self, keys: list[Keysym]) -> None:
        await self._keymap.load()
        for piece in self._keymap.chunks(keys):
            await self._keymap.ensure(piece)
            for start in range(0, len(piece), _TYPE_CHUNK):
                names = [k.name for k in piece[start : start + _TYPE_CHUNK]]
                await self._xdotool(["key", "--delay", "0", *names])

    async def _xdotool(self, steps: list[str]) -> None:
        if steps:
            await self._run(["xdotool", *steps])

    async def _run(self, argv: Sequence[str], stdin: bytes | None = None) -> bytes:
        return await self._runner(
            self.display.command(argv),
            env=self.display.env or None,
            stdin=stdin,
            timeout=self.command_timeout_ms / 1000,
        )


def _click(button: int, *, repeat: int = 1) -> list[str]:
    steps = ["click", "--delay", "0"]
    if repeat != 1:
        steps += ["--repeat", str(repeat)]
    return [*steps, str(button)]
