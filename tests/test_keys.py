from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cua_replay.errors import UnknownKey
from cua_replay.keys import (
    EXTRA_KEYS,
    MODIFIERS,
    PLAYWRIGHT_KEYS,
    KeyStroke,
    chord,
    event_key,
    is_modifier,
    map_key,
    map_keys,
)

from .vocabulary import DOCUMENTED, ISSUE_NAMES, PEERS_TABLE_B


@pytest.mark.parametrize(("name", "expected"), sorted({**PEERS_TABLE_B, **ISSUE_NAMES}.items()))
def test_map_keys_maps_every_peer_and_issue_name(name: str, expected: str) -> None:
    assert map_keys([name]) == [expected]


@pytest.mark.parametrize("name", sorted(PLAYWRIGHT_KEYS))
def test_map_keys_keeps_every_playwright_name(name: str) -> None:
    assert map_keys([name]) == [name]


@pytest.mark.parametrize("name", sorted(n for n in PLAYWRIGHT_KEYS if len(n) > 1))
def test_map_keys_accepts_playwright_names_in_any_case(name: str) -> None:
    assert map_keys([name.upper()]) == [name]
    assert map_keys([name.lower()]) == [name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/", "/"),  # never "Divide" (openai-cua-sample-app's bug)
        ("PAGE_DOWN", "PageDown"),
        ("page-down", "PageDown"),
        ("Page Down", "PageDown"),
        ("caps_lock", "CapsLock"),
        ("numpad_add", "NumpadAdd"),
        ("keya", "KeyA"),
        ("f5", "F5"),
        ("F24", "F24"),
        ("\t", "Tab"),
        ("\n", "\n"),
        ("é", "é"),
        (" ", " "),
        ("-", "-"),
        ("_", "_"),
    ],
)
def test_map_key_spellings(name: str, expected: str) -> None:
    assert map_key(name) == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CTRL+A", ["Control", "A"]),
        ("ctrl++", ["Control", "+"]),
        ("Shift+", ["Shift", "+"]),
        ("cmd+shift+z", ["Meta", "Shift", "z"]),
    ],
)
def test_map_key_splits_plus_combinations(name: str, expected: list[str]) -> None:
    assert map_key(name) == expected


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("PAGEDWN", "PageDown"),  # typo: nearest alias
        ("ENTR", "Enter"),
        ("CONTROLL", "Control"),
        ("ESCAPEE", "Escape"),
    ],
)
def test_unknown_key_raises_with_close_matches(name: str, suggestion: str) -> None:
    with pytest.raises(UnknownKey) as info:
        map_keys([name])
    assert suggestion in info.value.suggestions
    assert f"Did you mean {suggestion!r}" in str(info.value) or repr(suggestion) in str(info.value)
    assert name in str(info.value)


@pytest.mark.parametrize("name", ["", "\x00", "\x7f", "CTRL+", "+A", "a++b", "Hyper", "Divide"])
def test_map_keys_refuses_nonsense(name: str) -> None:
    if name in ("CTRL+",):  # a trailing + is the plus key
        assert map_keys([name]) == ["Control", "+"]
        return
    with pytest.raises(UnknownKey):
        map_keys([name])


def test_unknown_key_without_suggestions_points_at_the_vocabulary() -> None:
    with pytest.raises(UnknownKey, match="KEY_ALIASES"):
        map_keys(["zzzzzzzzzzzz"])


def test_unknown_key_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        map_keys(["nope-nope-nope"])


def test_chord_holds_modifiers_presses_rest_releases_in_reverse() -> None:
    assert chord(["Control", "Shift", "t"]) == [
        KeyStroke("down", "Control"),
        KeyStroke("down", "Shift"),
        KeyStroke("down", "t"),
        KeyStroke("up", "t"),
        KeyStroke("up", "Shift"),
        KeyStroke("up", "Control"),
    ]


def test_chord_of_modifiers_only_presses_each_once() -> None:
    assert chord(["Shift", "Shift"]) == [KeyStroke("down", "Shift"), KeyStroke("up", "Shift")]


def test_modifiers_are_exactly_playwrights() -> None:
    assert {k for k in PLAYWRIGHT_KEYS if is_modifier(k)} == {
        "Alt",
        "AltLeft",
        "AltRight",
        "Control",
        "ControlLeft",
        "ControlRight",
        "ControlOrMeta",
        "Meta",
        "MetaLeft",
        "MetaRight",
        "Shift",
        "ShiftLeft",
        "ShiftRight",
    }
    assert {PLAYWRIGHT_KEYS[k] for k in PLAYWRIGHT_KEYS if is_modifier(k)} == MODIFIERS


def test_event_key_follows_playwright_shift_rules() -> None:
    assert event_key("KeyA") == "a"
    assert event_key("KeyA", shift=True) == "A"
    assert event_key("a", shift=True) == "a"  # a character name is the character
    assert event_key("Digit1", shift=True) == "!"
    assert event_key("\n") == "Enter"
    assert event_key("F13") == "F13"


# --- properties -----------------------------------------------------------------

_SEPARATOR = st.sampled_from(["", "_", "-", " "])


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A documented key name in a random casing, with random separators inside, and its target."""
    name, target = draw(st.sampled_from(sorted(DOCUMENTED.items())))
    if len(name) == 1:
        return name, target
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    cut = draw(st.integers(0, len(cased)))
    if 0 < cut < len(cased) and cased[cut - 1].isalnum() and cased[cut].isalnum():
        cased = cased[:cut] + draw(_SEPARATOR) + cased[cut:]
    return cased, target


@given(spellings())
@example(("PaGe_DoWn", "PageDown"))
@example(("f-1-2", "F12"))
def test_map_keys_is_total_on_the_documented_vocabulary(spelling: tuple[str, str]) -> None:
    name, target = spelling
    assert map_keys([name]) == [target]


@given(st.lists(spellings(), max_size=6))
def test_map_keys_is_deterministic_and_stable_on_its_output(spelled: list[tuple[str, str]]) -> None:
    names = [name for name, _ in spelled]
    once = map_keys(names)
    assert once == map_keys(names)
    assert map_keys(once) == once


@given(st.text(max_size=20))
@example("ControlOrMeta")
@example("\x1b")
def test_map_keys_either_maps_to_pressable_keys_or_raises_unknown_key(name: str) -> None:
    try:
        mapped = map_keys([name])
    except UnknownKey:
        return
    for key in mapped:
        assert key in PLAYWRIGHT_KEYS or key in EXTRA_KEYS or (len(key) == 1 and key.isprintable())
    assert map_keys(mapped) == mapped


@given(st.lists(spellings(), min_size=1, max_size=6))
def test_chord_presses_every_key_and_releases_everything(spelled: list[tuple[str, str]]) -> None:
    keys = map_keys([name for name, _ in spelled])
    strokes = chord(keys)
    down = [s.key for s in strokes if s.kind == "down"]
    up = [s.key for s in strokes if s.kind == "up"]
    assert sorted(down) == sorted(up)
    assert set(down) == set(keys)
    held: list[str] = []
    for stroke in strokes:
        if is_modifier(stroke.key):
            if stroke.kind == "down":
                held.append(stroke.key)
            else:
                assert held.pop() == stroke.key  # released in reverse order
    assert held == []
