"""The diff result as pydantic models: the schema of ``cua-replay diff --format json``.

The schema is versioned by :data:`SCHEMA_VERSION` (the ``schema_version`` field of
every document). Adding an optional field keeps the version; renaming, removing or
changing the meaning of a field bumps it, so a CI script can refuse a document it
does not understand. ``DiffResult.model_json_schema()`` gives the JSON Schema.

Pair kinds:

* ``same``     the same action with the same target (positions equal);
* ``moved``    the same action, its positions within ``tolerance`` px: not a difference;
* ``changed``  the same kind of action with another target (beyond tolerance, other text,
  keys, button or deltas), or a different final message;
* ``only_a`` / ``only_b``  an element one run has and the other does not.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = 1

PairKind = Literal["same", "moved", "changed", "only_a", "only_b"]
DIFFERENT_KINDS: Final[frozenset[str]] = frozenset({"changed", "only_a", "only_b"})
IgnoreName = Literal["reasoning", "timing", "tokens"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Element(_Model):
    """One element of a trajectory: an executed action, or a message from the model."""

    step: int
    """The 1-based step (request) it belongs to."""
    index: int
    """The action's index within its step; -1 for a message."""
    kind: str
    """The action type (``click``, ``type``, ...) or ``message``."""
    summary: str
    """A one-line human description, e.g. ``click left (100, 201)``."""
    action: dict[str, Any] | None = None
    """The executed action as recorded (None for a message)."""
    text: str | None = None
    """The message text (None for an action)."""
    url: str | None = None
    """The page URL after the action (or at the message)."""
    before: str | None = None
    """Digest (``sha256:...``) of the screenshot the model saw when it chose this element."""


class Pair(_Model):
    kind: PairKind
    a: Element | None = None
    b: Element | None = None
    distance_px: float | None = None
    """For ``moved`` and ``changed`` pointer actions: the largest distance between positions."""
    note: str = ""
    """What differs, for ``changed``."""


class Outcome(_Model):
    """One compared outcome of the two runs."""

    name: str
    """final_message, final_url, final_screenshot, stop_reason, steps, safety, reasoning,
    tokens_in, tokens_out, latency_ms."""
    a: Any = None
    b: Any = None
    same: bool
    ignored: bool = False
    """Left out of the verdict by ``--ignore``."""
    note: str = ""


class DiffOptionsModel(_Model):
    tolerance: float
    threshold: float
    ignore: list[IgnoreName] = Field(default_factory=list)


class DiffResult(_Model):
    schema_version: int = SCHEMA_VERSION
    a: str
    """Path of cassette A (the baseline)."""
    b: str
    task_a: str | None = None
    task_b: str | None = None
    model_a: str | None = None
    model_b: str | None = None
    options: DiffOptionsModel
    pairs: list[Pair]
    outcomes: list[Outcome]
    counts: dict[str, int]
    """How many pairs of each kind (every kind present, zero included)."""
    first_divergence: int | None = None
    """Index into ``pairs`` of the first pair that differs, None when none does."""
    same: bool
    """True when no pair differs and every compared outcome is the same: exit status 0."""

    @property
    def differing_outcomes(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.same and not o.ignored]


class FolderEntry(_Model):
    name: str
    """The cassette's path relative to the folder (the task or test name)."""
    same: bool | None = None
    """None when the pair could not be diffed (see ``error``)."""
    counts: dict[str, int] = Field(default_factory=dict)
    first_divergence: Pair | None = None
    differing_outcomes: list[str] = Field(default_factory=list)
    error: str | None = None


class FolderDiff(_Model):
    schema_version: int = SCHEMA_VERSION
    baseline: str
    candidate: str
    options: DiffOptionsModel
    entries: list[FolderEntry]
    only_in_baseline: list[str]
    only_in_candidate: list[str]
    same: int
    different: int
    errors: int
