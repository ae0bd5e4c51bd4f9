"""vcrpy interactions to and from a cua-replay cassette: the conversions behind the adapter.

Saving feeds each interaction, as an :class:`Exchange`, to a transport-style
:class:`Recorder`, so a cassette written through vcrpy is built by the same code
as one written by the recording transport: canonical requests, images in the
blob store, redaction, allow-listed headers, SSE events. What the step log does
not hold, and vcrpy needs to play the interactions back, goes into the
manifest's ``settings["vcrpy"]``: each interaction's method, URI (filtered) and
status line, in order, and for an interaction that is not a step of its own
(a failed attempt before a retry, a ``GET``) its response and request body.

What a round trip loses: SSE timings (vcrpy reads a stream whole, so every event
is stored at ``t_ms`` 0), response headers outside the redaction allow-list,
request headers (loaded requests carry ``content-type`` only), and bytes the
redaction replaced.
"""

from __future__ import annotations

import base64
import http
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import httpx2

from ..cassette.blobs import BlobStore
from ..cassette.canonical import blob_refs, dumps, expand
from ..cassette.format import BLOB_KEY, BLOBS_DIR, Http, SseEvent, StepRecord
from ..cassette.redact import RedactionPolicy
from ..cassette.store import Cassette
from ..errors import InvalidCassette
from ..record.recorder import Exchange, Recorder, new_manifest
from ..wire.sse import SseParser

VCRPY_KEY: Final = "vcrpy"
"""The manifest ``settings`` key of the interaction index."""

BlobLoader = Callable[[str, str], bytes]


def as_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "read"):
        return as_bytes(body.read())
    return b"".join(as_bytes(part) for part in body)


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, or ``None`` when it is not (an empty body is not)."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def is_sse(headers: Iterable[tuple[str, str]]) -> bool:
    return any(
        k.lower() == "content-type" and v.split(";")[0].strip().lower() == "text/event-stream"
        for k, v in headers
    )


def sse_text(events: Iterable[SseEvent]) -> bytes:
    """Events back to the wire form the SDK parses."""
    out: list[str] = []
    for event in events:
        data = event.data if isinstance(event.data, str) else json.dumps(event.data)
        lines = "".join(f"data: {line}\n" for line in data.split("\n"))
        out.append(f"event: {event.event}\n{lines}\n")
    return "".join(out).encode("utf-8")


