"""The one reader of cassette files, and the bounds it holds a cassette to.

Cassettes travel (pull requests, CI artifacts, bug reports), so every command
reads one as untrusted input: a hostile cassette may hold a symbolic link out
of it, a FIFO that never ends, a line nested a million levels deep (Python's
JSON decoder and every recursive walk after it raise ``RecursionError``), a
100-megabyte line, a million steps, or numbers no run produces (``1e308``
coordinates, a 5,000-digit integer, ``NaN``) that overflow later in a report
or a diff. :func:`read_file` opens every file of a cassette (manifest, step
log, blobs) and :func:`parse_json` decodes every JSON document in one, so
these bounds hold in every command, and a file past one is refused with an
:class:`~cua_replay.errors.InvalidCassette` naming the file and the setting
that raises the bound:

=========================  ==============================  ===========
bound                      environment variable            default
=========================  ==============================  ===========
a blob file                ``CUA_REPLAY_MAX_BLOB_BYTES``   64 MiB
a line of ``steps.jsonl``  ``CUA_REPLAY_MAX_LINE_BYTES``   16 MiB
  (and ``run.json``)
the whole ``steps.jsonl``  ``CUA_REPLAY_MAX_LOG_BYTES``    1 GiB
JSON nesting depth         ``CUA_REPLAY_MAX_DEPTH``        64
steps in a cassette        ``CUA_REPLAY_MAX_STEPS``        10,000
=========================  ==============================  ===========

A recorded run nests 10 levels deep, writes lines of tens of kilobytes
and screenshots under 10 MB, and stops after ``max_steps`` (20 by default), so
the defaults leave a wide margin. Numbers are checked, not configurable: a
float must be finite (``1e999`` is refused, ``NaN`` and ``Infinity`` are not
JSON) and an integer within ±2**63 (int64, the widest integer any API here
sends). Numbers valid as JSON but absurd where a command computes with them
are bounded there: times and latencies by the format's models (within ±10**12
ms, :mod:`.format`), and a token count must be an integer (:mod:`.view`), so
no total overflows; a ``1e308`` click is shown as recorded.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, Final

from ..errors import InvalidCassette, InvalidSetting

MAX_INT: Final = 2**63
"""The largest magnitude of an integer in a cassette: int64, the widest any API here sends."""

VARIABLES: Final = {  # bound -> the environment variable that sets it
    "blob_bytes": "CUA_REPLAY_MAX_BLOB_BYTES",
    "line_bytes": "CUA_REPLAY_MAX_LINE_BYTES",
    "log_bytes": "CUA_REPLAY_MAX_LOG_BYTES",
    "depth": "CUA_REPLAY_MAX_DEPTH",
    "steps": "CUA_REPLAY_MAX_STEPS",
}
_STRINGS: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
"""A JSON string (the unrolled form: four times faster than an alternation per character)."""
_NOT_BRACKETS: Final = bytes(set(range(256)) - set(b"[]{}"))
_STEP: Final = tuple(1 if byte in b"[{" else -1 for byte in range(256))


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a cassette is read: see the module docstring for why and the defaults."""

    blob_bytes: int = 64 * 2**20
    line_bytes: int = 16 * 2**20
    log_bytes: int = 2**30
    depth: int = 64
    steps: int = 10_000

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        """The defaults, each overridden by its ``CUA_REPLAY_MAX_*`` variable if set."""
        given: dict[str, int] = {}
        for name, variable in VARIABLES.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text.replace("_", ""))
            except ValueError:
                value = 0
            if value < 1:
                raise InvalidSetting(
                    f"{variable}={text[:40]!r} is not a positive whole number; set it to a "
                    f"bound such as {getattr(cls(), name)}, or unset it for the default.",
                    setting=variable,
                    source=f"env {variable}",
                )
            given[name] = value
        return cls(**given)


def read_file(path: Path, inside: Path, *, limit: int, variable: str) -> bytes:
    """The bytes of the cassette file at ``path``, read as untrusted input.

    ``inside`` is the cassette directory. No directory between it and the file
    may be a symbolic link; the file is opened without following links and
    without blocking, must be a regular file (not a FIFO, device or
    directory), and is read up to ``limit`` bytes; ``variable`` names the
    setting that raises the bound. Anything else raises
    :class:`InvalidCassette` naming the file; a missing file raises
    :class:`FileNotFoundError`.
    """
    folder = inside
    for part in path.relative_to(inside).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise InvalidCassette(
                f"{folder} is a symbolic link: a cassette's files are only read from inside "
                "it. Replace the link with a copy of what it points to."
            )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidCassette(
                f"{path} is a symbolic link: a cassette's files are only read from inside it. "
                "Replace the link with a copy of the file."
            ) from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise InvalidCassette(f"{path} cannot be read ({exc.strerror}).") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InvalidCassette(
                f"{path} is not a regular file (a FIFO, device or directory): a cassette holds "
                "only the files it wrote. Remove it, or re-record the run."
            )
        if info.st_size > limit:
            raise InvalidCassette(
                f"{path} holds {info.st_size:,} bytes, more than the {limit:,} allowed "
                f"({variable} raises the bound for a cassette you trust)."
            )
        data = file.read(limit + 1)
    if len(data) > limit:
        raise InvalidCassette(f"{path} grew past {limit:,} bytes while it was read.")
    return data


class _Refused(ValueError):
    """A number :func:`parse_json` will not take; turned into :class:`InvalidCassette`."""


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:30]} is beyond the largest float")
    return value


def _int(text: str) -> int:
    # Python refuses int() of over 4,300 digits with a ValueError that would read as a torn
    # line; 20 digits already exceed int64.
    value = int(text) if len(text) <= 20 else MAX_INT + 1
    if abs(value) > MAX_INT:
        clipped = text[:24] + ("..." if len(text) > 24 else "")
        raise _Refused(f"the integer {clipped} ({len(text)} digits) is beyond ±2**63")
    return value


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number")


def depth_of(data: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``data`` nest, without recursion
    (strings dropped, then a running sum of +1 per opening and -1 per closing bracket)."""
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def parse_json(data: bytes, where: str, limits: Limits) -> Any:
    """Decode one JSON document of a cassette (``where`` names it in errors), within ``limits``.

    Raises :class:`InvalidCassette` for a document nested deeper than
    ``limits.depth``, a number that is not finite or an integer beyond :data:`MAX_INT`, and
    :class:`ValueError` (``json.JSONDecodeError``, ``UnicodeDecodeError``) for
    text that is not JSON, which a caller may take for a torn last line.
    """
    if len(data) > limits.line_bytes:
        raise InvalidCassette(
            f"{where} is {len(data):,} bytes, more than the {limits.line_bytes:,} a line may be "
            f"({VARIABLES['line_bytes']} raises the bound for a cassette you trust)."
        )
    # Counting is C-fast; only a document with that many brackets at all is measured.
    if data.count(b"[") + data.count(b"{") > limits.depth:
        depth = depth_of(data)
        if depth > limits.depth:
            raise InvalidCassette(
                f"{where} nests {depth} levels deep, more than the {limits.depth} allowed "
                f"({VARIABLES['depth']} raises the bound for a cassette you trust)."
            )
    text = data.decode("utf-8")
    try:
        return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except _Refused as exc:
        raise InvalidCassette(
            f"{where}: {exc}, which no recording writes; the file was edited. Re-record the run."
        ) from None
