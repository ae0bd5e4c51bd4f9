"""The cassette format, version 1: what is on disk, as pydantic models.

One directory per run::

    run.json                      Manifest (rewritten atomically at start and at the end)
    steps.jsonl                   one JSON object per line, appended and flushed as the run goes
    blobs/sha256/ab/<hex>.png     screenshots (and any other image), raw bytes, named by SHA-256

A line of ``steps.jsonl`` is a :class:`StepRecord` (``"kind": "step"``) or, once,
a :class:`StopRecord` (``"kind": "stop"``). Requests are stored canonical
(:mod:`.canonical`): every ``data:image/...;base64,...`` is a :data:`BLOB_KEY`
reference and every input item an :data:`ITEM_KEY` reference to an item stored
in full the first time it appeared (in that line's ``items``), so a run that
resends its whole history grows by its new items only.

Lines refer only backwards (to blobs written before them and items in earlier
lines), so a log cut at any line boundary is a valid, shorter cassette: that is
what makes a crash lose at most the step in flight.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

FORMAT_VERSION: Final = 1
MANIFEST_NAME: Final = "run.json"
STEPS_NAME: Final = "steps.jsonl"
BLOBS_DIR: Final = "blobs"
BLOB_KEY: Final = "$blob"
"""``{"$blob": "sha256:<hex>", "mime": "image/png", "bytes": N}`` stands for a data URL."""
ITEM_KEY: Final = "$item"
"""``{"$item": "sha256:<hex>"}`` stands for an input item stored in an earlier or the same line."""


_SHOWN_ERRORS: Final = 4


def summary(exc: ValidationError) -> str:
    """A validation error on one line: ``field.path: message; ...`` (the first few, and a count).

    Pydantic's own text spans several lines and links to its documentation; a
    command reports a bad cassette in one line, naming the field and what it got.
    """
    errors = exc.errors(include_url=False)
    shown = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        + (f" (got {_brief(e['input'])})" if e["type"] != "missing" else "")
        for e in errors[:_SHOWN_ERRORS]
    )
    more = len(errors) - _SHOWN_ERRORS
    return shown + (f" (and {more} more)" if more > 0 else "")


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


MAX_MS: Final = 1e12
"""The longest time (milliseconds, about 31 years) a cassette may record: a hostile
``1e308`` latency would otherwise overflow to infinity when a report sums it."""
Millis = Annotated[float, Field(ge=-MAX_MS, le=MAX_MS)]
"""A recorded time or duration in milliseconds (or seconds, for ``t``), bounded."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _AsRecorded(BaseModel):
    """A manifest section that writes back exactly the keys it was given.

    A key the writer did not set stays absent (it is not filled in with its
    default), so a recording that says nothing about a setting can be told from
    one that recorded the default, and a file read and saved again keeps its
    shape. Keys a newer writer added are kept as they are (``model_extra``).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


class RunSettings(_AsRecorded):
    """The run settings that shape requests and decisions: what a replay needs to repeat them.

    Written by :mod:`cua_replay.run` (every field), by the pytest plugin
    (``test`` only) and by the vcrpy adapter (its ``vcrpy`` index, an extra key).
    ``model_fields_set`` is what the recording says; an absent field reads as
    its default, the default of the run option of the same name.
    """

    history: Literal["chain", "full"] = "chain"
    max_steps: int = Field(default=20, ge=1)
    safety: str = "prompt"
    """The safety gate spec: ``prompt``, ``deny`` or ``allow:CODE,...``."""
    stream: bool = False
    store: bool | None = None
    instructions: str | None = None
    allow_domains: tuple[str, ...] = ()
    block_domains: tuple[str, ...] = ()
    on_blocked: Literal["stop", "back"] = "stop"
    dialogs: Literal["accept", "dismiss"] = "dismiss"
    watched: bool = False
    """Whether a person watched the browser (a headed run): safety checks saw it so."""
    test: str | None = None
    """The pytest node id, for a recording the pytest plugin made."""

    @field_validator("allow_domains", "block_domains", "on_blocked", "dialogs", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: Any) -> Any:
        """Early writers wrote ``null`` for "the default"; read it as the default."""
        if value is None:
            return cls.model_fields[info.field_name].default
        return value

    def recorded(self) -> dict[str, Any]:
        """The run options this recording set, by name, as a run takes them (``watched`` and
        ``test`` are not options: a replay runs headless, and outside pytest)."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name in self.model_fields_set and name not in _NOT_OPTIONS
        }


_NOT_OPTIONS: Final = frozenset({"watched", "test"})


class Redaction(_AsRecorded):
    """The redaction policy applied at write time: names and patterns, never the secrets.

    :meth:`cua_replay.cassette.redact.RedactionPolicy.describe` writes it.
    """

    secret_env: tuple[str, ...] = ()
    """Shell-style patterns of the environment variable names whose values were redacted."""
    patterns: tuple[str, ...] = ()
    builtin_patterns: bool = True
    mask: tuple[tuple[int, int, int, int], ...] = ()
    """Screenshot rectangles ``(x, y, width, height)`` painted black before storing."""
    headers_kept: tuple[str, ...] = ()
    query_kept: tuple[str, ...] = ()


