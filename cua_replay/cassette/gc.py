"""Garbage collection of cassettes: blobs no line refers to, and temporary files of crashes.

A crash between storing a screenshot and writing the line that refers to it
leaves a blob nobody uses; a crash mid-write leaves a temporary file. Both are
safe to delete, but only once the log has been read: the references that
protect a blob are in the log, so a log that does not load protects nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import CassetteNotFound, InvalidCassette
from .blobs import BlobStore
from .canonical import blob_refs
from .format import BLOB_KEY, BLOBS_DIR, MANIFEST_NAME
from .store import load_cassette


def gc(directory: Path | str, *, dry_run: bool = False, force: bool = False) -> list[Path]:
    """Delete the blobs no line refers to and leftover temporary files; return what went.

    ``directory`` is a cassette, or a tree of cassettes (each collected on its
    own). Nothing is deleted unless every cassette loads: deleting the blobs of
    a log that cannot be read could lose data. A cassette still ``recording``
    may be written right now (its newest blob is stored before its line), so it
    is refused unless ``force`` says no process is writing it.
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
    removed: list[Path] = []
    for root, used in plans:
        store = BlobStore(root / BLOBS_DIR)
        garbage = [path for _, path in store if path not in used] + leftovers(root)
        for path in garbage:
            if not dry_run:
                path.unlink(missing_ok=True)
                _prune(path.parent, root / BLOBS_DIR)
            removed.append(path)
    return removed


def _cassettes(directory: Path) -> list[Path]:
    if (directory / MANIFEST_NAME).is_file():
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
    mine = [path for path in directory.glob(".*.tmp") if path.is_file() and not path.is_symlink()]
    return sorted(mine) + BlobStore(directory / BLOBS_DIR).leftovers()
