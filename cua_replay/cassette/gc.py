"""Garbage collection of cassettes: blobs no line refers to, and temporary files of crashes.

A crash between storing a screenshot and writing the line that refers to it
leaves a blob nobody uses; a crash mid-write leaves a temporary file. Both are
safe to delete, but only once the log has been read: the references that
protect a blob are in the log, so a log that does not load protects nothing.

A cassette is untrusted input, so only files proven ours are deleted
(:meth:`.blobs.BlobStore.not_ours`: a regular file inside the cassette, named
as the store names it, its bytes hashing to its name); anything else found
among the blobs is kept and reported as skipped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..errors import CassetteNotFound, CassetteNotWritable, InvalidCassette
from .blobs import BlobStore
from .canonical import blob_refs
from .format import BLOB_KEY, BLOBS_DIR, MANIFEST_NAME
from .store import load_cassette

_MANIFEST_TEMPORARY: Final = re.compile(r"\.run\.json\.[0-9]+\.tmp")
"""What :func:`.store.write_json_atomic` names the manifest while it rewrites it."""


@dataclass
class Collection:
    """What :func:`collect` removed (or would), and what it left alone, with why."""

    removed: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def gc(directory: Path | str, *, dry_run: bool = False, force: bool = False) -> list[Path]:
    """Delete the blobs no line refers to and leftover temporary files; return what went.

    :func:`collect`'s removed files; see it for the rules.
    """
    return collect(directory, dry_run=dry_run, force=force).removed


def collect(directory: Path | str, *, dry_run: bool = False, force: bool = False) -> Collection:
    """Delete the blobs no line refers to and leftover temporary files, proven ours.

    ``directory`` is a cassette, or a tree of cassettes (each collected on its
    own). Nothing is deleted unless every cassette loads: deleting the blobs of
    a log that cannot be read could lose data. A cassette still ``recording``
    may be written right now (its newest blob is stored before its line), so it
    is refused unless ``force`` says no process is writing it. A file that is
    not proven ours is skipped; a file the file system will not let go (a
    read-only cassette) raises :class:`CassetteNotWritable`.
    """
    directory = Path(directory)
    roots = _cassettes(directory)
    plans: list[tuple[Path, set[Path]]] = []
    problems: list[str] = []
    for root in roots:
        try:
            cassette = load_cassette(root)
            if cassette.manifest.status == "recording" and not force:
                problems.append(
                    f"{root}: run.json says status=recording (a crash, or a run still being "
                    "recorded); pass --force (force=True) if no process is writing it"
                )
                continue
            documents: list[Any] = [cassette.manifest.model_dump(mode="json")]
            documents += [step.model_dump(mode="json") for step in cassette.steps]
            store = cassette.blobs
            used = {
                store.path(str(ref[BLOB_KEY]), str(ref.get("mime", "image/png")))
                for ref in blob_refs(documents)
            }
        except (InvalidCassette, UnicodeDecodeError) as exc:
            problems.append(f"{root}: {exc}")
            continue
        plans.append((root, used))
    if problems:
        raise InvalidCassette(
            "Nothing was removed: garbage collection needs every cassette to load, or a "
            "referenced blob could be deleted. Fix or remove these first (see "
            "`cua-replay verify`): " + " | ".join(problems)
        )
    result = Collection()
    for root, used in plans:
        store = BlobStore(root / BLOBS_DIR)
        # A blob's leftover is also a file under blobs/: each path is looked at once.
        for path in dict.fromkeys([*_files(root / BLOBS_DIR), *leftovers(root)]):
            if path in used:
                continue
            why = store.not_ours(path) if path.parent != root else None
            if why is not None:
                result.skipped.append((path, why))
                continue
            if not dry_run:
                _remove(path)
                _prune(path.parent, root / BLOBS_DIR)
            result.removed.append(path)
    return result


def _files(folder: Path) -> list[Path]:
    """Everything below ``folder`` that is not a directory, never descending through a link."""
    if folder.is_symlink() or not folder.is_dir():
        return [folder] if folder.is_symlink() else []
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        base = Path(top)
        found += [base / name for name in files]
        found += [base / name for name in dirs if (base / name).is_symlink()]
    return sorted(found)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise CassetteNotWritable(
            path,
            exc.strerror or str(exc),
            "gc removes unused blobs from a writable cassette: make it writable, or run gc "
            "on a copy.",
        ) from None


def _cassettes(directory: Path) -> list[Path]:
    if os.path.lexists(directory / MANIFEST_NAME):
        return [directory]
    found = sorted(p.parent for p in directory.rglob(MANIFEST_NAME)) if directory.is_dir() else []
    if not found:
        raise CassetteNotFound(
            directory,
            "gc takes a cassette directory (with run.json) or a directory of cassettes; "
            "check the path.",
        )
    return found


def _prune(folder: Path, top: Path) -> None:
    """Remove the fan-out folders a deletion emptied, up to (not including) ``top``."""
    while folder != top and folder.is_relative_to(top):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def leftovers(directory: Path) -> list[Path]:
    """Temporary files of interrupted writes: blobs and the manifest's atomic rewrite."""
    mine = [
        path
        for path in directory.glob(".*.tmp")
        if _MANIFEST_TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink()
    ]
    return sorted(mine) + BlobStore(directory / BLOBS_DIR).leftovers()
