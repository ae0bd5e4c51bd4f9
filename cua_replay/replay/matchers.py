"""Match policies: is a live request the one that was recorded? Pure, over canonical requests.

Replay serves the recorded responses in order, one step per request (never
"first match wins"), and checks each live request against the recorded one
under a policy:

``strict``
    canonical equality: every field, screenshots by hash.
``structural`` (default)
    the fields that say what the agent did: model, tools, instructions,
    reasoning and truncation settings, the input items' types, roles and text,
    the ``call_id`` chain, the acknowledged safety checks, the computer actions
    sent back in a full history. Screenshots are compared perceptually
    (:func:`cua_replay.images.image_distance`) against a threshold, ids by their
    position. Ignored: ``current_url``, ``encrypted_content``, item ``status``,
    image ``detail``, and request knobs that do not change behaviour
    (``metadata``, ``user``, ``prompt_cache_key``, ...). Values compare as
    Python compares them (``1 == 1.0 == True``); ``strict`` tells them apart.
``sequential``
    order only: the structural differences are reported as warnings and
    replay goes on.

Ids (``resp_...``, ``call_...``, ``cu_...``) are compared by position when the
live side got them from somewhere else than the recording (a fake server
replaying a cassette issues its own): :func:`positional_ids` renames each id
to the order of its first appearance, on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from ..cassette.format import BLOB_KEY
from ..errors import Difference, InvalidSetting

DEFAULT_THRESHOLD: Final = 0.01
"""Screenshots whose pixels differ in more than 1% are different (structural policy)."""

ID_KEYS: Final = frozenset({"id", "call_id", "previous_response_id"})
STRUCTURAL_IGNORED: Final = frozenset(
    {
        "current_url",
        "encrypted_content",
        "status",
        "detail",
        "metadata",
        "user",
        "safety_identifier",
        "prompt_cache_key",
        "service_tier",
        "max_output_tokens",
        "max_tool_calls",
        "parallel_tool_calls",
        "temperature",
        "top_p",
        "top_logprobs",
        "text",
        "stream_options",
        "background",
    }
)
"""Keys of the request that the structural policy does not compare."""
DEEP_IGNORED: Final = frozenset({"current_url", "encrypted_content", "status", "detail"})
"""Those of :data:`STRUCTURAL_IGNORED` ignored at any depth too; the others are request
knobs, ignored only at the top (an input item's ``text`` is what the agent said)."""


class MatchPolicy(StrEnum):
    STRICT = "strict"
    STRUCTURAL = "structural"
    SEQUENTIAL = "sequential"

    @classmethod
    def parse(cls, value: str | MatchPolicy) -> MatchPolicy:
        try:
            return cls(str(value).lower())
        except ValueError:
            valid = ", ".join(p.value for p in cls)
            raise InvalidSetting(
                f"Match policy {value!r} is not one of {valid}; use e.g. --cua-match=structural.",
                setting="match",
            ) from None


ImageDistance = Callable[[dict[str, Any], dict[str, Any]], float]
"""``(recorded ref, live ref) -> fraction of pixels that differ``."""


@dataclass(frozen=True)
class ImageDifference:
    path: str
    recorded: dict[str, Any]
    live: dict[str, Any]
    distance: float
    """1.0 when only hashes were compared (strict)."""


@dataclass
class Comparison:
    policy: MatchPolicy
    differences: list[Difference] = field(default_factory=list)
    images: list[ImageDifference] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def fatal(self) -> bool:
        """A difference replay must stop for (``sequential`` only warns)."""
        return bool(self.differences) and self.policy is not MatchPolicy.SEQUENTIAL


def compare(
    recorded: dict[str, Any],
    live: dict[str, Any],
    policy: MatchPolicy = MatchPolicy.STRUCTURAL,
    *,
    distance: ImageDistance | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    ids_by_position: bool = False,
) -> Comparison:
    """Field-level differences between two canonical requests under ``policy``.

    ``distance`` measures two screenshots whose hashes differ (structural and
    sequential); without one, any differing screenshot is a difference.
    """
    result = Comparison(policy)
    if ids_by_position:
        recorded, live = positional_ids(recorded), positional_ids(live)
    ignored: frozenset[str] = frozenset() if policy is MatchPolicy.STRICT else STRUCTURAL_IGNORED
    for path, old, new in _walk("", recorded, live, ignored):
        if _is_blob(old) and _is_blob(new):
            if old[BLOB_KEY] == new[BLOB_KEY]:
                continue
            if policy is MatchPolicy.STRICT or distance is None:
                value = 1.0
                note = "screenshot differs (compared by hash)"
            else:
                value = distance(old, new)
                if value <= threshold:
                    continue
                note = f"screenshot differs in {value:.1%} of pixels (threshold {threshold:.1%})"
            result.images.append(ImageDifference(path, old, new, value))
            result.differences.append(Difference(path, old[BLOB_KEY], new[BLOB_KEY], note))
        else:
            result.differences.append(Difference(path, _show(old), _show(new)))
    return result


_MISSING: Final = object()


def _walk(path: str, old: Any, new: Any, ignored: frozenset[str]) -> Iterator[tuple[str, Any, Any]]:
    """Yield ``(path, recorded, live)`` for every leaf that differs (no ``ignored``: strict)."""
    if _is_blob(old) and _is_blob(new):
        if old[BLOB_KEY] != new[BLOB_KEY]:
            yield path, old, new
        elif not ignored:  # strict is canonical equality: the same bytes sent as another type too
            for key in sorted((set(old) | set(new)) - {BLOB_KEY}):
                left, right = old.get(key, _MISSING), new.get(key, _MISSING)
                yield from _walk(f"{path}.{key}", left, right, ignored)
        return
    if ignored and isinstance(old, dict | list) and old == new:
        # Equal containers have no differences to find: one C-level comparison instead of
        # a walk, which keeps full-history replay linear in the new items. Python's ``==``
        # takes 1 for True (and 1.0); only ``strict`` (empty ``ignored``) tells them apart.
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key in ignored and (not path or key in DEEP_IGNORED):
                continue
            child = f"{path}.{key}" if path else key
            yield from _walk(child, old.get(key, _MISSING), new.get(key, _MISSING), ignored)
        return
    if isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            left = old[index] if index < len(old) else _MISSING
            right = new[index] if index < len(new) else _MISSING
            yield from _walk(child, left, right, ignored)
        return
    if old is _MISSING and new is _MISSING:
        return
    if type(old) is not type(new) or old != new:
        yield path, old, new


def _is_blob(value: Any) -> bool:
    return isinstance(value, dict) and BLOB_KEY in value


def _show(value: Any) -> Any:
    if value is _MISSING:
        return "<absent>"
    if _is_blob(value):
        return value[BLOB_KEY]
    return value


def positional_ids(obj: Any) -> Any:
    """``obj`` with every id (under ``id``, ``call_id``, ``previous_response_id``) renamed
    ``#1``, ``#2``, ... in order of first appearance; the same id gets the same name."""
    names: dict[str, str] = {}

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key in sorted(value):
                child = value[key]
                if key in ID_KEYS and isinstance(child, str):
                    out[key] = names.setdefault(child, f"#{len(names) + 1}")
                else:
                    out[key] = rename(child)
            return out
        if isinstance(value, list):
            return [rename(child) for child in value]
        return value

    return rename(obj)
