"""What a recorded run answers to an HTTP request: the decisions behind the replay transports.

Sans-IO: :class:`HttpReplayer` takes a request's method, URL and body and
returns an :class:`Answer` (status, headers, a body or SSE events, the waits
that reproduce the recorded timing, or an error to raise); the transports in
:mod:`.transport` turn it into an ``httpx2.Response`` and do the waiting,
sync or async. The rules it follows are documented there.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import httpx2

from ..cassette.canonical import expand
from ..cassette.format import Attempt, StepRecord
from ..cassette.store import Cassette, load_cassette
from ..errors import CuaReplayError, InvalidSetting, ReplayMismatch
from ..wire.envelopes import INVALID_JSON, APIError, Flavour
from ..wire.items import ItemQuery, listed, page
from ..wire.sse import encode, synthesize
from .cursor import ReplayCursor
from .options import ReplayOptions
from .outcome import Answered, Refused, outcome_of

logger = logging.getLogger(__name__)

Speed = Literal["instant"] | float
"""``"instant"``, or a time scale for the recorded waits (``1.0`` = as recorded)."""

Source = str | Path | Cassette | ReplayCursor
"""A cassette directory, a loaded cassette, or a cursor over one."""

_ROUTE: Final = re.compile(
    r"^(?:/.*)?/responses(?:/(?P<id>[^/]+)(?P<sub>/input_items|/cancel)?)?/?$"
)
_DROPPED_HEADERS: Final = frozenset(
    {"content-type", "content-length", "content-encoding", "transfer-encoding", "connection"}
)
STEP_HEADER: Final = "x-cua-replay-step"
"""Response header naming the cassette step an answer came from."""


class NotReplayable(CuaReplayError, RuntimeError):
    """A request the replay transport cannot answer: it is not to the Responses API.

    Raised instead of going to the network. ``method`` and ``url`` name the
    request.
    """

    def __init__(self, method: str, url: str) -> None:
        self.method = method
        self.url = url
        super().__init__(
            f"The replay transport got {method} {url}, which is not a Responses API request; "
            "a cassette answers only POST/GET/DELETE .../responses[/ID[/input_items]]. Send "
            "other traffic through a separate client, or record it with another tool."
        )

    def __repr__(self) -> str:
        return f"NotReplayable(method={self.method!r}, url={self.url!r})"


@dataclass(frozen=True)
class Served:
    """One request the transport answered: for tests and for reading a replay back."""

    method: str
    path: str
    status: int
    """The status answered; ``0`` when an error was raised instead."""
    step: int | None = None
    attempt: int | None = None
    """0-based index into the step's recorded ``http.attempts``; None for its final answer."""
    streamed: bool = False


