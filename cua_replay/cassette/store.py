"""The only file I/O of a cassette: the append-only writer and the loader.

:class:`CassetteWriter` writes the manifest atomically (temporary file and
rename), then one line per step, flushed as soon as it is written (``fsync``
too when asked), blobs always before the line that refers to them. A process
killed at any moment leaves a cassette that loads: at worst a torn last line,
which :func:`load_cassette` drops as the step in flight, and a few blobs no
line refers to yet, which ``gc`` removes.

:class:`Cassette` is the loaded, validated form: the manifest, the steps with
their requests expanded back from item references (blob references stay), and
the blob store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from pydantic import ValidationError

from ..errors import CassetteNotFound, CassetteNotWritable, InvalidCassette
from .blobs import BlobStore, digest_of, is_digest
from .canonical import (
    KnownImages,
    blob_refs,
    canonicalize,
    dumps,
    escape_surrogates,
    join_items,
    request_hash,
    split_items,
    text_hash,
)
from .format import (
    BLOB_KEY,
    BLOBS_DIR,
    FORMAT_VERSION,
    MANIFEST_NAME,
    STEPS_NAME,
    Manifest,
    StepRecord,
    StopRecord,
    summary,
)
from .limits import VARIABLES, Limits, parse_json, read_file
from .redact import Redactor

ImageTransform = Callable[[bytes], bytes]
logger = logging.getLogger(__name__)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = escape_surrogates(json.dumps(data, indent=2, ensure_ascii=False))
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


class CassetteWriter:
    """Appends steps to a cassette directory as they happen.

    The directory must be new or empty: one that already holds a recording is
    refused (so a second ``--record`` never silently mixes two runs), and so is
    one holding other files (a typo'd path must not fill someone's folder).
    ``overwrite`` replaces a recording there, removing only what
    :func:`prepare_directory` proves is a recording's own; see it for the rules.
    Every file system failure (a path under a file, a read-only or full disk)
    raises :class:`CassetteNotWritable` naming the path.
    """

    def __init__(
        self,
        directory: Path,
        manifest: Manifest,
        *,
        redactor: Redactor | None = None,
        image: ImageTransform | None = None,
        overwrite: bool = False,
        fsync: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.manifest = manifest
        self.redactor = redactor or Redactor()
        self._image = image
        self._fsync = fsync
        self.skipped = prepare_directory(self.directory, overwrite=overwrite)
        """Files ``overwrite`` found but could not prove a recording's, left in place."""
        for path, why in self.skipped:
            logger.warning("kept %s while replacing the recording: %s", path, why)
        self.blobs = BlobStore(self.directory / BLOBS_DIR)
        self._items: set[str] = set()
        self._memo: dict[str, Any] = {}
        self._steps = 0
        with _writing(self.directory):
            self._save_manifest()
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
            fd = os.open(self.directory / STEPS_NAME, flags, 0o666)
            self._log: IO[str] | None = os.fdopen(fd, "a", encoding="utf-8")

    # -- what the recorder calls -------------------------------------------------

    def store_image(self, data: bytes, mime: str = "image/png") -> tuple[str, int]:
        """Store a screenshot (masked first, if the policy says so): ``(digest, size)``."""
        if self._image is not None and mime == "image/png":
            data = self._image(data)
        with _writing(self.directory):
            return self.blobs.put(data, mime, digest=digest_of(data)), len(data)

    def canonical(
        self, request: dict[str, Any], known: KnownImages | None = None
    ) -> dict[str, Any]:
        """The request with its images stored and referenced, redacted: what matching compares.

        ``known`` recognises screenshots already stored (see :func:`.canonical.canonicalize`).
        """
        return self.canonical_and_hash(request, known)[0]

    def canonical_and_hash(
        self, request: dict[str, Any], known: KnownImages | None = None
    ) -> tuple[dict[str, Any], str]:
        """:meth:`canonical` and its :func:`~.canonical.request_hash`, serialized once."""
        redacted, text = self.redactor.dumped(
            canonicalize(request, self.store_image, self._memo, known)
        )
        return redacted, text_hash(text)

    def append(self, record: StepRecord | StopRecord) -> None:
        if self._log is None:
            raise InvalidCassette(
                f"The recording in {self.directory} is closed; nothing more can be written."
            )
        # Redacted before the items are split, so an item's digest names the item as stored
        # (a secret learned after the request was canonicalized would otherwise change it).
        data = self.redactor.json(record.model_dump(mode="json", exclude_none=True))
        if isinstance(record, StepRecord):
            request, new_items = split_items(data["request"], self._items)
            data["request"] = request
            data["items"] = {**data.get("items", {}), **new_items}
            self._steps = record.step
        line = dumps(data) + "\n"
        with _writing(self.directory):
            self._log.write(line)
            self._log.flush()
            if self._fsync:
                os.fsync(self._log.fileno())

    def close(self, stop: StopRecord | None = None) -> None:
        """Write the stop line and mark the manifest complete; closing twice does nothing."""
        if self._log is None:
            return
        if stop is not None:
            self.append(stop)
            self.manifest.stop = stop.model_dump(mode="json", exclude={"kind"})
            self.manifest.status = "complete"
        self.manifest.steps = self._steps
        log, self._log = self._log, None
        with _writing(self.directory):
            log.close()
            self._save_manifest()

    def _save_manifest(self) -> None:
        data = self.redactor.json(self.manifest.model_dump(mode="json"))
        write_json_atomic(self.directory / MANIFEST_NAME, data)

    @staticmethod
    def hash(canonical: dict[str, Any]) -> str:
        return request_hash(canonical)


