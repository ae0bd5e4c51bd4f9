"""A small X client of the tests' own: records the key and pointer events it receives.

A window covering the screen takes the input focus and records every
KeyPress (keysym at the level the Shift state selects, and the modifier
state), ButtonPress/ButtonRelease and pointer motion. :meth:`Recorder.take`
makes one round trip on its connection first: the X server sends every event
it generated before answering, so after an xdotool command has returned
(its connection closed, which syncs) every event it caused is collected,
without waiting for a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from Xlib import X, display


@dataclass(frozen=True)
class KeyEvent:
    keysym: int
    state: int
    keycode: int


@dataclass(frozen=True)
class ButtonEvent:
    kind: str  # "press" | "release"
    button: int
    x: int
    y: int
    state: int


@dataclass(frozen=True)
class Motion:
    x: int
    y: int
    state: int


Event = KeyEvent | ButtonEvent | Motion

MODIFIER_MASKS = {"Shift": X.ShiftMask, "Control": X.ControlMask, "Alt": X.Mod1Mask}
MODIFIER_MASKS["Meta"] = X.Mod4Mask  # Super_L on Xvfb's default keymap


class Recorder:
    def __init__(self, name: str, width: int, height: int) -> None:
        self._display: Any = display.Display(name)
        screen = self._display.screen()
        self._window = screen.root.create_window(
            0,
            0,
            width,
            height,
            0,
            screen.root_depth,
            background_pixel=screen.white_pixel,
            override_redirect=True,
            event_mask=X.KeyPressMask
            | X.ButtonPressMask
            | X.ButtonReleaseMask
            | X.PointerMotionMask,
        )
        self._window.map()
        self._display.sync()
        self.focus()

    def focus(self) -> None:
        self._window.raise_window()
        self._window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self._display.sync()
        self.take()

    def take(self) -> list[Event]:
        """Every event received so far, oldest first."""
        self._display.sync()
        events: list[Event] = []
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type == X.MappingNotify:
                self._display.refresh_keyboard_mapping(event)
            elif event.type == X.KeyPress:
                # X's rule: Shift selects the second keysym, unless it is NoSymbol.
                keysym = self._display.keycode_to_keysym(event.detail, 0)
                if event.state & X.ShiftMask:
                    keysym = self._display.keycode_to_keysym(event.detail, 1) or keysym
                events.append(KeyEvent(keysym, event.state, event.detail))
            elif event.type in (X.ButtonPress, X.ButtonRelease):
                kind = "press" if event.type == X.ButtonPress else "release"
                events.append(
                    ButtonEvent(kind, event.detail, event.root_x, event.root_y, event.state)
                )
            elif event.type == X.MotionNotify:
                events.append(Motion(event.root_x, event.root_y, event.state))
        return events

    def key_events(self) -> list[KeyEvent]:
        return [e for e in self.take() if isinstance(e, KeyEvent)]

    def pointer(self) -> tuple[int, int]:
        reply = self._window.query_pointer()
        return reply.root_x, reply.root_y

    def paint(self, x: int, y: int, width: int, height: int, pixel: int) -> Any:
        """Map a ``pixel``-coloured (0xRRGGBB) window: something a screenshot must show."""
        screen = self._display.screen()
        child = screen.root.create_window(
            x,
            y,
            width,
            height,
            0,
            screen.root_depth,
            background_pixel=pixel,
            override_redirect=True,
        )
        child.map()
        self._display.sync()
        return child

    def close(self) -> None:
        self._display.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
