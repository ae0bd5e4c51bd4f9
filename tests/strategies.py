"""Hypothesis strategies for wire computer calls, friendly and hostile."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from cua_replay.geometry import Viewport

from .vocabulary import DOCUMENTED

BUTTONS = ("left", "right", "wheel", "back", "forward")
POINTER_TYPES = ("click", "double_click", "move", "scroll", "drag")

#: Anything a JSON decoder (or a confused model) might put where an int belongs.
hostile_numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, -1, 10**12, -(10**12), 2**63, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([12.0, -3.0, 1e20, float("nan"), float("inf")]),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
)
friendly_numbers = st.integers(-(10**12), 10**12) | st.integers(-50, 5000)
key_names = st.sampled_from(sorted(DOCUMENTED))


def viewports() -> st.SearchStrategy[Viewport]:
    """Page sizes with an identical, HiDPI or different model coordinate space."""
    sizes = st.integers(1, 4000)
    return st.one_of(
        st.builds(Viewport, sizes, sizes),
        st.builds(Viewport.hidpi, sizes, sizes, st.sampled_from([1.25, 1.5, 2.0, 3.0])),
        st.builds(
            lambda w, h, mw, mh: Viewport(w, h, model_width=mw, model_height=mh),
            sizes,
            sizes,
            sizes,
            sizes,
        ),
    )


@st.composite
def wire_actions(
    draw: st.DrawFn, *, hostile: bool = True, types: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """One wire action; with ``hostile`` fields may be missing, mistyped or absurd."""
    number = hostile_numbers if hostile else friendly_numbers
    kind = draw(
        st.sampled_from(types or (*POINTER_TYPES, "keypress", "type", "wait", "screenshot"))
    )
    action: dict[str, Any] = {"type": kind}
    if kind in ("click", "double_click", "move", "scroll"):
        action |= {"x": draw(number), "y": draw(number)}
    if kind == "click":
        action["button"] = draw(
            st.sampled_from(BUTTONS) | st.text(max_size=6) if hostile else st.sampled_from(BUTTONS)
        )
    if kind == "scroll":
        action |= {"scroll_x": draw(number), "scroll_y": draw(number)}
    if kind == "drag":
        point = st.fixed_dictionaries({"x": number, "y": number})
        action["path"] = draw(st.lists(point, min_size=0 if hostile else 2, max_size=8))
    if kind == "keypress":
        action["keys"] = draw(
            st.lists(
                key_names | (st.text(max_size=5) if hostile else key_names),
                min_size=0 if hostile else 1,
                max_size=4,
            )
        )
    if kind == "type":
        action["text"] = draw(
            st.text(max_size=20) | (st.integers() if hostile else st.text(max_size=1))
        )
    if kind in POINTER_TYPES and draw(st.booleans()):
        action["keys"] = draw(
            st.none() | st.lists(st.sampled_from(["SHIFT", "ctrl", "Alt", "CMD"]), max_size=2)
        )
    if hostile and action and draw(st.integers(0, 9)) == 0:
        del action[draw(st.sampled_from(sorted(action)))]  # drop a field, maybe even "type"
    return action


@st.composite
def wire_calls(
    draw: st.DrawFn, *, hostile: bool = True, types: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """A computer_call in preview (``action``) or GA (``actions``, up to 50) form."""
    call: dict[str, Any] = {
        "type": "computer_call",
        "id": "cu_1",
        "call_id": "call_1",
        "status": "completed",
        "pending_safety_checks": [],
    }
    form = draw(
        st.sampled_from(
            ["action", "actions", "both", "neither"] if hostile else ["action", "actions"]
        )
    )
    action = wire_actions(hostile=hostile, types=types)
    if form in ("action", "both"):
        call["action"] = draw(action)
    if form in ("actions", "both"):
        call["actions"] = draw(st.lists(action, min_size=0 if hostile else 1, max_size=50))
    return call