def prepare_directory(directory: Path, *, overwrite: bool = False) -> list[tuple[Path, str]]:
    """Make ``directory`` ready for a new recording; return what was kept, and why.

    A new or empty directory is used as it is. One that holds a recording
    (``run.json`` or ``steps.jsonl``), or any other file, is refused unless
    ``overwrite``; then the recording's manifest and log are removed, and of
    its ``blobs/`` only what :meth:`.blobs.BlobStore.not_ours` proves ours (a
    regular file named by the hash of its bytes, or a temporary file named as
    the store names them). Everything else stays and is returned with the
    reason. A symbolic link where the recording writes (``run.json``,
    ``steps.jsonl``, ``blobs/``, ``blobs/sha256``) is refused either way: the
    writes would land wherever it points. Idempotent: the CLI calls it first
    to report, then the writer again.
    """
    with _writing(directory):
        if directory.exists() and not directory.is_dir():
            raise CassetteNotWritable(
                directory, "it is a file", "Pass a directory path to record into."
            )
        for name in (MANIFEST_NAME, STEPS_NAME, BLOBS_DIR, f"{BLOBS_DIR}/sha256"):
            if (directory / name).is_symlink():
                raise InvalidCassette(
                    f"{directory / name} is a symbolic link: a recording writes only inside "
                    "its directory. Remove the link, or record into a new directory."
                )
        entries = sorted(directory.iterdir()) if directory.is_dir() else []
        recording = [p for p in entries if p.name in (MANIFEST_NAME, STEPS_NAME)]
        if recording and not overwrite:
            raise InvalidCassette(
                f"{directory} already holds a recording. Record into a new directory, or "
                "replace it: --overwrite (cua-replay run), --cua-record-mode=all (pytest), "
                "overwrite=True (Python)."
            )
        if entries and not recording and not overwrite:
            raise InvalidCassette(
                f"{directory} is not empty and holds no recording ({entries[0].name}, ...). "
                "Record into a new or empty directory, or pass --overwrite (overwrite=True) "
                "to record there anyway; files that are not a recording's are left alone."
            )
        skipped: list[tuple[Path, str]] = []
        if not overwrite:
            directory.mkdir(parents=True, exist_ok=True)
            return skipped
        for path in recording:
            if path.is_file():
                path.unlink()
            else:
                raise InvalidCassette(
                    f"{path} is not a regular file, so it is not a recording's; remove it, or "
                    "record into a new directory."
                )
        store = BlobStore(directory / BLOBS_DIR)
        base = directory / BLOBS_DIR
        found = sorted(p for p in base.rglob("*") if not p.is_dir()) if base.is_dir() else []
        for path in found:
            why = store.not_ours(path)
            if why is None:
                path.unlink()
            else:
                skipped.append((path, why))
        for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # emptied shard folders; a non-empty one stays
        directory.mkdir(parents=True, exist_ok=True)
        return skipped


