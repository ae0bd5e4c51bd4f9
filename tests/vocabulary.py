"""Key names the tests must handle: peers.md table (b), our aliases, Playwright's own names."""

from __future__ import annotations

from cua_replay.keys import EXTRA_KEYS, KEY_ALIASES, PLAYWRIGHT_KEYS

#: Every model key name of peers.md table (b) -> the Playwright name it must map to.
PEERS_TABLE_B: dict[str, str] = {
    "ENTER": "Enter",
    "RETURN": "Enter",
    "ESC": "Escape",
    "ESCAPE": "Escape",
    "TAB": "Tab",
    "SPACE": "Space",
    "BACKSPACE": "Backspace",
    "DELETE": "Delete",
    "DEL": "Delete",
    "INSERT": "Insert",
    "HOME": "Home",
    "END": "End",
    "PAGEUP": "PageUp",
    "PAGEDOWN": "PageDown",
    "PAGE_UP": "PageUp",
    "PGUP": "PageUp",
    "PAGE_DOWN": "PageDown",
    "PGDN": "PageDown",
    "ARROWUP": "ArrowUp",
    "ARROWDOWN": "ArrowDown",
    "ARROWLEFT": "ArrowLeft",
    "ARROWRIGHT": "ArrowRight",
    "UP": "ArrowUp",
    "DOWN": "ArrowDown",
    "LEFT": "ArrowLeft",
    "RIGHT": "ArrowRight",
    "CTRL": "Control",
    "CONTROL": "Control",
    "ALT": "Alt",
    "OPTION": "Alt",
    "SHIFT": "Shift",
    "CMD": "Meta",
    "COMMAND": "Meta",
    "META": "Meta",
    "SUPER": "Meta",
    "WIN": "Meta",
    "WINDOWS": "Meta",
    "CAPSLOCK": "CapsLock",
    "CAPS_LOCK": "CapsLock",
    **{f"F{n}": f"F{n}" for n in range(1, 13)},
    **{f"f{n}": f"F{n}" for n in range(1, 13)},
    "PRINT": "PrintScreen",
    "PRINTSCREEN": "PrintScreen",
    "NUMLOCK": "NumLock",
    "SCROLLLOCK": "ScrollLock",
    "PAUSE": "Pause",
    "/": "/",
    "\\": "\\",
    "+": "+",
    ",": ",",
    "A": "A",
    "a": "a",
    "1": "1",
    # the Azure Learn doc's lower-case vocabulary (seed 001)
    "ctrl": "Control",
    "enter": "Enter",
    "esc": "Escape",
    "arrowdown": "ArrowDown",
    "win": "Meta",
    "cmd": "Meta",
    "super": "Meta",
    "option": "Alt",
}

#: Everything else the issue lists by name.
ISSUE_NAMES: dict[str, str] = {
    "INS": "Insert",
    "CONTEXTMENU": "ContextMenu",
    "NUMLOCK": "NumLock",
    "SCROLLLOCK": "ScrollLock",
    **{f"F{n}": f"F{n}" for n in range(13, 25)},
    **{f"f{n}": f"F{n}" for n in range(13, 25)},
}

#: The whole documented vocabulary: name -> the Playwright name it maps to.
DOCUMENTED: dict[str, str] = {
    **PEERS_TABLE_B,
    **ISSUE_NAMES,
    **{alias: target for alias, target in KEY_ALIASES.items()},
    **{name: name for name in PLAYWRIGHT_KEYS},
    **{name: name for name in EXTRA_KEYS},
}
