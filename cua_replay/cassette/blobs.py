"""The content-addressed screenshot store: raw bytes named by their SHA-256, each stored once.

``blobs/sha256/ab/abcdef....png``: the two-character fan-out keeps directories
small for long runs and many tests sharing a tree. A blob is written to a
temporary name and renamed into place, so a crash never leaves a partial blob
under a real name; a leftover temporary file is garbage for ``gc``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ..errors import InvalidCassette

_EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
_MIMES: Final = {ext: mime for mime, ext in _EXTENSIONS.items()}
_DIGEST: Final = re.compile(r"sha256:([0-9a-f]{64})")
MAX_BLOB_BYTES: Final = int(os.environ.get("CUA_REPLAY_MAX_BLOB_BYTES", str(64 * 2**20)))
"""The largest blob read (64 MiB; a screenshot is well under 10): a cassette is untrusted
input, and a blob linked to ``/dev/zero`` or grown without bound must not exhaust memory.
Override with ``CUA_REPLAY_MAX_BLOB_BYTES``."""


def read_blob(path: Path, inside: Path, *, limit: int = MAX_BLOB_BYTES) -> bytes:
    """The bytes of the blob file at ``path``, read as untrusted input.

    Cassettes travel (pull requests, CI artifacts), so a blob may be a symbolic
    link out of the cassette, a FIFO that never ends, a device, or huge. This is
    the one reader of blob files: no directory between ``inside`` (the cassette)
    and the file may be a symbolic link, the file itself is opened without
    following links and without blocking, it must be a regular file, and no more
    than ``limit`` bytes are read. Anything else raises :class:`InvalidCassette`
    naming the file; a missing file raises :class:`FileNotFoundError`.
    """
    folder = inside
    for part in path.relative_to(inside).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise InvalidCassette(
                f"{folder} is a symbolic link: a cassette's blobs are only read from inside "
                "it. Replace the link with a copy of what it points to."
            )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidCassette(
                f"{path} is a symbolic link: a cassette's blobs are only read from inside it. "
                "Replace the link with a copy of the file."
            ) from None
        raise
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InvalidCassette(
                f"{path} is not a regular file (a FIFO, device or directory): a blob must be "
                "the stored bytes. Remove it, or re-record the run."
            )
        if info.st_size > limit:
            raise InvalidCassette(
                f"{path} holds {info.st_size:,} bytes, more than the {limit:,} a blob may "
                "(CUA_REPLAY_MAX_BLOB_BYTES raises the bound for a cassette you trust)."
            )
        data = file.read(limit + 1)
    if len(data) > limit:
        raise InvalidCassette(f"{path} grew past {limit:,} bytes while it was read.")
    return data


def digest_of(data: bytes) -> str:
    """``sha256:<hex>``, the name every reference uses."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
        """Temporary files a crash left behind mid-write."""
        base = self.root / "sha256"
        if not _real_dir(self.root) or not _real_dir(base):
            return []
        return sorted(path for path in base.glob("*/.*.tmp") if _real_file(path))


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _real_file(path: Path) -> bool:
    """A regular file reached through no link: itself and its folder are no symbolic links."""
    return not path.is_symlink() and not path.parent.is_symlink() and path.is_file()


def mime_of(path: Path) -> str:
    return _MIMES.get(path.suffix, "application/octet-stream")
