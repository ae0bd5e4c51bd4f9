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

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from ..errors import CassetteNotFound, InvalidCassette
from .blobs import BlobStore, digest_of
from .canonical import (
    KnownImages,
    canonicalize,
    dumps,
    escape_surrogates,
    join_items,
    request_hash,
    split_items,
    text_hash,
)
from .format import (
    BLOBS_DIR,
    FORMAT_VERSION,
    MANIFEST_NAME,
    STEPS_NAME,
    Manifest,
    StepRecord,
    StopRecord,
)
from .redact import Redactor

ImageTransform = Callable[[bytes], bytes]


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = escape_surrogates(json.dumps(data, indent=2, ensure_ascii=False))
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


class CassetteWriter:
    """Appends steps to a cassette directory as they happen.

    ``overwrite`` replaces an existing recording (its log, manifest and blobs);
    without it, a directory that already holds one is refused, so a second
    ``--record`` into the same place never silently mixes two runs.
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
        steps = self.directory / STEPS_NAME
        if (steps.exists() or (self.directory / MANIFEST_NAME).exists()) and not overwrite:
            raise InvalidCassette(
                f"{self.directory} already holds a recording. Record into a new directory, or "
                "replace it: --overwrite (cua-replay run), --cua-record-mode=all (pytest), "
                "overwrite=True (Python)."
            )
        if overwrite:
            for name in (STEPS_NAME, MANIFEST_NAME):
                (self.directory / name).unlink(missing_ok=True)
            shutil.rmtree(self.directory / BLOBS_DIR, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.blobs = BlobStore(self.directory / BLOBS_DIR)
        self._items: set[str] = set()
        self._memo: dict[str, Any] = {}
        self._steps = 0
        self._save_manifest()
        self._log: IO[str] | None = steps.open("a", encoding="utf-8")

    # -- what the recorder calls -------------------------------------------------

    def store_image(self, data: bytes, mime: str = "image/png") -> tuple[str, int]:
        """Store a screenshot (masked first, if the policy says so): ``(digest, size)``."""
        if self._image is not None and mime == "image/png":
            data = self._image(data)
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
        self._log.close()
        self._log = None
        self._save_manifest()

    def _save_manifest(self) -> None:
        data = self.redactor.json(self.manifest.model_dump(mode="json"))
        write_json_atomic(self.directory / MANIFEST_NAME, data)

    @staticmethod
    def hash(canonical: dict[str, Any]) -> str:
        return request_hash(canonical)


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


def load_cassette(directory: Path | str) -> Cassette:
    """Load and validate a cassette; raise :class:`InvalidCassette` naming the line at fault."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise CassetteNotFound(directory)
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
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
        raise InvalidCassette(f"{manifest_path} does not match the format: {exc}") from None
    steps: list[StepRecord] = []
    stop: StopRecord | None = None
    items: dict[str, Any] = {}
    torn = False
    log = directory / STEPS_NAME
    lines = log.read_bytes().split(b"\n") if log.exists() else [b""]
    last = len(lines) - 1
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        where = f"{log}:{number}"
        try:  # bytes, line by line: a crash may cut the last line inside a UTF-8 character
            data = json.loads(line.decode("utf-8"))
        except ValueError:
            if number - 1 == last:  # no newline after it: the line in flight when it stopped
                torn = True
                break
            raise InvalidCassette(
                f"{where} is not JSON; the log is corrupt. Run `cua-replay verify`."
            ) from None
        if stop is not None:
            raise InvalidCassette(f"{where} follows the stop line; the log was edited.")
        try:
            if data.get("kind") == "stop":
                stop = StopRecord.model_validate(data)
                continue
            record = StepRecord.model_validate(data)
        except (ValidationError, AttributeError) as exc:
            raise InvalidCassette(f"{where} does not match the step format: {exc}") from None
        if record.step != len(steps) + 1:
            raise InvalidCassette(
                f"{where} is step {record.step}, expected step {len(steps) + 1}; the log was "
                "edited or two recordings were mixed."
            )
        items.update(record.items)
        join_items(record.request, items)  # every reference resolves backwards
        steps.append(record)
    return Cassette(directory, manifest, steps, stop, items, torn)