@dataclass
class Answer:
    """What to answer: a status with headers and a body or SSE events, or an error to raise."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: list[tuple[float, bytes]] | None = None
    """SSE: ``(seconds to wait before it, encoded event)``."""
    wait: float = 0.0
    """Seconds to wait before answering at all."""
    error: Exception | None = None


@dataclass
class _Retrying:
    """A step whose recorded attempts are being replayed."""

    step: StepRecord
    request: dict[str, Any]
    next_attempt: int = 0


class HttpReplayer:
    """The decisions both transports share; answers are plain data, waits are the caller's.

    Thread-safe: one lock serializes each request's decision (retry state,
    cursor step, failures), so concurrent requests never share or skip a step.
    ``attempts=False`` answers each step with its final answer at once, skipping
    the recorded retries (the in-process replay, whose loop never saw them).
    ``select`` picks (and checks) the step for a create request instead of the
    cursor's recorded order: a server answering several conversations at once
    (the proxy) passes its own; a pending retry is then recognised by its
    request, so another conversation's request in between leaves it pending.
    """

    def __init__(
        self,
        source: Source,
        options: ReplayOptions | None = None,
        *,
        speed: Speed = "instant",
        attempts: bool = True,
        select: Callable[[dict[str, Any]], StepRecord] | None = None,
    ) -> None:
        self.cursor = _cursor(source, options)
        self.scale = _scale(speed)
        self.attempts = attempts
        self.failures: list[CuaReplayError] = []
        self.served: list[Served] = []
        self._lock = threading.RLock()
        self._select = select
        self._retrying: list[_Retrying] = []
        self._last_error: tuple[StepRecord, dict[str, Any]] | None = None
        self._deleted: set[str] = set()
        self._by_id: dict[str, StepRecord] | None = None

    # -- routing --------------------------------------------------------------------------

    def answer(self, method: str, url: httpx2.URL, body: bytes) -> Answer:
        """The answer to one request; the request and how it was answered go to ``served``."""
        method = method.upper()
        path = url.path
        route = _ROUTE.match(path)
        if route is None:
            error = NotReplayable(method, str(url))
            with self._lock:
                self.failures.append(error)
                self.served.append(Served(method, path, 0))
            logger.error("%s", error)
            return Answer(error=error)
        response_id, sub = route["id"], route["sub"]
        if method == "POST" and response_id is None:
            answer, step, attempt, streamed = self._create(body)
        else:
            answer = self._lookup(
                method, response_id, sub, dict(url.params), url.params.get_list("include")
            )
            step, attempt, streamed = None, None, answer.events is not None
        with self._lock:
            status = 0 if answer.error is not None else answer.status
            self.served.append(Served(method, path, status, step, attempt, streamed))
        return answer

    # -- create -----------------------------------------------------------------------------

    def _create(self, raw: bytes) -> tuple[Answer, int | None, int | None, bool]:
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return _envelope(400, INVALID_JSON, code=None), None, None, False
        return self.create(request)

    def create(self, request: dict[str, Any]) -> tuple[Answer, int | None, int | None, bool]:
        """The answer to a create request already parsed: ``(answer, step, attempt, streamed)``.

        In-process callers (the replay session) come in here with the loop's own
        request object, so nothing is serialized and parsed again.
        """
        streamed = request.get("stream") is True
        with self._lock:
            for retrying in self._retrying:
                if _same(retrying.request, request):
                    self._retrying.remove(retrying)
                    return self._attempt(retrying, streamed)
            if self._retrying and self._select is None:
                retrying = self._retrying.pop()
                mismatch = self._abandoned_retry(retrying)
                return self._failed(mismatch), retrying.step.step, None, streamed
            try:
                step = (self._select or self.cursor.next)(request)
            except ReplayMismatch as exc:
                return self._failed(self._explained(exc, request)), None, None, streamed
            self._last_error = None
            if self.attempts and step.http is not None and step.http.attempts:
                return self._attempt(_Retrying(step, request), streamed)
            return self._finished(step, request, streamed), step.step, None, streamed

    def _attempt(
        self, retrying: _Retrying, streamed: bool
    ) -> tuple[Answer, int | None, int | None, bool]:
        step = retrying.step
        attempts = step.http.attempts if step.http is not None else []
        index = retrying.next_attempt
        if index >= len(attempts):
            answer = self._finished(step, retrying.request, streamed)
            return answer, step.step, None, streamed
        retrying.next_attempt += 1
        self._retrying.append(retrying)
        return self._replayed_attempt(step, index, attempts[index]), step.step, index, streamed

    def _finished(self, step: StepRecord, request: dict[str, Any], streamed: bool) -> Answer:
        answer = self._final(step, streamed)
        if answer.status >= 400:
            self._last_error = (step, request)
        return answer

    def _replayed_attempt(self, step: StepRecord, index: int, attempt: Attempt) -> Answer:
        wait = attempt.latency_ms / 1000 * self.scale
        where = f"recorded attempt {index + 1} of step {step.step}"
        if attempt.status is None:
            return Answer(wait=wait, error=_transport_error(attempt.error, where))
        status = attempt.status
        if status == 429:
            kind, code = "requests", "rate_limit_exceeded"
        elif status >= 500:
            kind, code = "server_error", "server_error"
        else:
            kind, code = "invalid_request_error", None
        answer = _envelope(
            status,
            f"Replayed HTTP {status} ({where}; the recording keeps no body for retried attempts).",
            code=code,
            kind=kind,
            retry=None,
        )
        answer.headers = {**_kept(attempt.headers), **answer.headers, STEP_HEADER: str(step.step)}
        answer.wait = wait
        return answer

    def _final(self, step: StepRecord, streamed: bool) -> Answer:
        """The step's own answer (after any recorded attempts): its outcome on the wire."""
        outcome = outcome_of(step)
        headers = {**_kept(outcome.headers), STEP_HEADER: str(step.step)}
        wait = outcome.latency_ms / 1000 * self.scale
        ending = outcome.ending
        if isinstance(ending, Refused):
            if ending.body is None:
                answer = _envelope(
                    ending.status,
                    f"Replayed HTTP {ending.status} (step {step.step}; recorded without a body).",
                    code=None,
                    kind="server_error" if ending.status >= 500 else "invalid_request_error",
                    retry=None,
                )
                answer.headers = {**headers, **answer.headers}
                answer.wait = wait
                return answer
            body = ending.body
            raw = body.encode(errors="replace") if isinstance(body, str) else _dumps(body)
            kind = "text/plain" if isinstance(body, str) else "application/json"
            return Answer(ending.status, {**headers, "content-type": kind}, raw, wait=wait)
        stream_headers = {**headers, "content-type": "text/event-stream"}
        if streamed and ending.events is not None:
            return Answer(200, stream_headers, events=self._recorded_events(ending.events))
        if isinstance(ending, Answered):
            if streamed:
                # No recorded event timing: the whole latency goes before the first event.
                events = [
                    (wait if index == 0 else 0.0, encode(event["type"], event))
                    for index, event in enumerate(synthesize(ending.response))
                ]
                return Answer(200, stream_headers, events=events)
            content = {**headers, "content-type": "application/json"}
            return Answer(200, content, _dumps(ending.response), wait=wait)
        if ending.connection_error is not None:
            where = f"step {step.step} of the recording"
            return Answer(wait=wait, error=_transport_error(ending.connection_error, where))
        answer = _envelope(
            500,
            f"Step {step.step} of the recording ended without a response: {ending.detail}",
            code="cassette_no_response",
            kind="server_error",
        )
        answer.headers = {**headers, **answer.headers}
        answer.wait = wait
        return answer

    def _recorded_events(self, events: tuple[Any, ...]) -> list[tuple[float, bytes]]:
        out: list[tuple[float, bytes]] = []
        before = 0.0
        for event in events:
            wait = max(event.t_ms - before, 0.0) / 1000 * self.scale
            out.append((wait, encode(event.event, event.data)))
            before = max(before, event.t_ms)
        return out

    # -- failures ---------------------------------------------------------------------------

    def _failed(self, mismatch: ReplayMismatch) -> Answer:
        self.failures.append(mismatch)
        logger.error("%s", mismatch)
        code = "cassette_exhausted" if mismatch.what == "exhausted" else "cassette_mismatch"
        return _envelope(400, str(mismatch), code=code)

    def _abandoned_retry(self, retrying: _Retrying) -> ReplayMismatch:
        step = retrying.step
        attempts = step.http.attempts if step.http is not None else []
        last = attempts[retrying.next_attempt - 1]
        return ReplayMismatch(
            step.step,
            "retry",
            f"the recording retried this step's request after HTTP {last.status} (attempt "
            f"{retrying.next_attempt} of {len(attempts) + 1}), but the code under test sent a "
            "different request instead. Give the client the retry settings it was recorded "
            "with (max_retries), or re-record.",
            cassette=self.cursor.cassette.directory,
        )

    def _explained(self, exc: ReplayMismatch, request: dict[str, Any]) -> ReplayMismatch:
        """``exc``, with a hint if the request repeats one the recording answered with an error."""
        last = self._last_error
        if last is None or not _same(last[1], request):
            return exc
        step = last[0]
        status = step.http.status if step.http is not None else None
        made = len(step.http.attempts) + 1 if step.http is not None else 1
        return ReplayMismatch(
            exc.step,
            exc.what,
            exc.summary
            + f". The request repeats step {step.step}'s, which the recording answered with a "
            f"final HTTP {status} after {made} attempt(s): the client retried more often than "
            "when it was recorded; give it the recording's max_retries.",
            cassette=exc.cassette,
            differences=exc.differences,
            files=exc.files,
        )

    # -- retrieve, delete, cancel, input items ------------------------------------------------

    def _lookup(
        self,
        method: str,
        response_id: str | None,
        sub: str | None,
        query: dict[str, str],
        include: list[str],
    ) -> Answer:
        if response_id is None:
            return _envelope(
                405,
                f"{method} .../responses is not supported; the recording answers POST (create).",
                code=None,
            )
        with self._lock:
            step = self._recorded(response_id)
            if step is None or response_id in self._deleted:
                return _not_found(response_id)
            if method == "DELETE" and sub is None:
                self._deleted.add(response_id)
                return _json(
                    200, {"id": response_id, "object": "response.deleted", "deleted": True}
                )
        assert step.response is not None
        headers = {STEP_HEADER: str(step.step)}
        if method == "GET" and sub is None:
            if query.get("stream", "").lower() == "true":
                answer = self._final(step, streamed=True)
                answer.wait = 0.0
                return answer
            return _json(200, step.response, headers)
        if method == "POST" and sub == "/cancel":
            return _json(200, step.response, headers)
        if method == "GET" and sub == "/input_items":
            try:
                return _json(200, self._input_items(step, ItemQuery.parse(query, include)), headers)
            except APIError as error:
                return _json(error.status, error.envelope(Flavour.OPENAI), headers)
        return _envelope(
            405, f"{method} .../responses/{response_id}{sub or ''} is not supported.", code=None
        )

    def _recorded(self, response_id: str) -> StepRecord | None:
        if self._by_id is None:
            self._by_id = {}
            for step in self.cursor.cassette.steps:
                if step.response is not None and isinstance(step.response.get("id"), str):
                    self._by_id.setdefault(step.response["id"], step)
        found = self._by_id.get(response_id)
        if found is not None and found.request.get("store") is False:
            return None  # the service does not keep what was created with store=false
        return found

    def _input_items(self, step: StepRecord, query: ItemQuery) -> dict[str, Any]:
        """The step's request items, paged as the service and the fake server page them."""
        cassette = self.cursor.cassette
        request = expand(cassette.request(step.step), cassette.blobs.get)
        raw = request.get("input")
        items: list[Any] = (
            [{"role": "user", "content": [{"type": "input_text", "text": raw}]}]
            if isinstance(raw, str)
            else list(raw or [])
        )
        data: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            entry = dict(item) if isinstance(item, dict) else {"value": item}
            if "type" not in entry and "role" in entry:
                entry["type"] = "message"
            entry.setdefault("id", f"item_{step.step}_{index}")
            data.append(listed(entry, query.include))
        return dict(page(data, query))


