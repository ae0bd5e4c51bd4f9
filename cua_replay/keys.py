"""Model key names -> Playwright key names, and how a chord is pressed.

Models name keys loosely (``CTRL``, ``return``, ``PAGE_DOWN``, ``cmd``,
``f5``); Playwright's keyboard accepts an exact, case-sensitive vocabulary and
throws ``Unknown key`` on anything else. :func:`map_keys` is the one
translation, pure and total on the documented vocabulary:

* A single printable character is itself (``/`` stays ``/``, never
  ``Divide``; ``A`` stays ``A``, case is meaningful). The control characters
  ``\\t``, ``\\n``, ``\\r``, ``\\b`` and ESC become Tab, Enter, Enter,
  Backspace and Escape; any other control character is refused.
* Every other name is looked up case-insensitively with ``_``, ``-`` and
  spaces ignored, first among :data:`KEY_ALIASES` (what models and peers
  emit), then among every name Playwright's US layout accepts
  (``keya`` -> ``KeyA``, ``numpad_add`` -> ``NumpadAdd``), then F13-F24,
  which Playwright lacks and the executor sends over CDP.
* A name with ``+`` inside (``"CTRL+A"``, ``"ctrl++"``) is split into a chord;
  a trailing ``+`` is the plus key.
* Anything else raises :class:`~cua_replay.errors.UnknownKey` with close
  matches, before anything reaches the browser.

:func:`chord` turns mapped keys into key strokes: modifiers go down in
order, every other key is pressed in order, modifiers come up in reverse.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ._layout import US_LAYOUT
from .errors import UnknownKey

#: Modifier key values as Playwright tracks them (``kModifiers`` in its server).
MODIFIERS: frozenset[str] = frozenset({"Alt", "Control", "Meta", "Shift"})

#: Keys that Playwright's layout lacks; the executor dispatches them itself.
EXTRA_KEYS: dict[str, int] = {f"F{n}": 111 + n for n in range(13, 25)}  # name -> keyCode


def _playwright_names() -> dict[str, str]:
    """Every name ``keyboard.press`` accepts, mapped to the ``event.key`` it produces unshifted."""
    names: dict[str, str] = {}
    for code, (key, shifted, location) in US_LAYOUT.items():
        names[code] = key
        if location:
            continue
        if len(key) == 1:
            names[key] = key
        if shifted is not None:
            names[shifted] = shifted
    for alias, code in {
        "Shift": "ShiftLeft",
        "Control": "ControlLeft",
        "Alt": "AltLeft",
        "Meta": "MetaLeft",
        "\n": "Enter",
        "\r": "Enter",
    }.items():
        names[alias] = US_LAYOUT[code][0]
    names["ControlOrMeta"] = "Control"  # Playwright resolves this per OS; Control off macOS
    return names


#: Every key name Playwright's keyboard accepts -> its unshifted ``event.key``.
PLAYWRIGHT_KEYS: dict[str, str] = _playwright_names()

#: Names models and peers emit that are not Playwright names, -> the Playwright name.
#: Looked up case-insensitively, ignoring ``_``, ``-`` and spaces.
KEY_ALIASES: dict[str, str] = {
    "RETURN": "Enter",
    "ENTER": "Enter",
    "ESC": "Escape",
    "DEL": "Delete",
    "INS": "Insert",
    "PGUP": "PageUp",
    "PGDN": "PageDown",
    "PGDOWN": "PageDown",
    "UP": "ArrowUp",
    "DOWN": "ArrowDown",
    "LEFT": "ArrowLeft",
    "RIGHT": "ArrowRight",
    "CTRL": "Control",
    "CTL": "Control",
    "OPTION": "Alt",
    "OPT": "Alt",
    "CMD": "Meta",
    "COMMAND": "Meta",
    "SUPER": "Meta",
    "WIN": "Meta",
    "WINDOWS": "Meta",
    "OS": "Meta",
    "PRINT": "PrintScreen",
    "PRTSC": "PrintScreen",
    "PRINT_SCREEN": "PrintScreen",
    "SCROLL": "ScrollLock",
    "BREAK": "Pause",
    "MENU": "ContextMenu",
    "APPS": "ContextMenu",
    "BKSP": "Backspace",
    "BACK_SPACE": "Backspace",
    "PLUS": "+",
    "SPACEBAR": "Space",
}

_CONTROL_CHARACTERS = {"\t": "Tab", "\n": "\n", "\r": "\r", "\b": "Backspace", "\x1b": "Escape"}
_SEPARATORS = re.compile(r"[\s_\-]+")


def _fold(name: str) -> str:
    return _SEPARATORS.sub("", name).lower()


def _lookup_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in [*EXTRA_KEYS, *(n for n in PLAYWRIGHT_KEYS if len(n) > 1)]:
        folded = _fold(name)
        if table.get(folded, name) != name:  # pragma: no cover - guarded by tests
            raise RuntimeError(f"key names {table[folded]!r} and {name!r} collide")
        table[folded] = name
    for alias, target in KEY_ALIASES.items():
        table[_fold(alias)] = target
    return table


_TABLE: dict[str, str] = _lookup_table()


def map_key(name: str) -> list[str]:
    """Map one model key name to one or more Playwright names (more for ``"CTRL+A"``)."""
    if not isinstance(name, str):
        raise UnknownKey(repr(name))
    if len(name) == 1:
        if name in _CONTROL_CHARACTERS:
            return [_CONTROL_CHARACTERS[name]]
        if not name.isprintable():
            raise UnknownKey(name)
        return [name]
    found = _TABLE.get(_fold(name))
    if found is not None:
        return [found]
    if "+" in name:
        return _map_combination(name)
    raise UnknownKey(name, _suggest(name))


def map_keys(keys: Sequence[str]) -> list[str]:
    """Map model key names to Playwright key names, in order; see the module docstring."""
    mapped: list[str] = []
    for name in keys:
        mapped.extend(map_key(name))
    return mapped


def _map_combination(name: str) -> list[str]:
    parts = name.split("+")
    if parts[-1] == "" and len(parts) >= 2:
        while parts and parts[-1] == "":
            parts.pop()
        parts.append("+")
    if any(part == "" for part in parts):
        raise UnknownKey(name, ("e.g. 'CTRL+A' or ['CTRL', 'A']",))
    mapped: list[str] = []
    for part in parts:
        mapped.extend(map_key(part.strip() or part))
    return mapped


def _suggest(name: str) -> tuple[str, ...]:
    folded = _fold(name)
    close = difflib.get_close_matches(folded, _TABLE, n=3, cutoff=0.6)
    return tuple(dict.fromkeys(_TABLE[c] for c in close))


def is_modifier(key: str) -> bool:
    """True for a mapped key that Playwright holds as a modifier (Shift, ControlLeft, ...)."""
    return PLAYWRIGHT_KEYS.get(key) in MODIFIERS


def event_key(key: str, *, shift: bool = False) -> str:
    """The ``KeyboardEvent.key`` a browser reports for a mapped key (US layout)."""
    if key not in PLAYWRIGHT_KEYS:
        return key  # F13-F24 and non-ASCII characters, dispatched as themselves
    if shift:
        return _SHIFTED.get(key, PLAYWRIGHT_KEYS[key])
    return PLAYWRIGHT_KEYS[key]


def _shifted_keys() -> dict[str, str]:
    # Playwright shifts only keys named by their code ("KeyA", "Digit1"); a
    # character name ("a", "1") is the character whatever the Shift state.
    return {code: shift for code, (_, shift, _) in US_LAYOUT.items() if shift is not None}


_SHIFTED: dict[str, str] = _shifted_keys()


@dataclass(frozen=True, slots=True)
class KeyStroke:
    """One key going down or up."""

    kind: Literal["down", "up"]
    key: str


def chord(keys: Sequence[str]) -> list[KeyStroke]:
    """Key strokes for pressing mapped ``keys`` together.

    Modifiers are held (each once, in order), every other key is pressed and
    released in order, then the modifiers are released in reverse order, so
    ``["Control", "a"]`` selects all instead of typing ``a``.
    """
    held = list(dict.fromkeys(k for k in keys if is_modifier(k)))
    strokes = [KeyStroke("down", k) for k in held]
    for key in keys:
        if not is_modifier(key):
            strokes += [KeyStroke("down", key), KeyStroke("up", key)]
    strokes += [KeyStroke("up", k) for k in reversed(held)]
    return strokes
