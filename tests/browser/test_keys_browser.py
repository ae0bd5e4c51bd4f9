"""Key names reach a real Chromium as the expected ``event.key`` and modifier state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cua_replay.actions import Keypress, parse_call
from cua_replay.geometry import Viewport
from cua_replay.keys import PLAYWRIGHT_KEYS, chord, event_key, is_modifier, map_keys

from ..conftest import BROWSER_EXAMPLES, BrowserHarness
from ..vocabulary import DOCUMENTED, ISSUE_NAMES, PEERS_TABLE_B

_VIEWPORT = Viewport(800, 600)
_FLAGS = {"Shift": "shift", "Control": "ctrl", "Alt": "alt", "Meta": "meta"}


@pytest.fixture(scope="module")
def key_page(browser: BrowserHarness) -> Any:
    page = browser.run(browser.new_page(width=800, height=600))
    browser.run(lambda: page.goto(browser.sandbox.site.url("/keys.html")))
    executor = browser.executor(page)
    return page, executor


def expected_events(keys: list[str]) -> list[dict[str, Any]]:
    """The keydown/keyup log the key recorder must show for pressing ``keys`` as one chord."""
    held: list[str] = []
    events = []
    for stroke in chord(keys):
        modifier = PLAYWRIGHT_KEYS.get(stroke.key) if is_modifier(stroke.key) else None
        if modifier and stroke.kind == "down":
            held.append(modifier)
        if modifier and stroke.kind == "up":
            held.remove(modifier)
        events.append(
            {
                "type": "key" + stroke.kind,
                "key": event_key(stroke.key, shift="Shift" in held),
                **{flag: name in held for name, flag in _FLAGS.items()},
            }
        )
    return events


def press_and_read(
    browser: BrowserHarness, key_page: Any, keypresses: list[list[str]]
) -> list[dict[str, Any]]:
    page, executor = key_page

    async def go() -> list[dict[str, Any]]:
        await page.evaluate("window.__log.length = 0")
        for keys in keypresses:
            (action,) = parse_call(
                {"call_id": "call_k", "action": {"type": "keypress", "keys": keys}}, _VIEWPORT
            )
            assert isinstance(action, Keypress)
            await executor.execute(action)
        log: list[dict[str, Any]] = await page.evaluate("window.__log")
        return [{k: e[k] for k in ("type", "key", "shift", "ctrl", "alt", "meta")} for e in log]

    events = browser.run(go())
    assert page.url.endswith("/keys.html"), f"a key navigated away to {page.url}"
    return events


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(sorted({**PEERS_TABLE_B, **ISSUE_NAMES}), id="peers-table-b-and-issue"),
        pytest.param(sorted(PLAYWRIGHT_KEYS), id="every-playwright-name"),
        pytest.param(sorted(DOCUMENTED), id="whole-vocabulary"),
    ],
)
def test_every_key_name_gives_the_expected_event_key(
    browser: BrowserHarness, key_page: Any, names: list[str]
) -> None:
    # One keypress per name, all in one page visit; Playwright must reject none.
    events = press_and_read(browser, key_page, [[name] for name in names])
    expected = [e for name in names for e in expected_events(map_keys([name]))]
    mismatches = [
        (i, got, want)
        for i, (got, want) in enumerate(zip(events, expected, strict=False))
        if got != want
    ]
    assert not mismatches[:5]
    assert len(events) == len(expected)


def test_control_a_is_a_chord_not_two_presses(browser: BrowserHarness, key_page: Any) -> None:
    events = press_and_read(browser, key_page, [["CTRL", "A"]])
    assert [(e["type"], e["key"], e["ctrl"]) for e in events] == [
        ("keydown", "Control", True),
        ("keydown", "A", True),
        ("keyup", "A", True),
        ("keyup", "Control", False),
    ]


def test_slash_and_plus_are_themselves(browser: BrowserHarness, key_page: Any) -> None:
    events = press_and_read(browser, key_page, [["/"], ["CTRL", "+"], ["ctrl++"]])
    keys = [e["key"] for e in events if e["type"] == "keydown"]
    assert keys == ["/", "Control", "+", "Control", "+"]


_MODIFIER_SPELLINGS = st.sampled_from(
    [
        "CTRL",
        "ctrl",
        "Control",
        "CONTROL",
        "SHIFT",
        "shift",
        "ALT",
        "OPTION",
        "CMD",
        "META",
        "win",
        "SUPER",
    ]
)
_OTHER_KEYS = st.sampled_from(sorted(n for n in DOCUMENTED if not is_modifier(map_keys([n])[0])))


@settings(max_examples=BROWSER_EXAMPLES)
@given(
    st.lists(_MODIFIER_SPELLINGS, max_size=3, unique=True),
    st.lists(_OTHER_KEYS, min_size=1, max_size=2),
)
def test_generated_chords_give_the_expected_events(
    browser: BrowserHarness, key_page: Any, modifiers: list[str], others: list[str]
) -> None:
    keys = [*modifiers, *others]
    events = press_and_read(browser, key_page, [keys])
    assert events == expected_events(map_keys(keys))
