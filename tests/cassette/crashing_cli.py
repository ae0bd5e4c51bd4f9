"""``python -m tests.cassette.crashing_cli run ...``: the CLI, SIGKILLed at an exact point.

Polling a recording from outside kills it somewhere near a moment, never
exactly at one. The points a crash-safe writer must survive are exact: after
a screenshot's blob is in place but before the line that refers to it, and in
the middle of a line. ``CUA_CRASH_AT`` picks one and the process kills itself
there with SIGKILL (no handler, no ``finally``, no flush runs: a real crash):

* ``blob:N``  right after the N-th new blob file is renamed into place;
* ``line:N``  after the first half of line N of ``steps.jsonl`` is written and flushed.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import IO, Any

from cua_replay.cassette.blobs import BlobStore
from cua_replay.cassette.store import CassetteWriter


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _crash_after_blob(n: int) -> None:
    put = BlobStore.put
    new = 0

    def crashing_put(
        self: BlobStore, data: bytes, mime: str = "image/png", *, digest: str | None = None
    ) -> str:
        nonlocal new
        existed = digest is not None and self.has(digest, mime)
        result = put(self, data, mime, digest=digest)
        if not existed:
            new += 1
            if new == n:
                _die()
        return result

    BlobStore.put = crashing_put  # type: ignore[method-assign]


class _TearingLog:
    """The log file, except that line ``n`` is only half written before the crash."""

    def __init__(self, log: IO[str], n: int) -> None:
        self._log = log
        self._n = n
        self._lines = 0

    def write(self, text: str) -> int:
        self._lines += text.count("\n")
        if self._lines >= self._n:
            self._log.write(text[: len(text) // 2])
            self._log.flush()
            _die()
        return self._log.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


def _crash_mid_line(n: int) -> None:
    init = CassetteWriter.__init__

    def tearing_init(self: CassetteWriter, directory: Path, *args: Any, **kwargs: Any) -> None:
        init(self, directory, *args, **kwargs)
        assert self._log is not None
        self._log = _TearingLog(self._log, n)  # type: ignore[assignment]

    CassetteWriter.__init__ = tearing_init  # type: ignore[method-assign]


def main() -> None:
    where, _, count = os.environ.get("CUA_CRASH_AT", "").partition(":")
    if where == "blob":
        _crash_after_blob(int(count))
    elif where == "line":
        _crash_mid_line(int(count))
    elif where:
        raise SystemExit(f"CUA_CRASH_AT={where}:{count} is not blob:N or line:N")
    from cua_replay.cli.main import app

    app(prog_name="cua-replay")


if __name__ == "__main__":
    main()
