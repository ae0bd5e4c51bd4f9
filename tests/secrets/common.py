"""What the secret tests share: generated secrets, an independent list of their spellings, the scan.

:func:`secrets` are what breaks naive redaction: spaces, quotes, non-ASCII
(two-byte, three-byte and beyond the BMP), ``%``, ``+``, ``&``, ``<``, a
backslash, around a few letters (so a generated secret never is a word the
cassette format itself writes). :func:`ascii_secrets` leave out what an HTTP
header cannot carry (an ``api_key`` travels in ``Authorization``).

:func:`found` scans bytes for a secret in two lists: the package's own
(:func:`cua_replay.cassette.leaks.on_disk`, what redaction and ``verify``
use) and one written here from the standard library alone (``quote``,
``quote_plus``, ``json.dumps``, ``html.escape``, base64 at each alignment),
so a spelling the package forgot to list still fails the test.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

from cua_replay.cassette.leaks import on_disk

SPECIALS = (" ", '"', "'", "ö", "€", "\U0001f600", "%", "%20", "+", "&", "<", ">", "\\", "&amp;")
"""Characters (and an already-encoded run or two) each generated secret draws from."""
_LETTERS = st.text("BCDFGHJKLMNPQRSTVWXZbcdfghjkmnpqrstvwxz", min_size=3, max_size=6)


@st.composite
def secrets(draw: st.DrawFn, specials: tuple[str, ...] = SPECIALS) -> str:
    """A secret with at least two of ``specials`` between letters, e.g. ``Cnry p@ss"wörd!x``."""
    parts = [draw(_LETTERS)]
    for special in draw(st.lists(st.sampled_from(specials), min_size=2, max_size=5)):
        parts += [special, draw(_LETTERS)]
    return "".join(parts)


def ascii_secrets() -> st.SearchStrategy[str]:
    """Secrets an HTTP header can carry: the ASCII specials only."""
    return secrets(tuple(s for s in SPECIALS if s.isascii()))


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def independent(secret: str) -> dict[str, bytes]:
    """``secret`` spelled by the standard library: the oracle the package's list must cover."""
    raw = secret.encode("utf-8")
    forms = {
        "raw": secret,
        "quote": quote(secret),
        "quote-all": quote(secret, safe=""),
        "quote-all-lower": _lower_hex(quote(secret, safe="")),
        "quote_plus": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
        "json-utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "html": html.escape(secret),
        "html-text": html.escape(secret, quote=False),
        "html-ascii": html.escape(secret).encode("ascii", "xmlcharrefreplace").decode(),
        "json-of-html": json.dumps(html.escape(secret))[1:-1],
    }
    found = {name: form.encode("utf-8") for name, form in forms.items()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        stable = encoded[(0, 2, 3)[shift] : (shift + len(raw)) // 3 * 4]
        found[f"base64@{shift}"] = stable
        found[f"base64url@{shift}"] = stable.replace(b"+", b"-").replace(b"/", b"_")
    return found


def found(data: bytes, secret: str) -> list[str]:
    """Every spelling of ``secret`` (the package's and the independent ones) in ``data``."""
    hits = [name for name, needle in independent(secret).items() if needle in data]
    hits += [f"spelling {needle!r}" for needle in on_disk(secret) if needle in data]
    return hits


def found_in_files(directory: Path, secret: str) -> list[str]:
    """Every spelling of ``secret`` in any file under ``directory``, as ``file: spelling``."""
    hits: list[str] = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            name = path.relative_to(directory).as_posix()
            hits += [f"{name}: {hit}" for hit in found(path.read_bytes(), secret)]
    return hits
