"""The replay cursor: step by step through a cassette, checking each live request on the way.

Every way of replaying (the in-process backend, the HTTP transport, the fake
server's cassette brain) asks the same question per request: *is this the
request the recording made at this step?* The cursor answers it once. It
advances one step per request, never looks anything up by content (so two
identical requests get their own recorded answers, in order), and on a
divergence raises :class:`~cua_replay.errors.ReplayMismatch` naming the step,
listing the differing fields, and writing ``recorded.png``, ``live.png`` and
``diff.png`` for every screenshot that differs.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from ..errors import Difference, ReplayMismatch
from .canonical import canonicalize
from .format import StepRecord
from .matchers import DEFAULT_THRESHOLD, Comparison, MatchPolicy, compare
from .redact import RedactionPolicy, Redactor
from .store import Cassette

logger = logging.getLogger(__name__)


class ReplayCursor:
    """Hands out a cassette's steps in order, one per live request, checking each.

    ``artifacts`` is where mismatch screenshots go (default: ``mismatch/`` in
    the cassette directory). ``warnings`` collects what the ``sequential``
    policy let through.
    """

    def __init__(
        self,
        cassette: Cassette,
        *,
        match: MatchPolicy | str = MatchPolicy.STRUCTURAL,
        threshold: float = DEFAULT_THRESHOLD,
        artifacts: Path | None = None,
        ids_by_position: bool = False,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.cassette = cassette
        self.match = MatchPolicy.parse(match)
        self.threshold = threshold
        self.artifacts = artifacts or cassette.directory / "mismatch"
        self.ids_by_position = ids_by_position
        self.position = 0
        """Steps served so far."""
        self.warnings: list[ReplayMismatch] = []
        self._lock = threading.Lock()
        self._live_images: dict[str, bytes] = {}
        self._memo: dict[str, Any] = {}
        policy = cassette.manifest.redaction or {}
        self._redactor = Redactor.from_env(
            os.environ if environ is None else environ,
            RedactionPolicy(
                patterns=tuple(policy.get("patterns", ())),
                builtin_patterns=bool(policy.get("builtin_patterns", True)),
            ),
        )

    def next(self, request: dict[str, Any]) -> StepRecord:
        """The recorded step for this live request; raises :class:`ReplayMismatch` if it is not."""
        with self._lock:
            step = self.position + 1
            if step > len(self.cassette.steps):
                raise ReplayMismatch(
                    step,
                    "exhausted",
                    f"the code under test sent request {step}, but the recording has only "
                    f"{len(self.cassette.steps)} step(s)"
                    + (" (it was cut short by a crash)" if not self.cassette.complete else "")
                    + ". Re-record the cassette if the new behaviour is right.",
                    cassette=self.cassette.directory,
                )
            self.position = step
        live = self.canonical(request)
        recorded = self.cassette.request(step)
        comparison = self.compare(recorded, live)
        if comparison.differences:
            mismatch = self.mismatch(step, comparison)
            if comparison.fatal:
                raise mismatch
            logger.warning("%s", mismatch)
            self.warnings.append(mismatch)
        return self.cassette.steps[step - 1]

    def canonical(self, request: dict[str, Any]) -> dict[str, Any]:
        """The live request in canonical form, its images kept in memory for comparison."""
        result: dict[str, Any] = self._redactor.json(canonicalize(request, self._keep, self._memo))
        return result

    def _keep(self, data: bytes, mime: str) -> tuple[str, int]:
        from .blobs import digest_of

        digest = digest_of(data)
        self._live_images[digest] = data
        return digest, len(data)

    def compare(self, recorded: dict[str, Any], live: dict[str, Any]) -> Comparison:
        return compare(
            recorded,
            live,
            self.match,
            distance=self._distance,
            threshold=self.threshold,
            ids_by_position=self.ids_by_position,
        )

    def _distance(self, recorded: dict[str, Any], live: dict[str, Any]) -> float:
        from ..images import image_distance

        live_bytes = self._live_images.get(str(live["$blob"]))
        if live_bytes is None:
            return 1.0
        return image_distance(self.cassette.blob(recorded), live_bytes)

    def mismatch(self, step: int, comparison: Comparison) -> ReplayMismatch:
        files = self._write_images(step, comparison)
        first = comparison.differences[0]
        more = len(comparison.differences) - 1
        summary = f"the request differs from the recorded one at {first.path}" + (
            f" and {more} more field(s)" if more else ""
        )
        return ReplayMismatch(
            step,
            "request",
            summary + f" (match policy {self.match.value})",
            cassette=self.cassette.directory,
            differences=tuple(comparison.differences),
            files=files,
        )

    def _write_images(self, step: int, comparison: Comparison) -> tuple[Path, ...]:
        from ..images import diff_png

        written: list[Path] = []
        for index, image in enumerate(comparison.images):
            live = self._live_images.get(str(image.live["$blob"]))
            if live is None:
                continue
            recorded = self.cassette.blob(image.recorded)
            where = self.artifacts / (f"step-{step}" + (f"-{index}" if index else ""))
            where.mkdir(parents=True, exist_ok=True)
            for name, data in (
                ("recorded.png", recorded),
                ("live.png", live),
                ("diff.png", diff_png(recorded, live)),
            ):
                (where / name).write_bytes(data)
                written.append(where / name)
        return tuple(written)


def diff_values(path: str, recorded: Any, live: Any) -> list[Difference]:
    """Field-level differences between two plain JSON values (actions, safety decisions)."""
    result = compare({"v": recorded}, {"v": live}, MatchPolicy.STRICT)
    return [Difference(path + d.path[1:], d.recorded, d.live, d.note) for d in result.differences]
