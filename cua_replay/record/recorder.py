"""The recorder: a loop listener plus a sink for the HTTP exchanges of the model traffic.

Driven by the loop engine, one step is everything from a ``RequestSent`` to the
next one (or ``Stopped``): the request, the response, the safety decisions,
the actions executed, the screenshots sent back; the HTTP exchanges a
:mod:`recording transport <cua_replay.record.transport>` reports in between
add the status, the headers that matter, every retry and the SSE events with
their timings. A step is written when it is complete, so a crash loses at most
the step in flight.

Without a loop (a team's own client code behind the recording transport, the
SDK's ``ComputerToolset`` say), every ``POST .../responses`` exchange is a step
of its own, written as soon as it ends; failed attempts that the SDK retries
become the ``attempts`` of the step that finally succeeded.
"""

from __future__ import annotations

import functools
import json
import logging
import platform
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..cassette.canonical import blob_ref
from ..cassette.format import (
    Attempt,
    Endpoint,
    ExecutedAction,
    Http,
    Manifest,
    Observation,
    SafetyRecord,
    SseEvent,
    StepRecord,
    StopRecord,
)
from ..cassette.redact import RedactionPolicy, Redactor
from ..cassette.store import CassetteWriter, ImageTransform
from ..events import (
    ActionExecuted,
    Event,
    MessageReceived,
    PageEvent,
    ReasoningSummary,
    RequestSent,
    ResponseReceived,
    SafetyDecision,
    ScreenshotCaptured,
    Stopped,
)
from ..wire.data_url import png_data_url
from ..wire.sse import final_response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as a recording transport saw them."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    events: list[tuple[float, str, Any]] | None = None
    """SSE: ``(ms since the request was sent, event name, parsed data)``."""
    latency_ms: float = 0.0
    error: str | None = None

    @property
    def is_create(self) -> bool:
        return self.method.upper() == "POST" and urlsplit(self.url).path.rstrip("/").endswith(
            "/responses"
        )


def normalized_path(url: str) -> str:
    """``/responses`` for ``/v1/responses`` and every Azure form; other paths unchanged."""
    path = urlsplit(url).path.rstrip("/")
    return "/responses" if path.endswith("/responses") else path


def endpoint_of(url: str) -> Endpoint:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    azure = parts.path.startswith("/openai/") or (parts.hostname or "").endswith(".azure.com")
    return Endpoint(
        provider="azure" if azure else "openai",
        host=parts.hostname or "",
        api_version=query.get("api-version"),
    )


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    found = [("python", platform.python_version())]
    for dist in ("cua-replay", "openai", "httpx2", "playwright", "vcrpy"):
        try:
            found.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(found)


def tool_versions() -> dict[str, str]:
    """Python's and the packages' versions (read once per process: metadata lookups are slow)."""
    return dict(_versions())


