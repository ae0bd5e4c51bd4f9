"""``new``'s last move: the steps recorded beside a cassette join it.

The proxy's ``--record-mode new`` and the pytest client fixtures'
``--cua-record-mode new`` both end here. While they run, what they record
goes into ``NAME.recording`` beside the cassette, an ordinary crash-safe
recording of its own: the cassette being replayed is never written to while
it is read, and a run killed midway leaves both readable. On a clean stop the
two become one cassette: the recorded steps, then the new ones numbered after
them, written by the cassette writer into ``NAME.extended`` and swapped in for
the old directory (which is kept as ``NAME.old`` until the swap is done).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..cassette.format import BLOBS_DIR, StopRecord
from ..cassette.store import CassetteWriter, load_cassette


def rest_directory(cassette: Path) -> Path:
    """Where ``new`` records what the cassette lacks, until the run ends."""
    return cassette.with_name(cassette.name + ".recording")


def extend(cassette: Path, rest: Path) -> int:
    """Append the steps recorded in ``rest`` to ``cassette``; the number of steps added.

    A ``rest`` without steps is just removed. Steps are appended as they were
    stored (already redacted, items and screenshots by reference), so nothing
    is canonicalized again.
    """
    old, new = load_cassette(cassette), load_cassette(rest)
    if not new.steps:
        shutil.rmtree(rest)
        return 0
    merged = cassette.with_name(cassette.name + ".extended")
    manifest = old.manifest.model_copy(deep=True)
    writer = CassetteWriter(merged, manifest, overwrite=True)
    for source in (old, new):
        blobs = source.directory / BLOBS_DIR
        if blobs.is_dir():
            shutil.copytree(blobs, merged / BLOBS_DIR, dirs_exist_ok=True)
    offset = len(old.steps)
    for step in old.steps:
        writer.append(step)
    for step in new.steps:
        writer.append(step.model_copy(update={"step": offset + step.step}))
    total = offset + len(new.steps)
    writer.close(StopRecord(reason="closed", steps=total))
    backup = cassette.with_name(cassette.name + ".old")
    shutil.rmtree(backup, ignore_errors=True)
    cassette.rename(backup)
    merged.rename(cassette)
    shutil.rmtree(backup)
    shutil.rmtree(rest)
    return len(new.steps)