def _decoded(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    encoding = [(k, v) for k, v in headers if k.lower() == "content-encoding"]
    if not encoding or not body:
        return body
    try:
        return httpx2.Response(200, headers=encoding, content=body).read()
    except httpx2.DecodingError:
        return body


def _header_pairs(headers: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            pairs.append(
                (str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value))
            )
    return pairs


def exchange_of(request: Any, response: Mapping[str, Any], load: BlobLoader) -> Exchange:
    """A vcrpy interaction as the recording transport would have reported it."""
    body = as_bytes(request.body)
    parsed = parse_json(body)
    if parsed is not None and blob_refs(parsed):
        body = json.dumps(expand(parsed, load)).encode("utf-8")
    headers = _header_pairs(response.get("headers") or {})
    payload = _decoded(as_bytes((response.get("body") or {}).get("string")), headers)
    events: list[tuple[float, str, Any]] | None = None
    if is_sse(headers):
        parser = SseParser()
        events = [(0.0, name, data) for name, data in parser.feed(payload + b"\n\n")]
        payload = b""
    return Exchange(
        method=str(request.method).upper(),
        url=str(request.uri),
        request_headers=list(request.headers.items()),
        request_body=body,
        status=int(response["status"]["code"]),
        response_headers=headers,
        body=payload,
        events=events,
    )


def envelope(raw: bytes, canonical: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """A body for the manifest: canonical JSON, text, or base64 (empty: no key)."""
    if not raw:
        return {}
    parsed = parse_json(raw)
    if isinstance(parsed, dict):
        return {"json": canonical(parsed)}
    if parsed is not None:
        return {"json": parsed}
    try:
        return {"text": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}


def unwrap(body: Mapping[str, Any] | None) -> bytes:
    """The inverse of :func:`envelope` (canonical JSON comes back sorted and compact)."""
    if not body:
        return b""
    if "json" in body:
        return dumps(body["json"]).encode("utf-8")
    if "text" in body:
        return str(body["text"]).encode("utf-8")
    return base64.b64decode(str(body.get("base64", "")))


def save_interactions(
    directory: Path,
    requests: list[Any],
    responses: list[Mapping[str, Any]],
    *,
    load: BlobLoader,
    metadata: Mapping[str, Any] | None = None,
    policy: RedactionPolicy | None = None,
    environ: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
) -> set[str]:
    """Write the interactions as a cassette in ``directory`` (replacing it); the digests used.

    ``secrets`` are values to redact besides the environment's: the credentials
    the request filter stripped (the requests reaching here no longer carry them,
    and a response may echo one).

    Written into a sibling directory first and swapped in at the end, so a crash
    mid-save leaves the previous cassette, and its blobs stay readable to ``load``
    while the new one is written.
    """
    staging = directory.with_name(f".{directory.name}.{os.getpid()}.saving")
    shutil.rmtree(staging, ignore_errors=True)
    used: set[str] = set()

    def tracked(digest: str, mime: str) -> bytes:
        used.add(digest)
        return load(digest, mime)

    manifest = new_manifest(recorder="vcrpy")
    recorder = Recorder.open(
        staging, manifest, policy=policy, environ=environ, secrets=secrets, overwrite=True
    )
    try:
        index = _feed(recorder, requests, responses, tracked)
        settings: dict[str, Any] = {"interactions": index}
        if metadata:
            settings["metadata"] = dict(metadata)
        manifest = recorder.writer.manifest
        manifest.settings = manifest.settings.model_copy(update={VCRPY_KEY: settings})
        recorder.close()
    except BaseException:
        recorder.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, directory)
    return used


def _feed(
    recorder: Recorder,
    requests: list[Any],
    responses: list[Mapping[str, Any]],
    load: BlobLoader,
) -> list[dict[str, Any]]:
    """Send each interaction to ``recorder``; the index entry of each, in order."""
    writer = recorder.writer
    index: list[dict[str, Any]] = []
    failed: list[tuple[dict[str, Any], bytes]] = []
    steps = 0
    for request, response in zip(requests, responses, strict=True):
        exchange = exchange_of(request, response, load)
        status = exchange.status or 0
        entry: dict[str, Any] = {
            "method": exchange.method,
            "uri": exchange.url,
            "status": status,
            "message": str((response.get("status") or {}).get("message") or ""),
        }
        index.append(entry)
        if exchange.is_create:
            recorder.exchange(exchange)
        if exchange.is_create and status < 300:
            steps += 1
            entry["step"] = steps
            _settle(failed, steps, exchange.request_body)
            failed = []
            continue
        entry["headers"] = writer.redactor.headers(exchange.response_headers)
        body = exchange.body
        if exchange.events is not None:
            body = sse_text(SseEvent(t_ms=0, event=n, data=d) for _, n, d in exchange.events)
        entry["body"] = envelope(body, writer.canonical)
        entry["request_body"] = envelope(exchange.request_body, writer.canonical)
        if exchange.is_create:
            failed.append((entry, exchange.request_body))
    if failed:
        _settle(failed, steps + 1, failed[-1][1])
    return index


def _settle(failed: list[tuple[dict[str, Any], bytes]], step: int, request_body: bytes) -> None:
    """Attach failed attempts to their step; one that sent the step's request refers to it."""
    for entry, body in failed:
        entry["attempt_of"] = step
        if body == request_body:
            del entry["request_body"]


def _swap(staging: Path, directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    if not directory.exists():
        os.replace(staging, directory)
        return
    old = directory.with_name(f".{directory.name}.{os.getpid()}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def load_interactions(cassette: Cassette) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    """``(requests, responses, metadata)`` in vcrpy's terms, in recorded order."""
    from vcr.request import Request  # type: ignore[import-untyped]

    info = (cassette.manifest.settings.model_extra or {}).get(VCRPY_KEY)
    if not isinstance(info, dict) or not isinstance(info.get("interactions"), list):
        raise InvalidCassette(
            f"{cassette.directory} was recorded by recorder={cassette.manifest.recorder!r}, "
            "not through vcrpy, so it has no interaction index; replay it with cua-replay "
            "(cua-replay replay / the pytest plugin), or record it again through vcrpy."
        )
    requests: list[Any] = []
    responses: list[dict[str, Any]] = []
    for number, entry in enumerate(info["interactions"], start=1):
        try:
            if "step" in entry:
                step = _step(cassette, int(entry["step"]), number)
                body = dumps(cassette.request(step.step)).encode("utf-8")
                status, headers, payload = _final(step)
            else:
                body = (
                    unwrap(entry["request_body"])
                    if "request_body" in entry
                    else dumps(
                        cassette.request(_step(cassette, int(entry["attempt_of"]), number).step)
                    ).encode()
                )
                status = int(entry["status"])
                headers = dict(entry.get("headers") or {})
                payload = unwrap(entry.get("body"))
            method, uri = str(entry["method"]), str(entry["uri"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidCassette(
                f"{cassette.directory}: vcrpy interaction {number} in run.json is malformed "
                f"({type(exc).__name__}: {exc}); record the cassette again."
            ) from None
        is_json = parse_json(body) is not None
        requests.append(
            Request(method, uri, body, {"content-type": "application/json"} if is_json else {})
        )
        message = entry.get("message") or _reason(status)
        responses.append(
            {
                "status": {"code": status, "message": message},
                "headers": {name: [value] for name, value in headers.items()},
                "body": {"string": payload},
            }
        )
    metadata = info.get("metadata")
    return requests, responses, dict(metadata) if isinstance(metadata, dict) else {}


def _step(cassette: Cassette, number: int, interaction: int) -> StepRecord:
    if not 1 <= number <= len(cassette.steps):
        raise InvalidCassette(
            f"{cassette.directory}: vcrpy interaction {interaction} refers to step={number}, but "
            f"the log has {len(cassette.steps)} step(s); the cassette was edited or cut. "
            "Record it again."
        )
    return cassette.steps[number - 1]


def _final(step: StepRecord) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the exchange a step was built from."""
    http_info = step.http or Http(status=200)
    headers = dict(http_info.headers)
    if step.events is not None:
        headers.setdefault("content-type", "text/event-stream; charset=utf-8")
        payload = sse_text(step.events)
    elif step.response is not None:
        headers.setdefault("content-type", "application/json")
        payload = json.dumps(step.response).encode("utf-8")
    elif http_info.body is not None:
        body = http_info.body
        payload = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    else:
        payload = b""
    return http_info.status or 200, headers, payload


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def blob_loader(directory: Path, cached: Callable[[str], bytes | None]) -> BlobLoader:
    """Image bytes by digest: from the filter's cache, else the cassette being replaced."""
    store = BlobStore(directory / BLOBS_DIR)

    def load(digest: str, mime: str) -> bytes:
        data = cached(digest)
        if data is not None:
            return data
        if store.has(digest, mime):
            return store.get(digest, mime)
        raise InvalidCassette(
            f"The image {digest} of a request to save into {directory} is neither in this "
            "process's filter cache nor in the cassette's blobs; the request was filtered in "
            f"another process, or the cache limit evicted it. Record again with "
            f"record_mode='all' (a {BLOB_KEY!r} reference cannot be saved without its bytes)."
        )

    return load
