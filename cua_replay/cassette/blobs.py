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

_EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
_MIMES: Final = {ext: mime for mime, ext in _EXTENSIONS.items()}
_DIGEST: Final = re.compile(r"sha256:([0-9a-f]{64})")


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
        target = self.path(digest, mime)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise InvalidCassette(
                f"Blob {digest} is missing ({target}): the cassette was copied without its "
                "blobs directory, or a blob was deleted. Restore it, or re-record the run."
            ) from None

    def has(self, digest: str, mime: str = "image/png") -> bool:
        return self.path(digest, mime).exists()

    def __iter__(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob as ``(digest, path)``; temporary leftovers are not blobs."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in sorted(base.glob("*/*")):
            if path.name.startswith("."):
                continue
            stem, ext = path.stem, path.suffix
            if ext in _MIMES or ext == ".bin":
                yield "sha256:" + stem, path

    def leftovers(self) -> list[Path]:
        """Temporary files a crash left behind mid-write."""
        base = self.root / "sha256"
        return sorted(base.glob("*/.*.tmp")) if base.is_dir() else []


def mime_of(path: Path) -> str:
    return _MIMES.get(path.suffix, "application/octet-stream")