# -- helpers --------------------------------------------------------------------------------


def _cursor(source: Source, options: ReplayOptions | None) -> ReplayCursor:
    if isinstance(source, ReplayCursor):
        if options is not None:
            raise InvalidSetting(
                "A replay transport over a ReplayCursor takes its options from the cursor, but "
                "options were given too; pass them to ReplayCursor(...) instead.",
                setting="options",
            )
        return source
    cassette = source if isinstance(source, Cassette) else load_cassette(source)
    return ReplayCursor(cassette, options)


def _scale(speed: Speed) -> float:
    if speed == "instant":
        return 0.0
    if (
        isinstance(speed, bool)
        or not isinstance(speed, int | float)
        or not math.isfinite(speed)
        or speed < 0
    ):
        raise InvalidSetting(
            f"Replay speed={speed!r} is neither 'instant' nor a non-negative number; use "
            "'instant', 1.0 for the recorded timing, or e.g. 0.1 for a tenth of it.",
            setting="speed",
        )
    return float(speed)


def _dumps(body: Any) -> bytes:
    return json.dumps(body).encode()


def _same(recorded: dict[str, Any], live: dict[str, Any]) -> bool:
    return json.dumps(recorded, sort_keys=True) == json.dumps(live, sort_keys=True)


def _kept(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        status,
        {**(headers or {}), "content-type": "application/json"},
        _dumps(body),
    )


