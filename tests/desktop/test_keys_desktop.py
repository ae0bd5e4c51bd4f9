"""Every key name of the browser's vocabulary, and generated chords, arrive on X as keysyms."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cua_replay.actions import Keypress, Type
from cua_replay.errors import UnknownKey
from cua_replay.executors.desktop import DesktopExecutor
from cua_replay.executors.xdisplay import XDisplay
from cua_replay.executors.xkeys import MODIFIER_KEYSYMS, x_keysym
from cua_replay.keys import EXTRA_KEYS, PLAYWRIGHT_KEYS, is_modifier, map_keys

from ..vocabulary import DOCUMENTED
from .xclient import MODIFIER_MASKS, Recorder

#: Every mapped name the executor can be given: Playwright's, F13-F24, and what the
#: documented model names (aliases included) map to.
VOCABULARY = sorted(
    {*PLAYWRIGHT_KEYS, *EXTRA_KEYS, *(k for n in DOCUMENTED for k in map_keys([n]))}
)
HELD_MASK = sum(MODIFIER_MASKS.values())


@pytest.fixture(scope="module")
def executor(xvfb: XDisplay) -> DesktopExecutor:
    return DesktopExecutor(xvfb)


def press(executor: DesktopExecutor, *keys: str) -> None:
    asyncio.run(executor.execute(Keypress(keys=keys, model_keys=keys)))


@pytest.mark.parametrize("key", VOCABULARY)
def test_every_name_arrives_as_its_keysym(
    executor: DesktopExecutor, recorder: Recorder, key: str
) -> None:
    recorder.take()
    press(executor, key)
    received = recorder.key_events()
    want = x_keysym(key)
    assert received, f"{key!r}: no key event"
    assert received[-1].keysym == want.value, (key, want, received)
    if not want.is_modifier:  # xdotool adds Shift for a shifted character, no other modifier
        added = {MODIFIER_NAMES.get(e.keysym) for e in received[:-1]}
        assert added <= {"Shift_L", None}, (key, received)


#: Modifier keysym value -> name, for telling which modifiers xdotool pressed on its own.
MODIFIER_NAMES = {
    sym.value: sym.name for sym in map(x_keysym, VOCABULARY) if sym.name in MODIFIER_KEYSYMS
}


MODIFIERS = ("Control", "Alt", "Meta", "ControlLeft", "AltLeft", "MetaLeft")
KEYS = [k for k in VOCABULARY if not is_modifier(k) and k not in ("CapsLock", "NumLock")]


@settings(max_examples=40, deadline=None)
@given(
    held=st.lists(st.sampled_from(MODIFIERS), max_size=3, unique=True),
    key=st.sampled_from(KEYS),
)
def test_chords_hold_modifiers_and_release_them_in_reverse(
    executor: DesktopExecutor, recorder: Recorder, held: list[str], key: str
) -> None:
    recorder.take()
    press(executor, *held, key)
    received = recorder.key_events()
    want = x_keysym(key)
    final = received[-1]
    assert final.keysym == want.value
    for name in held:
        assert final.state & MODIFIER_MASKS[name.removesuffix("Left")], (held, key, final)
    press(executor, "KeyB")  # every modifier came up again
    assert recorder.key_events()[-1].state & HELD_MASK == 0


def test_shift_chord_is_the_shifted_keysym(executor: DesktopExecutor, recorder: Recorder) -> None:
    recorder.take()
    press(executor, "Shift", "KeyA")
    received = recorder.key_events()
    assert [e.keysym for e in received] == [x_keysym("Shift").value, ord("A")]


def test_type_sends_unicode_text(executor: DesktopExecutor, recorder: Recorder) -> None:
    text = "héllo, wörld! €→ñ ✓\n"
    recorder.take()
    asyncio.run(executor.execute(Type(text=text)))
    received = [e.keysym for e in recorder.key_events()]
    typed = [s for s in received if s != x_keysym("Shift").value]
    assert typed == [x_keysym(c).value for c in text]


def test_an_unknown_key_raises_before_anything_reaches_the_display(
    executor: DesktopExecutor, recorder: Recorder
) -> None:
    recorder.take()
    with pytest.raises(UnknownKey):
        press(executor, "Control", "NoSuchKey")
    with pytest.raises(UnknownKey):
        asyncio.run(executor.execute(Type(text="ok\x07")))
    assert recorder.take() == []
