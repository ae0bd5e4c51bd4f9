"""Mapped key names (:mod:`cua_replay.keys`) -> X keysyms, for the desktop executor.

The model's key vocabulary is mapped once, by :func:`cua_replay.keys.map_keys`,
to Playwright's names; this module only says which X keysym each of those
names is, so the browser and the desktop accept exactly the same keys (no
third key map, as the peers keep). It is pure and total on that vocabulary:

* a named key (``Enter``, ``KeyA``, ``NumpadAdd``, ``F24``, ``ControlLeft``)
  is the keysym the same physical key produces unshifted on a US keyboard,
  as the browser reports it (``Numpad7`` is ``KP_Home``: NumLock off);
* a single character is its Unicode keysym (``a`` is ``a``, ``A`` is ``A``,
  ``é`` is ``eacute``, ``€`` is ``U20AC``); xdotool adds Shift when the
  keymap has the character on the shifted level;
* ``Meta`` (the models' ``CMD``/``WIN``/``SUPER``) is ``Super_L``, the key
  desktops bind to the OS; ``ControlOrMeta`` is ``Control_L``, as off macOS.

Anything else raises :class:`~cua_replay.errors.UnknownKey` before a
command is built, so nothing reaches the display.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownKey
from ..keys import EXTRA_KEYS, PLAYWRIGHT_KEYS

#: Named keys -> (X keysym name, keysym value). Values are from X11's keysymdef.h.
NAMED_KEYSYMS: dict[str, tuple[str, int]] = {
    "Enter": ("Return", 0xFF0D),
    "\n": ("Return", 0xFF0D),
    "\r": ("Return", 0xFF0D),
    "Tab": ("Tab", 0xFF09),
    "\t": ("Tab", 0xFF09),
    "Backspace": ("BackSpace", 0xFF08),
    "Escape": ("Escape", 0xFF1B),
    "Delete": ("Delete", 0xFFFF),
    "Insert": ("Insert", 0xFF63),
    "Home": ("Home", 0xFF50),
    "End": ("End", 0xFF57),
    "PageUp": ("Prior", 0xFF55),
    "PageDown": ("Next", 0xFF56),
    "ArrowLeft": ("Left", 0xFF51),
    "ArrowUp": ("Up", 0xFF52),
    "ArrowRight": ("Right", 0xFF53),
    "ArrowDown": ("Down", 0xFF54),
    "Space": ("space", 0x20),
    "CapsLock": ("Caps_Lock", 0xFFE5),
    "NumLock": ("Num_Lock", 0xFF7F),
    "ScrollLock": ("Scroll_Lock", 0xFF14),
    "Pause": ("Pause", 0xFF13),
    "PrintScreen": ("Print", 0xFF61),
    "ContextMenu": ("Menu", 0xFF67),
    "Shift": ("Shift_L", 0xFFE1),
    "ShiftLeft": ("Shift_L", 0xFFE1),
    "ShiftRight": ("Shift_R", 0xFFE2),
    "Control": ("Control_L", 0xFFE3),
    "ControlLeft": ("Control_L", 0xFFE3),
    "ControlRight": ("Control_R", 0xFFE4),
    "ControlOrMeta": ("Control_L", 0xFFE3),
    "Alt": ("Alt_L", 0xFFE9),
    "AltLeft": ("Alt_L", 0xFFE9),
    "AltRight": ("Alt_R", 0xFFEA),
    "AltGraph": ("ISO_Level3_Shift", 0xFE03),
    "Meta": ("Super_L", 0xFFEB),
    "MetaLeft": ("Super_L", 0xFFEB),
    "MetaRight": ("Super_R", 0xFFEC),
    "AudioVolumeDown": ("XF86AudioLowerVolume", 0x1008FF11),
    "AudioVolumeMute": ("XF86AudioMute", 0x1008FF12),
    "AudioVolumeUp": ("XF86AudioRaiseVolume", 0x1008FF13),
    "MediaPlayPause": ("XF86AudioPlay", 0x1008FF14),
    "MediaTrackPrevious": ("XF86AudioPrev", 0x1008FF16),
    "MediaTrackNext": ("XF86AudioNext", 0x1008FF17),
    "NumpadEnter": ("KP_Enter", 0xFF8D),
    "NumpadMultiply": ("KP_Multiply", 0xFFAA),
    "NumpadAdd": ("KP_Add", 0xFFAB),
    "NumpadSubtract": ("KP_Subtract", 0xFFAD),
    "NumpadDecimal": ("KP_Delete", 0xFF9F),
    "NumpadDivide": ("KP_Divide", 0xFFAF),
    "Numpad0": ("KP_Insert", 0xFF9E),
    "Numpad1": ("KP_End", 0xFF9C),
    "Numpad2": ("KP_Down", 0xFF99),
    "Numpad3": ("KP_Next", 0xFF9B),
    "Numpad4": ("KP_Left", 0xFF96),
    "Numpad5": ("KP_Begin", 0xFF9D),
    "Numpad6": ("KP_Right", 0xFF98),
    "Numpad7": ("KP_Home", 0xFF95),
    "Numpad8": ("KP_Up", 0xFF97),
    "Numpad9": ("KP_Prior", 0xFF9A),
    **{f"F{n}": (f"F{n}", 0xFFBD + n) for n in range(1, 25)},
}

#: X modifier keysyms: held in order for a chord, released in reverse.
MODIFIER_KEYSYMS: frozenset[str] = frozenset(
    {"Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Super_L", "Super_R"}
    | {"ISO_Level3_Shift"}
)


@dataclass(frozen=True, slots=True)
class Keysym:
    """An X keysym: the name xdotool and xmodmap take, and its value."""

    name: str
    value: int

    @property
    def is_modifier(self) -> bool:
        return self.name in MODIFIER_KEYSYMS


def char_keysym(char: str) -> Keysym:
    """The keysym of one character: Latin-1 keysyms are the code point, others U+ keysyms.

    The name is ``Uxxxx``, which ``XStringToKeysym`` (so xdotool and xmodmap)
    reads back as the same value. Control characters have no keysym.
    """
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:
        raise UnknownKey(repr(char))
    value = code if code < 0x100 else 0x01000000 | code
    return Keysym(f"U{code:04X}", value)


def x_keysym(key: str) -> Keysym:
    """The keysym for one mapped key name (see the module docstring); raises UnknownKey."""
    if key in NAMED_KEYSYMS:
        name, value = NAMED_KEYSYMS[key]
        return Keysym(name, value)
    if len(key) == 1:
        return char_keysym(key)
    code_key = PLAYWRIGHT_KEYS.get(key)
    if code_key is not None and len(code_key) == 1:  # KeyA -> a, Digit1 -> 1, Slash -> /
        return char_keysym(code_key)
    raise UnknownKey(key)


def x_keysyms(keys: tuple[str, ...] | list[str]) -> list[Keysym]:
    """Map every key first, so an unknown one raises before anything is sent."""
    return [x_keysym(key) for key in keys]


def _check_total() -> None:
    """Every name the browser accepts has a keysym (an import-time invariant)."""
    for key in (*PLAYWRIGHT_KEYS, *EXTRA_KEYS):
        x_keysym(key)


_check_total()