def _envelope(
    status: int,
    message: str,
    *,
    code: str | None,
    kind: str = "invalid_request_error",
    param: str | None = None,
    retry: bool | None = False,
) -> Answer:
    """An answer in the OpenAI error envelope; ``retry`` sets ``x-should-retry`` unless None."""
    headers = {} if retry is None else {"x-should-retry": "true" if retry else "false"}
    error = APIError(status, message, type=kind, param=param, code=code)
    return _json(status, error.envelope(Flavour.OPENAI), headers)


def _not_found(response_id: str) -> Answer:
    return _envelope(
        404,
        f"No response found with id '{response_id}'.",
        code="response_not_found",
        param="response_id",
    )


def _transport_error(recorded: str | None, where: str) -> httpx2.TransportError:
    """The recorded connection failure again: its httpx2 class if the text names one.

    The recording transport writes ``"ReadTimeout: ..."``; anything else becomes a
    :class:`httpx2.ConnectError`. Either way the SDK retries it as it did live.
    """
    text = recorded or "the connection failed"
    name = text.partition(":")[0].strip()
    kind = getattr(httpx2, name, None)
    if not (isinstance(kind, type) and issubclass(kind, httpx2.TransportError)):
        kind = httpx2.ConnectError
    error: httpx2.TransportError = kind(f"{text} (replayed: {where})")
    return error