@contextlib.contextmanager
def _writing(directory: Path) -> Iterator[None]:
    """Turn a file system failure while recording into one :class:`CassetteNotWritable` line."""
    try:
        yield
    except CassetteNotWritable:
        raise
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else directory
        raise CassetteNotWritable(
            where,
            exc.strerror or type(exc).__name__,
            "Record into a writable directory with free space (not under a file).",
        ) from None


@dataclass
class Cassette:
    """A loaded cassette. ``torn`` is True when the last line was cut off by a crash."""

    directory: Path
    manifest: Manifest
    steps: list[StepRecord]
    stop: StopRecord | None
    items: dict[str, Any] = field(default_factory=dict)
    torn: bool = False
    _recent: list[tuple[tuple[str, str], bytes]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.directory / BLOBS_DIR)

    @property
    def complete(self) -> bool:
        return self.stop is not None

    def request(self, step: int) -> dict[str, Any]:
        """Step ``step``'s canonical request, input items joined back in (steps count from 1)."""
        if not 1 <= step <= len(self.steps):
            raise IndexError(f"step={step} is outside this cassette's steps 1..{len(self.steps)}")
        return join_items(self.steps[step - 1].request, self.items)

    def blob(self, ref: dict[str, Any]) -> bytes:
        """The bytes of a blob reference; the last few come back as the same object, so a
        replay that reads a screenshot twice (to serve it, to recognise it) reads it once."""
        digest, mime = str(ref["$blob"]), str(ref.get("mime", "image/png"))
        for key, data in self._recent:
            if key == (digest, mime):
                return data
        data = self.blobs.get(digest, mime)
        self._recent = [*self._recent[-3:], ((digest, mime), data)]
        return data

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[StepRecord]:
        return iter(self.steps)


def _refuse_links(blobs: Path) -> None:
    """Refuse a blobs tree holding a symbolic link or anything but folders and regular files.

    A link or a FIFO among the blobs is never read (:func:`.limits.read_file`
    refuses it), but a cassette that holds one was made to attack, so every
    command refuses it at once, the same way, instead of some commands working
    around it. ``scandir`` entries only: no file is opened, no extra ``stat``.
    """
    if blobs.is_symlink():
        raise InvalidCassette(
            f"{blobs} is a symbolic link: a cassette's files are only read from inside it. "
            "Replace the link with a copy of what it points to."
        )
    folders = [str(blobs)] if blobs.is_dir() else []
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif not entry.is_file(follow_symlinks=False):
                    kind = "a symbolic link" if entry.is_symlink() else "not a regular file"
                    raise InvalidCassette(
                        f"{entry.path} is {kind}: a cassette's blobs are regular files inside "
                        "it. Remove it, or re-record the run."
                    )


_BLOB_NAME: Final = re.compile(rb'"\$blob"\s*:\s*"([^"\\]*)"')


def _blob_names(line: bytes, data: Any) -> list[Any]:
    """The blob names a line refers to. The log is written with ``"$blob":"sha256:..."``
    spelled out, which a regular expression finds at C speed; a line with a JSON escape
    (which could spell the key or a name another way) is walked instead."""
    if b"\\" in line:
        return [ref[BLOB_KEY] for ref in blob_refs(data)]
    return [match.decode() for match in _BLOB_NAME.findall(line)]


