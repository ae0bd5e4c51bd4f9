"""The content-addressed screenshot store: raw bytes named by their SHA-256, each stored once.

``blobs/sha256/ab/abcdef....png``: the two-character fan-out keeps directories
small for long runs and many tests sharing a tree. A blob is written to a
temporary name and renamed into place, so a crash never leaves a partial blob
under a real name; a leftover temporary file is garbage for ``gc``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ..errors import InvalidCassette
from .limits import VARIABLES, Limits, read_file

_EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
_MIMES: Final = {ext: mime for mime, ext in _EXTENSIONS.items()}
_DIGEST: Final = re.compile(r"sha256:([0-9a-f]{64})")
_NAME: Final = r"([0-9a-f]{64})(\.png|\.jpg|\.webp|\.gif|\.bin)"
_STORED: Final = re.compile(_NAME)
_TEMPORARY: Final = re.compile(r"\.[^/]+\.tmp")
"""A temporary file in a shard folder, as :meth:`BlobStore.put` names one while it writes it
(``.<hex><ext>.<pid>.<thread>.tmp``; a partial write has no hash to check, so its place and
the dot-name-``.tmp`` shape are the proof)."""


def read_blob(path: Path, inside: Path, *, limit: int | None = None) -> bytes:
    """The bytes of the blob file at ``path`` in the cassette ``inside``, read as untrusted
    input by :func:`.limits.read_file`: no link, only a regular file, at most ``limit`` bytes
    (default ``CUA_REPLAY_MAX_BLOB_BYTES``, see :class:`.limits.Limits`)."""
    if limit is None:
        limit = Limits.from_environ().blob_bytes
    return read_file(path, inside, limit=limit, variable=VARIABLES["blob_bytes"])


def digest_of(data: bytes) -> str:
    """``sha256:<hex>``, the name every reference uses."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_digest(value: object) -> bool:
    """Whether ``value`` is a blob name, ``sha256:`` and 64 lowercase hex digits (so a path
    made of it can only be a file of the store: no ``..``, no ``/``)."""
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def _hex(digest: str) -> str:
    match = _DIGEST.fullmatch(digest)
    if match is None:
        raise InvalidCassette(
            f"Blob reference {digest!r} is not 'sha256:' followed by 64 lowercase hex digits; "
            "the step log was edited or is corrupt. Run `cua-replay verify` on the cassette."
        )
    return match.group(1)


class BlobStore:
    """Blobs under ``root`` (the cassette's ``blobs`` directory)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: set[tuple[str, str]] = set()
        """``(digest, extension)`` of the blobs this store has written or found."""
        self._dirs: set[Path] = set()
        """Fan-out directories this store has made: ``mkdir`` on one that exists costs a failed
        system call and an exception."""

    def path(self, digest: str, mime: str = "image/png") -> Path:
        hexpart = _hex(digest)
        return self.root / "sha256" / hexpart[:2] / (hexpart + _EXTENSIONS.get(mime, ".bin"))

    def put(self, data: bytes, mime: str = "image/png", *, digest: str | None = None) -> str:
        """Store ``data`` once and return its digest; storing it again costs a set lookup."""
        digest = digest or digest_of(data)
        # Keyed by extension too: the same bytes sent once as image/jpeg and once as
        # image/png are two files, and skipping the second left its references dangling.
        key = (digest, _EXTENSIONS.get(mime, ".bin"))
        if key in self._known:
            return digest
        target = self.path(digest, mime)
        if not target.exists():
            if target.parent not in self._dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(target.parent)
            # Named by process and thread, so two writers of the same blob never share one.
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        self._known.add(key)
        return digest

    def get(self, digest: str, mime: str = "image/png") -> bytes:
        """A blob's bytes, checked against its name (see :func:`read_blob` for the rest)."""
        target = self.path(digest, mime)
        try:
            data = read_blob(target, self.root.parent)
        except FileNotFoundError:
            raise InvalidCassette(
                f"Blob {digest} is missing ({target}): the cassette was copied without its "
                "blobs directory, or a blob was deleted. Restore it, or re-record the run."
            ) from None
        if digest_of(data) != digest:
            raise InvalidCassette(
                f"Blob {target} does not hold the bytes its name says (sha256 differs): it "
                "was edited or replaced. Run `cua-replay verify`, then restore or re-record it."
            )
        return data

    def has(self, digest: str, mime: str = "image/png") -> bool:
        return self.path(digest, mime).exists()

    def __iter__(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob as ``(digest, path)``; temporary leftovers are not blobs."""
        base = self.root / "sha256"
        if not _real_dir(self.root) or not _real_dir(base):
            return
        for path in sorted(base.glob("*/*")):
            # Only regular files inside the cassette: never through a link (gc deletes these).
            if path.name.startswith(".") or not _real_file(path):
                continue
            stem, ext = path.stem, path.suffix
            if ext in _MIMES or ext == ".bin":
                yield "sha256:" + stem, path

    def leftovers(self) -> list[Path]:
        """Temporary files a crash left behind mid-write (named as :meth:`put` names them)."""
        base = self.root / "sha256"
        if not _real_dir(self.root) or not _real_dir(base):
            return []
        return sorted(path for path in base.glob("*/.*.tmp") if self.not_ours(path) is None)

    def not_ours(self, path: Path) -> str | None:
        """Why the file at ``path`` cannot be proven a blob (or a blob's temporary file) this
        store wrote, or None when it can.

        ``gc`` and ``--overwrite`` delete only what this proves: a regular file,
        reached through no link, in its shard folder (``sha256/ab/``), named as
        :meth:`put` names it, and, for a blob, holding the bytes its name is the
        hash of. Anything else (a file someone put there, a link, a FIFO) is left
        alone and reported.
        """
        if path.is_symlink() or not path.is_file():
            return "not a regular file" if not path.is_symlink() else "a symbolic link"
        base = self.root / "sha256"
        if path.parent.parent != base or not _real_dir(self.root) or not _real_dir(base):
            return "not in a shard folder of blobs/sha256"
        if not _real_file(path):
            return "inside a linked folder"
        if _TEMPORARY.fullmatch(path.name):
            return None
        stored = _STORED.fullmatch(path.name)
        if stored is None or path.parent.name != stored.group(1)[:2]:
            return "not named as cua-replay names a blob"
        try:
            data = read_blob(path, self.root.parent)
        except (InvalidCassette, OSError) as exc:
            return f"not readable as a blob ({exc})"
        if digest_of(data) != "sha256:" + stored.group(1):
            return "its bytes do not hash to its name"
        return None


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _real_file(path: Path) -> bool:
    """A regular file reached through no link: itself and its folder are no symbolic links."""
    return not path.is_symlink() and not path.parent.is_symlink() and path.is_file()


def mime_of(path: Path) -> str:
    return _MIMES.get(path.suffix, "application/octet-stream")
