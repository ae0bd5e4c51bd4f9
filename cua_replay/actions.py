"""Wire ``computer_call`` -> validated, clamped, key-mapped actions. Pure: no I/O.

:func:`parse_call` is the only way wire actions become executable. It takes a
``computer_call`` in either wire form, the preview tool's single ``action`` or
the GA tool's batched ``actions``, validates the *whole* batch against the
SDK's own pydantic models (strict mode) before anything can run, and returns
one :data:`Action` per wire action. Any problem raises
:class:`~cua_replay.errors.InvalidAction` naming the call id, the action index
and the field.

What is lenient, and what is refused
------------------------------------
Accepted:
  * an integral float where an int belongs (``12.0`` -> 12), as JSON encoders produce;
  * coordinates anywhere, including negative or huge: they are clamped into the
    viewport (see :mod:`cua_replay.geometry`), and ``Position.clamped`` says so;
  * ``keys: null`` or an absent ``keys`` on pointer actions (no modifiers held);
  * unknown extra fields on an action or the call (ignored, as the SDK does);
  * any key spelling :func:`cua_replay.keys.map_keys` knows.
Refused:
  * a bool, string, ``None``, non-integral float, NaN or infinity where an int belongs;
  * a missing required field, an unknown action ``type``, a ``button`` outside
    ``left|right|wheel|back|forward``;
  * both or neither of ``action`` / ``actions``, an empty batch, a batch that is
    not a list, an action that is not an object;
  * a drag ``path`` with fewer than two points (the API guide requires two);
  * a keypress with no keys, or any key name that maps to no key;
  * a call without a string ``call_id`` (the output could not be paired with it).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InvalidAction, UnknownKey
from .geometry import Position, Viewport
from .keys import map_keys

if TYPE_CHECKING:
    from openai.types.responses import ResponseComputerToolCall

Button: TypeAlias = Literal["left", "right", "wheel", "back", "forward"]

_WIRE_TYPES: Final = (
    "click",
    "double_click",
    "drag",
    "keypress",
    "move",
    "screenshot",
    "scroll",
    "type",
    "wait",
)


@functools.cache
def _wire_models() -> dict[str, type[BaseModel]]:
    """The SDK's pydantic model of each wire action type, imported on the first parse.

    ``openai.types.responses`` takes about half a second to import, so
    ``import cua_replay`` (and every CLI command that never parses a call) must
    not pay for it; the validation itself is the SDK's, unchanged.
    """
    from openai.types.responses import computer_action as wire

    models: dict[str, type[BaseModel]] = {
        "click": wire.Click,
        "double_click": wire.DoubleClick,
        "drag": wire.Drag,
        "keypress": wire.Keypress,
        "move": wire.Move,
        "screenshot": wire.Screenshot,
        "scroll": wire.Scroll,
        "type": wire.Type,
        "wait": wire.Wait,
    }
    assert tuple(models) == _WIRE_TYPES  # internal invariant: one list of names
    return models


_INT_FIELDS = ("x", "y", "scroll_x", "scroll_y")


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Pointer(_Action):
    at: Position
    modifiers: tuple[str, ...] = ()
    """Playwright names of the keys held during the action (mapped from the wire ``keys``)."""


class Click(_Pointer):
    """Press and release ``button`` at ``at``; ``back``/``forward`` navigate history."""

    type: Literal["click"] = "click"
    button: Button


class DoubleClick(_Pointer):
    type: Literal["double_click"] = "double_click"


class Move(_Pointer):
    type: Literal["move"] = "move"


class Scroll(_Pointer):
    """Turn the mouse wheel at ``at`` by ``scroll_x``/``scroll_y`` CSS px (model values kept)."""

    type: Literal["scroll"] = "scroll"
    scroll_x: int
    scroll_y: int
    model_scroll_x: int
    model_scroll_y: int


class Drag(_Action):
    """Hold the left button along every point of ``path``."""

    type: Literal["drag"] = "drag"
    path: tuple[Position, ...]
    modifiers: tuple[str, ...] = ()


class Keypress(_Action):
    """Press ``keys`` together as a chord (see :func:`cua_replay.keys.chord`)."""

    type: Literal["keypress"] = "keypress"
    keys: tuple[str, ...]
    model_keys: tuple[str, ...]


class Type(_Action):
    type: Literal["type"] = "type"
    text: str


class Screenshot(_Action):
    type: Literal["screenshot"] = "screenshot"


class Wait(_Action):
    """Let the page settle; the wire action has no duration."""

    type: Literal["wait"] = "wait"


Action: TypeAlias = Annotated[
    Click | DoubleClick | Drag | Keypress | Move | Screenshot | Scroll | Type | Wait,
    Field(discriminator="type"),
]


def parse_call(
    call: ResponseComputerToolCall | Mapping[str, Any], viewport: Viewport
) -> list[Action]:
    """Validate a ``computer_call`` and return its actions, ready to execute.

    Raises :class:`InvalidAction` for anything that cannot be executed; nothing
    is returned unless every action in the batch is valid.
    """
    raw = _as_dict(call)
    call_id = raw.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidAction(
            f"call_id={call_id!r} is not a non-empty string.",
            call_id=None,
            field="call_id",
            value=call_id,
            advice="Pass the computer_call item exactly as the Responses API returned it.",
        )
    if raw.get("type", "computer_call") != "computer_call":
        raise InvalidAction(
            f"type={raw.get('type')!r} is not 'computer_call'.",
            call_id=call_id,
            field="type",
            value=raw.get("type"),
            advice="Only computer_call output items carry actions.",
        )
    return [
        _parse_action(item, i, call_id, viewport)
        for i, item in enumerate(_wire_actions(raw, call_id))
    ]


def _as_dict(call: object) -> dict[str, Any]:
    if isinstance(call, BaseModel):
        dumped: dict[str, Any] = call.model_dump(mode="python", exclude_unset=True, warnings=False)
        return dumped
    if isinstance(call, Mapping):
        return dict(call)
    raise InvalidAction(
        f"expected a computer_call object or dict, got {type(call).__name__}.",
        call_id=None,
        field="call",
        value=call,
        advice="Pass response.output[i] for an item whose type is 'computer_call'.",
    )


def _wire_actions(raw: dict[str, Any], call_id: str) -> list[object]:
    has_action = raw.get("action") is not None
    has_actions = raw.get("actions") is not None
    if has_action == has_actions:
        state = "both" if has_action else "neither"
        raise InvalidAction(
            f"has {state} of 'action' and 'actions'; exactly one is required.",
            call_id=call_id,
            field="action/actions",
            advice="Preview calls carry one 'action'; GA calls carry a list in 'actions'.",
        )
    if has_action:
        return [raw["action"]]
    actions = raw["actions"]
    if not isinstance(actions, list):
        raise InvalidAction(
            f"'actions' must be a list, got {type(actions).__name__}.",
            call_id=call_id,
            field="actions",
            value=actions,
        )
    if not actions:
        raise InvalidAction(
            "'actions' is an empty batch.",
            call_id=call_id,
            field="actions",
            value=actions,
            advice="A GA computer_call must carry at least one action.",
        )
    return actions


def _parse_action(item: object, index: int, call_id: str, viewport: Viewport) -> Action:
    def fail(
        problem: str, field: str | None = None, value: object = None, advice: str = ""
    ) -> InvalidAction:
        return InvalidAction(
            problem, call_id=call_id, index=index, field=field, value=value, advice=advice
        )

    if not isinstance(item, Mapping):
        raise fail(f"an action must be an object, got {type(item).__name__}.", value=item)
    kind = item.get("type")
    model = _wire_models().get(kind) if isinstance(kind, str) else None
    if model is None:
        raise fail(
            f"unknown action type={kind!r}.",
            "type",
            kind,
            f"Expected one of {', '.join(sorted(_WIRE_TYPES))}.",
        )
    data = _lenient_ints(dict(item))
    try:
        action: Any = model.model_validate(data, strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        if error["type"] == "missing":
            raise fail(
                f"required field is missing from {kind} action.", field, None, _advice_for(field)
            ) from None
        value = error.get("input")
        raise fail(
            f"{error['msg']} (got {value!r}, {type(value).__name__}).",
            field,
            value,
            _advice_for(field),
        ) from None

    def modifiers() -> tuple[str, ...]:
        keys = action.keys
        return tuple(_map(keys, "keys", fail)) if keys else ()

    match kind:
        case "click":
            return Click(
                at=viewport.position(action.x, action.y),
                button=action.button,
                modifiers=modifiers(),
            )
        case "double_click":
            return DoubleClick(at=viewport.position(action.x, action.y), modifiers=modifiers())
        case "move":
            return Move(at=viewport.position(action.x, action.y), modifiers=modifiers())
        case "scroll":
            dx, dy = viewport.scroll_delta(action.scroll_x, action.scroll_y)
            return Scroll(
                at=viewport.position(action.x, action.y),
                modifiers=modifiers(),
                scroll_x=dx,
                scroll_y=dy,
                model_scroll_x=action.scroll_x,
                model_scroll_y=action.scroll_y,
            )
        case "drag":
            if len(action.path) < 2:
                raise fail(
                    f"a drag path needs at least two points, got {len(action.path)}.",
                    "path",
                    data.get("path"),
                    "Send the start point and at least one more point.",
                )
            path = tuple(viewport.position(p.x, p.y) for p in action.path)
            return Drag(path=path, modifiers=modifiers())
        case "keypress":
            if not action.keys:
                raise fail("a keypress needs at least one key.", "keys", action.keys)
            return Keypress(
                keys=tuple(_map(action.keys, "keys", fail)), model_keys=tuple(action.keys)
            )
        case "type":
            return Type(text=action.text)
        case "screenshot":
            return Screenshot()
        case _:
            return Wait()


def _map(keys: list[str], field: str, fail: Any) -> list[str]:
    mapped: list[str] = []
    for i, name in enumerate(keys):
        try:
            mapped.extend(map_keys([name]))
        except UnknownKey as exc:
            raise fail(str(exc), f"{field}.{i}", name) from None
    return mapped


def _lenient_ints(data: dict[str, Any]) -> dict[str, Any]:
    """Integral floats (``12.0``) become ints in coordinate fields; strict mode does the rest."""
    for name in _INT_FIELDS:
        if name in data:
            data[name] = _integral(data[name])
    path = data.get("path")
    if isinstance(path, list):
        data["path"] = [
            {k: _integral(v) if k in ("x", "y") else v for k, v in p.items()}
            if isinstance(p, Mapping)
            else p
            for p in path
        ]
    return data


def _integral(value: object) -> object:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _advice_for(field: str | None) -> str:
    if field is None:
        return ""
    leaf = field.rsplit(".", 1)[-1]
    if leaf in _INT_FIELDS:
        return "Coordinates and scroll distances must be integer pixels."
    if field == "button":
        return "Use one of left, right, wheel, back, forward."
    if field.startswith("keys"):
        return "keys must be a list of key-name strings."
    return ""