class Endpoint(_Model):
    """Where the model traffic went. Never a credential: host, path style and API version."""

    provider: Literal["openai", "azure", "unknown"] = "unknown"
    host: str = ""
    api_version: str | None = None


class Verdict(_Model):
    """Whether a run met its task's success check (written by ``cua-replay suite run``).

    Set after the run stopped, so a manifest that is ``complete`` and has a
    verdict is a finished suite run; absent (not ``null``) on every other
    recording, so cassettes without one read and write as before.
    """

    passed: bool
    reason: str = ""
    """Why it failed, one line (empty when it passed)."""
    suite: str | None = None
    task: str | None = None
    trial: int | None = None


class Manifest(_Model):
    """What was recorded, by what, against what; enough to replay without asking."""

    format_version: int = FORMAT_VERSION
    recorder: str = "cua-replay"
    """``cua-replay`` (loop listener + transport), ``transport`` or ``vcrpy``."""
    versions: dict[str, str] = Field(default_factory=dict)
    """cua-replay, openai, httpx2, playwright, python."""
    created_at: str = ""
    endpoint: Endpoint = Field(default_factory=Endpoint)
    model: str | None = None
    """The model, or the Azure deployment name."""
    tool: Literal["computer_use_preview", "computer"] | None = None
    display: tuple[int, int] | None = None
    environment: str | None = None
    task: str | None = None
    start_url: str | None = None
    settings: RunSettings = Field(default_factory=RunSettings)
    """The loop and run settings that shape requests: history, max_steps, safety, stream, ..."""
    redaction: Redaction = Field(default_factory=Redaction)
    """The redaction policy applied at write time (names and patterns, never the secrets)."""
    scenario: str | None = None
    """The fake-server scenario, when the run was against one."""
    status: Literal["recording", "complete"] = "recording"
    """``recording`` until the run stops; a crashed recording stays ``recording``."""
    steps: int = 0
    stop: dict[str, Any] | None = None
    verdict: Verdict | None = Field(default=None, exclude_if=lambda value: value is None)
    """The suite's success verdict; absent outside a suite."""


class Attempt(_Model):
    """One HTTP attempt at a step's request; retries (429, 5xx) show up as several."""

    status: int | None = None
    latency_ms: Millis = 0.0
    headers: dict[str, str] = Field(default_factory=dict)
    error: str | None = None


class Http(_Model):
    """The HTTP side of a step, as the transport saw it (absent when no transport was used)."""

    method: str = "POST"
    path: str = ""
    """Normalized: ``/responses`` for OpenAI ``/v1/responses`` and every Azure form."""
    query: dict[str, str] = Field(default_factory=dict)
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    """Response headers that matter: ``x-request-id``, rate limits, processing time."""
    latency_ms: Millis = 0.0
    attempts: list[Attempt] = Field(default_factory=list)
    body: Any = None
    """A response body that was not a Response (an error envelope), parsed if JSON."""


class SseEvent(_Model):
    t_ms: Millis
    """Milliseconds from the request being sent to this event's arrival."""
    event: str
    data: Any = None
    """The parsed ``data:``; a default, as the log leaves a ``None`` (``data: null``) out."""


class ExecutedAction(_Model):
    call_id: str
    index: int
    action: dict[str, Any]
    """The validated action: model and executed coordinates (``at``), mapped keys."""
    url: str
    elapsed_ms: Millis


class SafetyRecord(_Model):
    call_id: str
    checks: list[dict[str, Any]]
    approved: bool
    decided_by: str
    reason: str = ""


class Observation(_Model):
    call_id: str | None = None
    """None for the screenshot taken before the first request."""
    screenshot: dict[str, Any]
    """A blob reference."""
    url: str


class StepRecord(_Model):
    kind: Literal["step"] = "step"
    step: int
    """1-based: the step-th request of the run and everything it led to."""
    t: Millis = 0.0
    """Seconds from the start of the recording to the request."""
    request: dict[str, Any]
    """Canonical request body (blob and item references, redacted)."""
    items: dict[str, Any] = Field(default_factory=dict)
    """Input items first seen in this step's request, by digest."""
    request_hash: str
    response: dict[str, Any] | None = None
    events: list[SseEvent] | None = None
    http: Http | None = None
    latency_ms: Millis = 0.0
    reasoning: list[str] = Field(default_factory=list)
    message: str | None = None
    safety: list[SafetyRecord] = Field(default_factory=list)
    actions: list[ExecutedAction] = Field(default_factory=list)
    page_events: list[dict[str, Any]] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    """What each computer call's actions led to: the screenshot sent back, and the URL."""
    error: str | None = None

    @property
    def url(self) -> str | None:
        """The page after this step's actions."""
        return self.observations[-1].url if self.observations else None


class StopRecord(_Model):
    kind: Literal["stop"] = "stop"
    reason: str
    steps: int
    detail: str = ""
    final_message: str = ""
