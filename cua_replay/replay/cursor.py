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

import contextlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Final

from ..cassette.canonical import KnownImages, blob_refs, canonicalize, dumps
from ..cassette.format import BLOB_KEY, StepRecord
from ..cassette.redact import MARKER, MARKERS, RedactionPolicy, Redactor
from ..cassette.store import Cassette
from ..errors import Difference, InvalidImage, ReplayMismatch
from ..wire.data_url import PNG_PREFIX, png_data_url
from .matchers import Comparison, MatchPolicy, compare
from .options import ReplayOptions
from .outcome import moves

logger = logging.getLogger(__name__)

DELIVERY_FIELDS: Final = ("stream", "stream_options")
"""Request fields that say how the answer is delivered, not what is asked."""


class ReplayCursor:
    """Hands out a cassette's steps, one per live request, checking each.

    Two ways to pick the step, one check: :meth:`next` takes the steps in
    recorded order (one client, as the transports and the in-process replay
    see it); :meth:`for_progress` finds the step that starts at a
    conversation's position (a server answering any number of conversations,
    each from its own history). Either way :meth:`check` compares the request
    with the recorded one under ``options`` and raises :class:`ReplayMismatch`
    with the screenshots written to ``options.artifacts`` (default:
    ``mismatch/`` in the cassette directory). ``warnings`` collects what the
    ``sequential`` policy let through.
    """

    def __init__(
        self,
        cassette: Cassette,
        options: ReplayOptions | None = None,
        *,
        environ: dict[str, str] | None = None,
    ) -> None:
        options = options or ReplayOptions()
        self.cassette = cassette
        self.options = options
        self.match = options.match
        self.threshold = options.threshold
        self.artifacts = options.artifacts or cassette.directory / "mismatch"
        self.ids_by_position = options.ids_by_position
        self._starts: dict[int, int] | None = None
        self._end = 0
        self.position = 0
        """Steps served so far."""
        self.warnings: list[ReplayMismatch] = []
        self._lock = threading.Lock()
        self._live_images: dict[str, bytes] = {}
        self._memo: dict[str, Any] = {}
        policy = cassette.manifest.redaction
        self._redactor = Redactor.from_env(
            os.environ if environ is None else environ,
            RedactionPolicy(patterns=policy.patterns, builtin_patterns=policy.builtin_patterns),
        )
        self._redact_live = _shows_redaction(cassette)
        self._mask = policy.mask
        self._items: dict[int, tuple[Any, Any, Any]] = {}
        self._distances: dict[tuple[str, str], float] = {}

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
        return self.check(step, request)

    def check(self, step: int, request: dict[str, Any]) -> StepRecord:
        """Recorded step ``step`` if ``request`` is its request; raises :class:`ReplayMismatch`.

        Under ``sequential`` a difference is logged and kept in ``warnings``.
        """
        recorded = self.cassette.request(step)
        live = self.canonical(_aligned(request, recorded), self.cassette.steps[step - 1].items)
        comparison = self.compare(recorded, live)
        if comparison.differences:
            mismatch = self.mismatch(step, comparison)
            if comparison.fatal:
                raise mismatch
            logger.warning("%s", mismatch)
            with self._lock:
                self.warnings.append(mismatch)
        return self.cassette.steps[step - 1]

    def matches(self, step: int, request: dict[str, Any]) -> bool:
        """Whether ``request`` passes :meth:`check` for ``step``, writing and logging nothing.

        For a caller choosing among candidate steps (the proxy starting a
        conversation, with several recorded ones still to claim) before it
        checks the one it picked.
        """
        recorded = self.cassette.request(step)
        live = self.canonical(_aligned(request, recorded), self.cassette.steps[step - 1].items)
        return not self.compare(recorded, live).fatal

    def for_progress(self, progress: int) -> int | None:
        """The step that answers a conversation ``progress`` places in, if one starts there.

        A conversation's progress is the number of ``computer_call_output`` items
        and assistant messages in its effective history: step 1 answers 0, and
        each answered step moves it by :func:`~.outcome.moves` (1 for a call or a
        message, 2 for both, 0 for a response without output). A chaining client
        and a full-history one land on the same step, and two conversations
        never disturb each other. None past the end or between starts.
        """
        return self._conversation()[0].get(progress)

    @property
    def conversation_end(self) -> int:
        """The progress of a conversation that has been given every recorded step."""
        return self._conversation()[1]

    def _conversation(self) -> tuple[dict[int, int], int]:
        if self._starts is None:
            starts: dict[int, int] = {}
            position = 0
            for recorded in self.cassette.steps:
                starts.setdefault(position, recorded.step)
                position += moves(recorded)
            self._starts, self._end = starts, position
        return self._starts, self._end

    def canonical(
        self, request: dict[str, Any], new_items: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The live request in canonical form, its images kept in memory for comparison.

        Redacted as the recording was only when the recording shows redaction (a
        marker in its requests): otherwise there is nothing redaction could make
        equal, and the values a mismatch reports are redacted instead.
        """
        known = self._recogniser(new_items) if new_items is not None else None
        items = request.get("input")
        if isinstance(items, list):
            rest = {key: value for key, value in request.items() if key != "input"}
            result: dict[str, Any] = canonicalize(rest, self._keep, self._memo, known)
            result["input"] = [self._item(item, known) for item in items]
        else:
            result = canonicalize(request, self._keep, self._memo, known)
        if self._redact_live:
            result = self._redactor.json(result)
        return result

    def _item(self, item: Any, known: KnownImages | None) -> Any:
        """One input item in canonical form, reused while the item is unchanged.

        A full-history client resends the same item objects every step. The cache
        keeps a structural copy of each (containers copied, strings shared) and
        reuses the canonical form only while the item still equals it: one
        C-level comparison, which also catches an item changed in place.
        """
        entry = self._items.get(id(item))
        if entry is not None and entry[0] is item and item == entry[1]:
            return entry[2]
        canonical = canonicalize(item, self._keep, self._memo, known)
        self._items[id(item)] = (item, _structure(item), canonical)
        return canonical

    def _recogniser(self, new_items: dict[str, Any]) -> KnownImages:
        """Recognise the recorded step's new screenshots in the live request by their text.

        A replay that goes as recorded sends back exactly the recorded bytes, so
        comparing base64 text (the recorded blob encoded once) replaces a decode
        and a hash per screenshot; anything else falls through to both. Only the
        items this step introduced are candidates (older screenshots come back as
        the same strings and are found in the memo), so a step costs the same at
        step 50 of a full history as at step 1.
        """
        refs = [ref for ref in blob_refs(new_items) if ref.get("mime") == "image/png"]

        def known(text: str, start: int) -> dict[str, Any] | None:
            if self._mask or not text.startswith("data:image/png;base64,"):
                return None
            length = len(text) - start
            for ref in refs:
                size = int(ref.get("bytes", -1))
                if length != 4 * ((size + 2) // 3):
                    continue
                url = png_data_url(self.cassette.blob(ref))
                if text is url or text.endswith(url[len(PNG_PREFIX) :]):
                    return ref
            return None

        return known

    def _keep(self, data: bytes, mime: str) -> tuple[str, int]:
        from ..cassette.blobs import digest_of

        if self._mask and mime == "image/png":
            from ..images import mask_png

            # Compared as the recording stored it; bytes that are no PNG are compared as
            # they are (and will differ).
            with contextlib.suppress(InvalidImage):
                data = mask_png(data, self._mask)
        digest = digest_of(data)
        self._live_images[digest] = data
        return digest, len(data)

    def compare(self, recorded: dict[str, Any], live: dict[str, Any]) -> Comparison:
        """The policy's comparison, less differences a redacted recorded string stands for."""
        comparison = compare(
            recorded,
            live,
            self.match,
            distance=self._distance,
            threshold=self.threshold,
            ids_by_position=self.ids_by_position,
        )
        if comparison.differences:
            comparison.differences = [d for d in comparison.differences if not _redacted_match(d)]
        return comparison

    def _distance(self, recorded: dict[str, Any], live: dict[str, Any]) -> float:
        """Perceptual distance of two screenshots, computed once per pair of digests."""
        from ..images import image_distance

        key = (str(recorded[BLOB_KEY]), str(live[BLOB_KEY]))
        cached = self._distances.get(key)
        if cached is not None:
            return cached
        live_bytes = self._live_bytes(live)
        if live_bytes is None:
            return 1.0
        try:
            value = image_distance(self.cassette.blob(recorded), live_bytes)
        except InvalidImage:
            value = 1.0  # not PNGs (a JPEG, say): only equal bytes would have matched
        self._distances[key] = value
        return value

    def _live_bytes(self, ref: dict[str, Any]) -> bytes | None:
        """A live screenshot's bytes: decoded, or recognised as one the cassette holds."""
        digest = str(ref[BLOB_KEY])
        data = self._live_images.get(digest)
        if data is None and self.cassette.blobs.has(digest, str(ref.get("mime", "image/png"))):
            data = self.cassette.blob(ref)
        return data

    def mismatch(self, step: int, comparison: Comparison) -> ReplayMismatch:
        files = self._write_images(step, comparison)
        first = comparison.differences[0]
        more = len(comparison.differences) - 1
        summary = f"the request differs from the recorded one at {first.path}" + (
            f" and {more} more field(s)" if more else ""
        )
        redact = self._redactor.json
        differences = tuple(
            Difference(d.path, redact(d.recorded), redact(d.live), d.note)
            for d in comparison.differences
        )
        return ReplayMismatch(
            step,
            "request",
            summary + f" (match policy {self.match.value})",
            cassette=self.cassette.directory,
            differences=differences,
            files=files,
        )

    def _write_images(self, step: int, comparison: Comparison) -> tuple[Path, ...]:
        from ..images import diff_png

        written: list[Path] = []
        for index, image in enumerate(comparison.images):
            live = self._live_bytes(image.live)
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


def _aligned(request: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """``request`` with the recording's delivery fields: streamed or not is how an answer is
    delivered, which every replay path converts, never a difference in what was asked."""
    if all(request.get(key) == recorded.get(key) for key in DELIVERY_FIELDS):
        return request
    aligned = dict(request)
    for key in DELIVERY_FIELDS:
        if key in recorded:
            aligned[key] = recorded[key]
        else:
            aligned.pop(key, None)
    return aligned


def _redacted_match(difference: Difference) -> bool:
    """Is the recorded value a redacted string the live one fits (a marker for any text)?"""
    recorded, live = difference.recorded, difference.live
    if not (isinstance(recorded, str) and isinstance(live, str) and MARKER in recorded):
        return False
    pattern = ".+?".join(re.escape(part) for part in recorded.split(MARKER))
    return re.fullmatch(pattern, live, flags=re.DOTALL) is not None


def _structure(value: Any) -> Any:
    """A copy of ``value``'s containers; the leaves (strings, numbers) are shared."""
    if isinstance(value, dict):
        return {key: _structure(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_structure(child) for child in value]
    return value


def _shows_redaction(cassette: Cassette) -> bool:
    """Whether any recorded request or input item holds a redaction marker."""
    text = dumps([step.request for step in cassette.steps] + list(cassette.items.values()))
    return any(marker in text for marker in MARKERS if marker)


def diff_values(path: str, recorded: Any, live: Any) -> list[Difference]:
    """Field-level differences between two plain JSON values (actions, safety decisions)."""
    result = compare({"v": recorded}, {"v": live}, MatchPolicy.STRICT)
    return [Difference(path + d.path[1:], d.recorded, d.live, d.note) for d in result.differences]
