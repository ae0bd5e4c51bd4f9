"""Check a cassette on disk: the format, the blobs and their hashes, leaked secrets.

Cassettes get committed and shared, so :func:`verify` treats one as untrusted:
it reads every line and every file itself instead of stopping at the first
problem the loader meets, and reports each as a :class:`Finding`. What a
crash normally leaves (a torn last line, temporary files, blobs no line
refers to yet, a manifest still ``recording``) is not a fault: it is reported
as a note, and :func:`~.gc.gc` removes the garbage. The secret scan is
:mod:`.leaks`; a report names a secret by file, byte offset and mask, never by
its value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..errors import CassetteNotFound, InvalidCassette
from .blobs import BlobStore, digest_of, read_blob
from .canonical import blob_refs, is_item_ref
from .format import (
    BLOB_KEY,
    BLOBS_DIR,
    FORMAT_VERSION,
    ITEM_KEY,
    MANIFEST_NAME,
    STEPS_NAME,
    Manifest,
    StepRecord,
    StopRecord,
    summary,
)
from .gc import gc, leftovers
from .leaks import find_leaks, mask, secret_patterns, secret_values
from .limits import VARIABLES, Limits, parse_json, read_file
from .redact import SECRET_ENV
from .store import load_cassette

__all__ = ["Finding", "Kind", "Verification", "format_size", "gc", "mask", "verify"]

Kind = Literal[
    "schema",
    "missing_blob",
    "hash",
    "secret",
    "unsafe_blob",
    "torn",
    "leftover",
    "unreferenced",
    "incomplete",
]
"""The first five are findings (the cassette is wrong); the rest are notes (worth knowing).
``unsafe_blob``: a symbolic link, FIFO, device or oversized file where a blob belongs."""


@dataclass(frozen=True)
class Finding:
    """One problem (or note): what kind, where (file, line or byte offset), and what to do."""

    kind: Kind
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


@dataclass
class Verification:
    """What :func:`verify` found. ``ok`` when there are no findings; notes never fail it."""

    directory: Path
    findings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    steps: int = 0
    blobs: int = 0
    """Distinct blobs the cassette refers to."""
    files: int = 0
    """Files scanned for secrets."""

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, kind: Kind, where: str, message: str) -> None:
        self.findings.append(Finding(kind, where, message))

    def note(self, kind: Kind, where: str, message: str) -> None:
        self.notes.append(Finding(kind, where, message))


@dataclass
class _Ref:
    digest: str
    mime: str
    sizes: set[object] = field(default_factory=set)
    where: list[str] = field(default_factory=list)


def verify(
    directory: Path | str,
    *,
    environ: Mapping[str, str] = os.environ,
    secrets: Iterable[str] = (),
    patterns: Iterable[str] = (),
) -> Verification:
    """Check the cassette in ``directory``; raise only if there is none (or a pattern is bad).

    ``environ`` supplies secrets by name (``*KEY*``, ``*TOKEN*``, ... as the
    recorder redacts them, plus any names the manifest's redaction policy
    lists); ``secrets`` are more values and ``patterns`` more regular
    expressions that must not occur in any file of the cassette. A value is
    sought in every spelling redaction removes (:func:`.leaks.on_disk`).
    """
    directory = Path(directory)
    if not (directory / MANIFEST_NAME).is_file():
        raise CassetteNotFound(
            directory,
            "Pass the directory that holds run.json: one recorded with --record, or by "
            "pytest --cua-record-mode=once.",
        )
    compiled = secret_patterns(patterns)
    report = Verification(directory)
    limits = Limits.from_environ(environ)
    manifest = _check_manifest(directory, report, limits)
    if manifest is not None and manifest.format_version > FORMAT_VERSION:
        return report
    refs = _check_log(directory, manifest, report, limits)
    if not any(f.kind == "schema" for f in report.findings):
        try:
            load_cassette(directory, limits=limits)
        except InvalidCassette as exc:  # anything the loader refuses that the pass above missed
            report.add("schema", STEPS_NAME, str(exc))
        except UnicodeDecodeError as exc:  # a crash cut a character in two: replay cannot load it
            report.add(
                "schema",
                f"{STEPS_NAME}@{exc.start}",
                f"is not UTF-8 ({exc.reason}), so the cassette does not load; re-record the run.",
            )
    _check_blobs(directory, refs, report)
    values = secret_values(environ, SECRET_ENV + _policy_names(manifest), secrets)
    leaks, report.files = find_leaks(directory, values, compiled)
    for leak in leaks:
        report.add("secret", leak.where, leak.message)
    return report


# -- schema ----------------------------------------------------------------------------


def _check_manifest(directory: Path, report: Verification, limits: Limits) -> Manifest | None:
    path = directory / MANIFEST_NAME
    try:
        text = read_file(path, directory, limit=limits.line_bytes, variable=VARIABLES["line_bytes"])
        raw = parse_json(text, MANIFEST_NAME, limits)
    except InvalidCassette as exc:
        report.add("schema", MANIFEST_NAME, f"is not read: {exc}")
        return None
    except (OSError, ValueError) as exc:
        report.add(
            "schema", MANIFEST_NAME, f"is not readable JSON ({exc}); restore it or re-record."
        )
        return None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        report.add(
            "schema",
            MANIFEST_NAME,
            f"format_version={version}, this cua-replay reads up to {FORMAT_VERSION}; upgrade "
            "cua-replay (pip install -U cua-replay) to check this cassette.",
        )
        return Manifest(format_version=version)
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        report.add("schema", MANIFEST_NAME, f"does not match the format: {summary(exc)}.")
        return None
    if manifest.status == "recording":
        report.note(
            "incomplete",
            MANIFEST_NAME,
            "status=recording: the run crashed or is still being recorded; "
            "the steps written so far replay.",
        )
    return manifest


def _check_log(
    directory: Path, manifest: Manifest | None, report: Verification, limits: Limits
) -> dict[Path, _Ref]:
    """Every line on its own (so one bad line hides no other); the blob references found."""
    refs: dict[Path, _Ref] = {}
    store = BlobStore(directory / BLOBS_DIR)
    if manifest is not None:
        _collect(store, manifest.model_dump(mode="json"), MANIFEST_NAME, refs, report)
    log = directory / STEPS_NAME
    try:
        content = read_file(log, directory, limit=limits.log_bytes, variable=VARIABLES["log_bytes"])
    except FileNotFoundError:
        content = b""
    except InvalidCassette as exc:
        report.add("schema", STEPS_NAME, f"is not read: {exc}")
        content = b""
    lines = content.split(b"\n") if content else []
    items: set[str] = set()
    position = last = 0
    stop_line: int | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{STEPS_NAME}:{number}"
        try:
            data = parse_json(line, where, limits)
        except InvalidCassette as exc:
            report.add("schema", where, f"is not read: {exc}")
            position, last = position + 1, last + 1
            continue
        except ValueError:
            if number == len(lines):  # no newline after it: the line in flight at the crash
                report.note(
                    "torn",
                    where,
                    f"the last line is cut off ({len(line)} bytes): the step in flight when the "
                    "recording stopped; it is ignored and the steps before it replay.",
                )
                break
            report.add("schema", where, "is not JSON: the log is corrupt; re-record the run.")
            position, last = position + 1, last + 1  # most likely a step: count it
            continue
        if not isinstance(data, dict):
            report.add("schema", where, f"is a JSON {type(data).__name__}, not a step object.")
            position, last = position + 1, last + 1
            continue
        _collect(store, data, where, refs, report)
        if stop_line is not None:
            report.add("schema", where, f"follows the stop line ({stop_line}): the log was edited.")
        if data.get("kind") == "stop":
            stop_line = number
            _validate(StopRecord, data, where, report)
            continue
        _validate(StepRecord, data, where, report)
        position += 1
        seen = data.get("step")
        if isinstance(seen, int) and not isinstance(seen, bool):
            # Right by position or right after the previous number: one edit, one finding.
            if seen not in (position, last + 1):
                report.add(
                    "schema",
                    where,
                    f"is step={seen}, expected step={position}: lines were removed, "
                    "reordered, or two recordings were mixed.",
                )
            last = seen
        else:
            last += 1  # the model validation has reported it
        new_items = data.get("items")
        if isinstance(new_items, dict):
            items.update(str(k) for k in new_items)
        request = data.get("request")
        inputs = request.get("input") if isinstance(request, dict) else None
        for ref in inputs if isinstance(inputs, list) else []:
            if is_item_ref(ref) and ref[ITEM_KEY] not in items:
                report.add(
                    "schema",
                    where,
                    f"input item {_short(str(ref[ITEM_KEY]))} is not stored in this or an earlier "
                    "line: the log was edited or reordered.",
                )
    report.steps = position
    if manifest is not None and manifest.status == "complete":
        if stop_line is None:
            report.add(
                "schema",
                STEPS_NAME,
                "has no stop line although run.json says status=complete: the log was cut "
                "short or replaced; restore it or re-record.",
            )
        elif manifest.steps != position:
            report.add(
                "schema",
                MANIFEST_NAME,
                f"says steps={manifest.steps} but {STEPS_NAME} holds {position}: one of them was "
                "edited; restore it or re-record.",
            )
    return refs


def _validate(
    model: type[StepRecord] | type[StopRecord],
    data: dict[str, Any],
    where: str,
    report: Verification,
) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        report.add("schema", where, f"does not match the {model.__name__} format: {summary(exc)}.")


def _policy_names(manifest: Manifest | None) -> tuple[str, ...]:
    return manifest.redaction.secret_env if manifest is not None else ()


# -- blobs -----------------------------------------------------------------------------


def _collect(
    store: BlobStore, data: Any, where: str, refs: dict[Path, _Ref], report: Verification
) -> None:
    for ref in blob_refs(data):
        digest, mime = ref.get(BLOB_KEY), ref.get("mime", "image/png")
        if not isinstance(digest, str) or not isinstance(mime, str):
            report.add("schema", where, f"blob reference {_clip(ref)} has no string digest/mime.")
            continue
        try:
            path = store.path(digest, mime)
        except InvalidCassette:
            report.add(
                "schema", where, f"blob reference {digest[:80]!r} is not sha256:<64 hex digits>."
            )
            continue
        entry = refs.setdefault(path, _Ref(digest, mime))
        entry.sizes.add(ref.get("bytes"))
        if not entry.where or entry.where[-1] != where:
            entry.where.append(where)


def _check_blobs(directory: Path, refs: dict[Path, _Ref], report: Verification) -> None:
    report.blobs = len(refs)
    for path, ref in refs.items():
        used = ref.where[0] + (f" (and {len(ref.where) - 1} more)" if len(ref.where) > 1 else "")
        name = path.relative_to(directory).as_posix()
        try:
            data = read_blob(path, directory)
        except FileNotFoundError:
            report.add(
                "missing_blob",
                name,
                f"blob {_short(ref.digest)} ({ref.mime}) referenced by {used} is missing: copy "
                "the cassette with its blobs/ directory, or re-record the run.",
            )
            continue
        except (InvalidCassette, OSError) as exc:
            report.add("unsafe_blob", name, f"is not read (used by {used}): {exc}")
            continue
        actual = digest_of(data)
        if actual != ref.digest:
            report.add(
                "hash",
                name,
                f"its bytes hash to {_short(actual)}, not the {_short(ref.digest)} it is named "
                f"by (used by {used}): the file was modified or corrupted; re-record the run.",
            )
            continue
        declared = sorted(str(s) for s in ref.sizes if s != len(data))
        if declared:
            report.add(
                "hash",
                name,
                f"is {len(data)} bytes but {used} says bytes={', '.join(declared)}: the "
                "reference or the file was edited; re-record the run.",
            )
    store = BlobStore(directory / BLOBS_DIR)
    unused = [path for _, path in store if path not in refs]
    if unused:
        size = sum(p.stat().st_size for p in unused)
        report.note(
            "unreferenced",
            BLOBS_DIR,
            f"{len(unused)} blob(s), {format_size(size)}, that no step refers to (a crash "
            "between storing a screenshot and writing its step): `cua-replay gc` removes them.",
        )
    for path in leftovers(directory):
        report.note(
            "leftover",
            path.relative_to(directory).as_posix(),
            "a temporary file a crash left mid-write: `cua-replay gc` removes it.",
        )


def format_size(size: int) -> str:
    """``812 B``, ``34.8 KB``, ``1.2 MB``: what a report says about bytes."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _short(digest: str) -> str:
    return digest[:19] + "..." if len(digest) > 19 else digest


def _clip(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