def new_manifest(**fields: Any) -> Manifest:
    """A manifest stamped with the tool versions and the time; ``fields`` fill the rest."""
    return Manifest(
        versions=tool_versions(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
    )


class Recorder:
    """Writes one run into a cassette directory. Use it as a listener and/or transport sink."""

    def __init__(self, writer: CassetteWriter) -> None:
        self.writer = writer
        self._lock = threading.RLock()
        self._started = time.perf_counter()
        self._pending: dict[str, Any] | None = None
        self._exchanges: list[Exchange] = []
        self._loop_driven = False
        self._steps = 0
        self._initial: Observation | None = None
        self._fresh: list[tuple[str, dict[str, Any]]] = []
        """Screenshots captured since the last request, as data URLs, with their references."""
        self.closed = False

    @classmethod
    def open(
        cls,
        directory: Path | str,
        manifest: Manifest,
        *,
        policy: RedactionPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        overwrite: bool = False,
        fsync: bool = False,
    ) -> Recorder:
        """A recorder for ``directory``, redacting by ``policy`` and the environment's secrets."""
        import os

        policy = policy or RedactionPolicy()
        redactor = Redactor.from_env(os.environ if environ is None else environ, policy)
        for secret in secrets:
            redactor.learn(secret)
        manifest.redaction = policy.describe()
        image: ImageTransform | None = None
        if policy.mask:
            from ..images import mask_png

            rects = policy.mask

            def image(data: bytes) -> bytes:
                return mask_png(data, rects)

        writer = CassetteWriter(
            Path(directory),
            manifest,
            redactor=redactor,
            image=image,
            overwrite=overwrite,
            fsync=fsync,
        )
        return cls(writer)

    @property
    def directory(self) -> Path:
        return self.writer.directory

    # -- loop listener ---------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._loop_driven = True
            self._on_event(event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestSent):
            self._flush()
            self._describe(event.request)
            canonical, digest = self.writer.canonical_and_hash(event.request, self._recognise)
            self._fresh.clear()
            self._pending = {
                "step": event.step,
                "t": round(time.perf_counter() - self._started, 6),
                "request": canonical,
                "request_hash": digest,
                "observations": [self._initial] if self._initial is not None else [],
            }
            self._initial = None
            self._exchanges.clear()
        elif isinstance(event, ScreenshotCaptured):
            digest, size = self.writer.store_image(event.png)
            ref = blob_ref(digest, "image/png", size)
            # The loop encoded these very bytes for its request: the memo hands back its string.
            self._fresh.append((png_data_url(event.png), ref))
            observation = Observation(call_id=event.call_id, screenshot=ref, url=event.url)
            if self._pending is None:
                self._initial = observation
            else:
                self._pending["observations"].append(observation)
        elif self._pending is None:
            if isinstance(event, Stopped):
                self.close(
                    StopRecord(reason=str(event.reason), steps=event.steps, detail=event.detail)
                )
            return
        elif isinstance(event, ResponseReceived):
            self._pending["response"] = event.response.to_dict(mode="json")
            self._pending["latency_ms"] = round(event.elapsed_s * 1000, 3)
            self._attach_http(self._pending)
        elif isinstance(event, ReasoningSummary):
            self._pending.setdefault("reasoning", []).append(event.text)
        elif isinstance(event, MessageReceived):
            self._pending["message"] = event.text
        elif isinstance(event, SafetyDecision):
            self._pending.setdefault("safety", []).append(
                SafetyRecord(
                    call_id=event.call_id,
                    checks=list(event.checks),
                    approved=event.approved,
                    decided_by=event.decided_by,
                    reason=event.reason,
                )
            )
        elif isinstance(event, ActionExecuted):
            self._pending.setdefault("actions", []).append(
                ExecutedAction(
                    call_id=event.call_id,
                    index=event.index,
                    action=event.action.model_dump(mode="json"),
                    url=event.url,
                    elapsed_ms=round(event.elapsed_s * 1000, 3),
                )
            )
        elif isinstance(event, PageEvent):
            self._pending.setdefault("page_events", []).append(
                {"kind": event.kind, **self.writer.redactor.json(dict(event.detail))}
            )
        elif isinstance(event, Stopped):
            if event.reason == "error" and "response" not in self._pending:
                self._attach_http(self._pending)
            if event.reason == "error":
                self._pending["error"] = event.detail
            self._flush()
            self.close(
                StopRecord(
                    reason=str(event.reason),
                    steps=event.steps,
                    detail=event.detail,
                    final_message=event.final_message,
                )
            )

    def _recognise(self, text: str, start: int) -> dict[str, Any] | None:
        """The reference of a screenshot just captured, when ``text`` is exactly its data URL.

        The loop sends back the screenshots it captured, so the next request's data
        URLs are found by comparing text instead of decoding and hashing them again.
        """
        for data_url, ref in self._fresh:
            if text == data_url:  # the very string the loop sent: an identity check, then
                return ref
        return None

    def _describe(self, request: dict[str, Any]) -> None:
        """Fill what the manifest does not say yet from the first request: model, tool, task."""
        manifest = self.writer.manifest
        if manifest.model is None and isinstance(request.get("model"), str):
            manifest.model = request["model"]
        for tool in request.get("tools") or ():
            if not isinstance(tool, dict) or manifest.tool is not None:
                continue
            if tool.get("type") == "computer_use_preview":
                manifest.tool = "computer_use_preview"
                width, height = tool.get("display_width"), tool.get("display_height")
                if manifest.display is None and isinstance(width, int) and isinstance(height, int):
                    manifest.display = (width, height)
                manifest.environment = manifest.environment or tool.get("environment")
            elif tool.get("type") == "computer":
                manifest.tool = "computer"
        if manifest.task is None:
            manifest.task = _task_of(request.get("input"))

    def _flush(self) -> None:
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        self.writer.append(StepRecord.model_validate(pending))
        self._steps = pending["step"]

    # -- transport sink ---------------------------------------------------------------

    def exchange(self, exchange: Exchange) -> None:
        """Called by a recording transport, from any thread, when an exchange has ended."""
        with self._lock:
            # The credential first, from any request: a response may echo it, and
            # everything written from now on is scrubbed of it, in every spelling.
            self.writer.redactor.headers(exchange.request_headers)
        if not exchange.is_create:
            return
        with self._lock:
            if self.closed:
                logger.warning(
                    "exchange after the recording closed: %s %s", exchange.method, exchange.url
                )
                return
            self._note_endpoint(exchange)
            self._exchanges.append(exchange)
            if not self._loop_driven and exchange.status is not None and exchange.status < 300:
                self._write_exchange_step()

    def _note_endpoint(self, exchange: Exchange) -> None:
        manifest = self.writer.manifest
        if not manifest.endpoint.host:
            manifest.endpoint = endpoint_of(exchange.url)

    def _attach_http(self, pending: dict[str, Any]) -> None:
        exchanges, self._exchanges = self._exchanges, []
        if not exchanges:
            return
        redactor = self.writer.redactor
        last = exchanges[-1]
        http = Http(
            method=last.method.upper(),
            path=normalized_path(last.url),
            query=redactor.query(parse_qsl(urlsplit(last.url).query)),
            status=last.status,
            headers=redactor.headers(last.response_headers),
            latency_ms=round(last.latency_ms, 3),
            attempts=[
                Attempt(
                    status=ex.status,
                    latency_ms=round(ex.latency_ms, 3),
                    headers=redactor.headers(ex.response_headers),
                    error=ex.error,
                )
                for ex in exchanges[:-1]
            ],
        )
        if last.events is not None:
            pending["events"] = [
                SseEvent(t_ms=round(t, 3), event=name, data=data) for t, name, data in last.events
            ]
        if last.status is None or last.status >= 300 or "response" not in pending:
            http.body = _parse(last.body)
        pending["http"] = http

    def _write_exchange_step(self) -> None:
        last = self._exchanges[-1]
        try:
            request = json.loads(last.request_body)
        except ValueError:
            request = {"$raw": last.request_body.decode("utf-8", "replace")}
        if isinstance(request, dict):
            self._describe(request)
        canonical, digest = self.writer.canonical_and_hash(request)
        pending: dict[str, Any] = {
            "step": self._steps + 1,
            "t": round(time.perf_counter() - self._started, 6),
            "request": canonical,
            "request_hash": digest,
            "latency_ms": round(last.latency_ms, 3),
        }
        response = _response_of(last)
        if response is not None:
            pending["response"] = response
        self._attach_http(pending)
        self._pending = pending
        self._flush()

    # -- end ---------------------------------------------------------------------------

    def close(self, stop: StopRecord | None = None) -> None:
        """Write what is pending and close; a transport-only recording gets a ``stop`` line here."""
        with self._lock:
            if self.closed:
                return
            if not self._loop_driven and self._exchanges:
                last = self._exchanges[-1]  # a final failure nothing retried
                self._write_failed(last)
            self._flush()
            if stop is None and not self._loop_driven:
                stop = StopRecord(reason="closed", steps=self._steps)
            self.writer.manifest.steps = self._steps
            self.writer.close(stop)
            self.closed = True

    def _write_failed(self, last: Exchange) -> None:
        try:
            request = json.loads(last.request_body)
        except ValueError:
            request = {"$raw": last.request_body.decode("utf-8", "replace")}
        canonical, digest = self.writer.canonical_and_hash(request)
        self._pending = {
            "step": self._steps + 1,
            "request": canonical,
            "request_hash": digest,
            "error": last.error or f"HTTP {last.status}",
        }
        self._attach_http(self._pending)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _task_of(items: Any) -> str | None:
    if isinstance(items, str):
        return items
    for item in items or ():
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            for part in content or ():
                if isinstance(part, dict) and part.get("type") == "input_text":
                    return str(part.get("text"))
    return None


def _parse(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _response_of(exchange: Exchange) -> dict[str, Any] | None:
    if exchange.events is not None:
        return final_response((name, data) for _, name, data in exchange.events)
    parsed = _parse(exchange.body)
    return parsed if isinstance(parsed, dict) and parsed.get("object") == "response" else None