def load_cassette(directory: Path | str, *, limits: Limits | None = None) -> Cassette:
    """Load and validate a cassette; raise :class:`InvalidCassette` naming the line at fault.

    Every file is read by :func:`.limits.read_file` and every line decoded by
    :func:`.limits.parse_json`, within ``limits`` (default: :meth:`Limits.from_environ`),
    so a hostile cassette is refused with one line, never followed out of its directory.
    """
    directory = Path(directory)
    limits = limits or Limits.from_environ()
    manifest_path = directory / MANIFEST_NAME
    if not os.path.lexists(manifest_path):
        raise CassetteNotFound(directory)
    try:
        text = read_file(
            manifest_path, directory, limit=limits.line_bytes, variable=VARIABLES["line_bytes"]
        )
        raw = parse_json(text, str(manifest_path), limits)
    except InvalidCassette:
        raise
    except FileNotFoundError:
        raise CassetteNotFound(directory) from None
    except ValueError as exc:
        raise InvalidCassette(
            f"{manifest_path} is not readable JSON ({exc}); restore it or re-record."
        ) from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise InvalidCassette(
            f"{directory} is cassette format {version}; this cua-replay reads up to "
            f"{FORMAT_VERSION}. Upgrade cua-replay (pip install -U cua-replay)."
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise InvalidCassette(
            f"{manifest_path} does not match the format: {summary(exc)}. Restore it or re-record."
        ) from None
    _refuse_links(directory / BLOBS_DIR)
    steps: list[StepRecord] = []
    stop: StopRecord | None = None
    items: dict[str, Any] = {}
    torn = False
    log = directory / STEPS_NAME
    try:
        content = read_file(log, directory, limit=limits.log_bytes, variable=VARIABLES["log_bytes"])
    except FileNotFoundError:
        content = b""
    lines = content.split(b"\n")
    last = len(lines) - 1
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        where = f"{log}:{number}"
        try:  # bytes, line by line: a crash may cut the last line inside a UTF-8 character
            data = parse_json(line, where, limits)
        except InvalidCassette:
            raise
        except ValueError:
            if number - 1 == last:  # no newline after it: the line in flight when it stopped
                torn = True
                break
            raise InvalidCassette(
                f"{where} is not JSON; the log is corrupt. Run `cua-replay verify`."
            ) from None
        if stop is not None:
            raise InvalidCassette(f"{where} follows the stop line; the log was edited.")
        for digest in _blob_names(line, data):
            if not is_digest(digest):
                raise InvalidCassette(
                    f"{where} refers to blob {str(digest)[:80]!r}, which is not "
                    "'sha256:' and 64 hex digits; the log was edited. Run `cua-replay verify`."
                )
        try:
            if data.get("kind") == "stop":
                stop = StopRecord.model_validate(data)
                continue
            record = StepRecord.model_validate(data)
        except ValidationError as exc:
            raise InvalidCassette(
                f"{where} does not match the step format: {summary(exc)}."
            ) from None
        except AttributeError:
            raise InvalidCassette(
                f"{where} is a JSON {type(data).__name__}, not a step object; the log was edited."
            ) from None
        if record.step != len(steps) + 1:
            raise InvalidCassette(
                f"{where} is step {record.step}, expected step {len(steps) + 1}; the log was "
                "edited or two recordings were mixed."
            )
        if len(steps) == limits.steps:
            raise InvalidCassette(
                f"{log} holds more than {limits.steps:,} steps ({VARIABLES['steps']} raises "
                "the bound for a cassette you trust)."
            )
        items.update(record.items)
        join_items(record.request, items)  # every reference resolves backwards
        steps.append(record)
    return Cassette(directory, manifest, steps, stop, items, torn)
