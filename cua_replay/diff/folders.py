"""``--baseline DIR --candidate DIR``: diff every cassette of one folder with its namesake.

A cassette is any directory holding ``run.json``; its name is its path relative to
the folder (the task or test name, as ``cua-replay run`` and the pytest plugin lay
them out), so ``baseline/checkout`` pairs with ``candidate/checkout``. A cassette
that fails to load is reported as an error entry rather than stopping the others.
"""

from __future__ import annotations

from pathlib import Path

from ..cassette.format import MANIFEST_NAME
from ..errors import CassetteNotFound, CuaReplayError
from .compare import DiffOptions, diff_dirs
from .model import FolderDiff, FolderEntry


def find_cassettes(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise CassetteNotFound(folder, "Pass a folder that holds cassette directories.")
    found = {
        path.parent.relative_to(folder).as_posix(): path.parent
        for path in folder.rglob(MANIFEST_NAME)
    }
    return dict(sorted(found.items()))


def diff_folders(
    baseline: Path | str, candidate: Path | str, options: DiffOptions | None = None
) -> FolderDiff:
    options = options or DiffOptions()
    base, cand = Path(baseline), Path(candidate)
    left, right = find_cassettes(base), find_cassettes(cand)
    entries: list[FolderEntry] = []
    for name in sorted(left.keys() & right.keys()):
        try:
            result = diff_dirs(left[name], right[name], options)
        except CuaReplayError as exc:
            entries.append(FolderEntry(name=name, error=f"{type(exc).__name__}: {exc}"))
            continue
        first = None if result.first_divergence is None else result.pairs[result.first_divergence]
        entries.append(
            FolderEntry(
                name=name,
                same=result.same,
                counts=result.counts,
                first_divergence=first,
                differing_outcomes=[o.name for o in result.differing_outcomes],
            )
        )
    return FolderDiff(
        baseline=str(base),
        candidate=str(cand),
        options=options.model(),
        entries=entries,
        only_in_baseline=sorted(left.keys() - right.keys()),
        only_in_candidate=sorted(right.keys() - left.keys()),
        same=sum(1 for e in entries if e.same is True),
        different=sum(1 for e in entries if e.same is False),
        errors=sum(1 for e in entries if e.error is not None),
    )
