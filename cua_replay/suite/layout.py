"""Where a suite's runs live: ``<root>/<suite>/<model>/<task>/<trial>/``, one cassette each.

The folder says what the run is, so ``ls`` is an index, a CI job can pick its
share (:func:`shard`), and a re-run finds what is already done: a run is
*finished* when its manifest is ``complete`` and carries a verdict
(:func:`finished`). A run killed half way stays ``recording`` (or has no
verdict yet) and is run again, into the same folder, replacing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..cassette.format import MANIFEST_NAME, Manifest, Verdict
from ..cassette.store import write_json_atomic
from ..errors import InvalidCassette, InvalidSetting
from .spec import NAME_PATTERN

__all__ = [
    "RunKey",
    "check_model_name",
    "finished",
    "read_manifest",
    "run_dir",
    "runs_of",
    "shard",
    "write_verdict",
]


@dataclass(frozen=True, order=True)
class RunKey:
    """One run of a suite: a task, by a model, the trial-th time (trials count from 1)."""

    model: str
    task: str
    trial: int

    def __str__(self) -> str:
        return f"{self.model}/{self.task}/{self.trial}"


def check_model_name(model: str) -> str:
    """A model name becomes a folder: refuse one that cannot be (``a/b``, ``..``)."""
    import re

    if re.fullmatch(NAME_PATTERN, model) is None:
        raise InvalidSetting(
            f"--model {model!r} cannot name a folder of runs: use letters, digits, '.', '_' "
            "and '-' (an Azure deployment name, say).",
            setting="model",
        )
    return model


def run_dir(root: Path, suite: str, key: RunKey) -> Path:
    return root / suite / key.model / key.task / str(key.trial)


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of the cassette in ``directory``; None when there is none yet."""
    path = directory / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InvalidCassette(f"{path} is not readable JSON ({exc}); delete the run.") from None
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        detail = " ".join(str(exc).split())
        raise InvalidCassette(f"{path} does not match the format: {detail}") from None


def finished(directory: Path) -> bool:
    """Recorded to the end and judged: a re-run leaves it alone."""
    try:
        manifest = read_manifest(directory)
    except InvalidCassette:
        return False  # a torn manifest is an unfinished run: run it again
    return manifest is not None and manifest.status == "complete" and manifest.verdict is not None


def write_verdict(directory: Path, verdict: Verdict) -> None:
    """Add ``verdict`` to a finished recording's manifest (atomically: a kill keeps the old)."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise InvalidCassette(f"{directory} holds no recording to put a verdict on.")
    data = manifest.model_copy(update={"verdict": verdict}).model_dump(mode="json")
    write_json_atomic(directory / MANIFEST_NAME, data)


def runs_of(folder: Path) -> Iterator[tuple[RunKey, Path]]:
    """Every run under one suite folder (``<root>/<suite>``), sorted by model, task, trial."""
    found = []
    for manifest in folder.glob(f"*/*/*/{MANIFEST_NAME}"):
        directory = manifest.parent
        model, task, trial = directory.relative_to(folder).parts
        if trial.isdigit():
            found.append((RunKey(model, task, int(trial)), directory))
    yield from sorted(found)


def shard(keys: Iterable[RunKey], index: int, count: int) -> list[RunKey]:
    """The ``index``-th of ``count`` disjoint shares (1-based), stable across machines."""
    if count < 1 or not 1 <= index <= count:
        raise InvalidSetting(
            f"--shard {index}/{count} is not i/n with 1 <= i <= n; e.g. --shard 2/4.",
            setting="shard",
        )
    ordered = sorted(keys)
    return ordered[index - 1 :: count]


def parse_shard(text: str) -> tuple[int, int]:
    """``2/4`` -> (2, 4)."""
    left, sep, right = text.partition("/")
    if not sep or not left.isdigit() or not right.isdigit():
        raise InvalidSetting(f"--shard {text!r} is not i/n, e.g. --shard 2/4.", setting="shard")
    index, count = int(left), int(right)
    shard((), index, count)  # validates the range
    return index, count
