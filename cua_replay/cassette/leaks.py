"""Find secrets in the files of a cassette: what redaction should have removed, and did not.

Every file is scanned as bytes, blobs included: a value a recorder missed can
be anywhere. A secret value is looked for in every spelling redaction removes
(:func:`.spellings.spellings`: percent-encoded as Chromium and clients do it,
``+`` for spaces, JSON and HTML escapes, base64), each as it is and as the log's
JSON escapes it (``a"b`` is stored as ``a\\"b``); patterns (the redactor's
built-in ones and the caller's) run over the file decoded as UTF-8, with
undecodable bytes kept as they are, so offsets stay byte offsets.

A :class:`Leak` names the file and byte offset and a mask of the value (its
first three characters and its length), never the value itself: the report
ends up in CI logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import InvalidCassette, InvalidSetting
from .blobs import read_blob
from .canonical import dumps
from .format import BLOBS_DIR
from .redact import BUILTIN_PATTERNS, env_secrets
from .spellings import spellings, utf8

_BUILTIN_NAMES: Final = ("an OpenAI-style key (sk-...)", "a JWT", "a Bearer token")
_DATA_URL: Final = re.compile(rb"data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)

Patterns = list[tuple[re.Pattern[str], str]]
"""Compiled patterns, each with how a report names it."""


@dataclass(frozen=True)
class Needle:
    """One secret value, by the spellings it can have on disk."""

    spellings: tuple[bytes, ...]
    what: str
    """How a report names it: ``the value of $OPENAI_API_KEY``, ``--secret #2``."""
    mask: str


@dataclass(frozen=True)
class Leak:
    where: str
    """``<file relative to the cassette>@<byte offset of the first occurrence>``."""
    message: str


def mask(secret: str) -> str:
    """What a report may say about a secret: its first three characters and its length."""
    return f"{secret[:3]!r}... ({len(secret)} chars)"


def secret_patterns(extra: Iterable[str] = ()) -> Patterns:
    """The redactor's built-in patterns and ``extra``; a bad regular expression raises."""
    compiled = [
        (re.compile(p), name) for p, name in zip(BUILTIN_PATTERNS, _BUILTIN_NAMES, strict=True)
    ]
    for i, pattern in enumerate(extra, start=1):
        try:
            compiled.append((re.compile(pattern), f"--pattern #{i}"))
        except re.error as exc:
            raise InvalidSetting(
                f"pattern={pattern!r} is not a valid regular expression ({exc}); fix or drop it.",
                setting="pattern",
            ) from None
    return compiled


def secret_values(
    environ: Mapping[str, str], names: Iterable[str], secrets: Iterable[str] = ()
) -> list[Needle]:
    """The values of the environment variables ``names`` match (as the recorder picks them)
    and the given ``secrets``."""
    found: dict[str, str] = {}
    for value in sorted(env_secrets(environ, tuple(names))):
        owners = sorted(k for k, v in environ.items() if v.strip() == value)
        found.setdefault(value, "the value of $" + (owners[0] if owners else "?"))
    for i, secret in enumerate(secrets, start=1):
        value = secret.strip()
        if value:
            found.setdefault(value, f"--secret #{i}")
    needles = []
    for value, what in found.items():
        needles.append(Needle(on_disk(value), what, mask(value)))
    return needles


def on_disk(secret: str) -> tuple[bytes, ...]:
    """The bytes a file may hold ``secret`` as: each spelling redaction removes, as it is
    and as a JSON file (the step log, the manifest) escapes it."""
    forms = spellings(secret)
    found = {utf8(form) for form in forms} | {utf8(dumps(form)[1:-1]) for form in forms}
    return tuple(sorted(found))


MAX_SCANNED_BYTES: Final = 2**30
"""The largest file scanned for secrets (a step log of a very long run stays well below)."""


def _own_files(directory: Path) -> list[Path]:
    """The regular files of a cassette, found without following a symbolic link anywhere."""
    found: list[Path] = []
    for folder, _, names in os.walk(directory, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)


def find_leaks(directory: Path, values: list[Needle], patterns: Patterns) -> tuple[list[Leak], int]:
    """Every leak in every file under ``directory``, and how many files were scanned.

    One leak per file and secret (or pattern), at its first occurrence, with a
    count; a pattern match inside a secret value already reported is not
    reported again. Outside ``blobs/``, an embedded ``data:image/...;base64``
    is a leak too: a screenshot shows whatever was on screen.
    """
    leaks: list[Leak] = []
    files = _own_files(directory)
    for path in files:
        name = path.relative_to(directory).as_posix()
        try:
            data = read_blob(path, directory, limit=MAX_SCANNED_BYTES)
        except (InvalidCassette, OSError):
            continue  # verify reports a blob it cannot read; nothing else here is read

        covered: list[tuple[int, int]] = []
        for needle in values:
            hits = [(i, len(s)) for s in needle.spellings for i in _find_all(data, s)]
            if hits:
                covered += [(i, i + n) for i, n in hits]
                first = min(i for i, _ in hits)
                leaks.append(Leak(f"{name}@{first}", _leak(needle.what, needle.mask, len(hits))))
        text = data.decode("utf-8", "surrogateescape")
        for regex, what in patterns:
            spans = [
                (_offset(text, m.start()), _offset(text, m.end()), m.group(0))
                for m in regex.finditer(text)
                if m.end() > m.start()
            ]
            spans = [s for s in spans if not any(s[0] < b and a < s[1] for a, b in covered)]
            if spans:
                shown = mask(spans[0][2])
                leaks.append(Leak(f"{name}@{spans[0][0]}", _leak(what, shown, len(spans))))
        if not path.is_relative_to(directory / BLOBS_DIR):
            images = list(_DATA_URL.finditer(data))
            if images:
                leaks.append(
                    Leak(
                        f"{name}@{images[0].start()}",
                        f"{len(images)} embedded image(s) (data:image/...;base64) in the log: "
                        "screenshots must be blob files (they show whatever was on screen, "
                        "typed passwords included); re-record with this cua-replay.",
                    )
                )
    return leaks, len(files)


def _leak(what: str, shown: str, count: int) -> str:
    times = "once" if count == 1 else f"{count} times"
    return (
        f"{what} {shown} occurs {times}: re-record with it redacted (a secret-looking "
        "environment variable or a --redact pattern), and rotate it if the cassette was shared."
    )


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, start = [], data.find(needle)
    while start != -1:
        found.append(start)
        start = data.find(needle, start + 1)
    return found


def _offset(text: str, index: int) -> int:
    """The byte offset of character ``index`` of ``text`` decoded with surrogateescape."""
    return len(text[:index].encode("utf-8", "surrogateescape"))
