"""Every way a recording can spell a secret: the one list redaction removes and ``verify`` seeks.

A secret rarely travels as itself. A password typed into a start URL's query
comes back from Chromium as ``Cnry%20p@ss%22w%C3%B6rd!x``; a form posts it as
``Cnry+p%40ss%22w%C3%B6rd%21x``; a function call's ``arguments`` (JSON in a
JSON string) hold ``w\\u00f6rd`` and ``\\"``; a page or report shows
``&quot;`` or ``&#34;``; a ``Basic`` header or a token payload carries it in
base64. :func:`spellings` lists them all, and both :class:`~.redact.Redactor`
and :mod:`.leaks` read that one list, so what ``verify`` looks for is exactly
what redaction removes.

The families (each layer applied to the raw secret, JSON and HTML also on top
of the URL forms, since a URL travels inside JSON and HTML):

* **percent-encoding**, upper- and lower-case hex, as produced by
  Chromium's URL canonicalizer in a query (:data:`CHROMIUM_QUERY`), a path
  (:data:`CHROMIUM_PATH`) and a fragment (:data:`CHROMIUM_FRAGMENT`), measured
  with Chromium's own ``new URL()`` (``tests/secrets/test_chromium_escapes.py``
  checks the sets stay true); HTML form bodies and ``URLSearchParams``
  (``application/x-www-form-urlencoded``, ``+`` for a space);
  ``encodeURIComponent``; Python's ``quote``, ``quote(safe="")`` and
  ``quote_plus``. Everything is UTF-8 first;
* **JSON string escapes**: ``ensure_ascii`` (``\\u00f6``, and ``\\u00F6`` as
  other serializers write it, surrogate pairs beyond the BMP) and without it
  (only quotes, backslashes and control characters escaped);
* **HTML character references**: Chromium's serialization of a text node
  (``&amp; &lt; &gt; &nbsp;``) and of an attribute (``&amp; &quot; &nbsp;``),
  named (``&quot; &amp; &lt; &gt; &apos;``, and ``&ouml;``-style names for
  non-ASCII), Python's ``html.escape`` (``&#x27;``), Jinja's markupsafe
  (``&#34; &#39;``), and every special or non-ASCII character as a decimal or
  hex reference (``&#34; &#x22; &#X22;``);
* **as a pattern**: ``re.escape(secret)``, how ``--redact`` is given a
  password (the manifest records the policy's patterns);
* **base64**, standard and URL-safe: the whole secret encoded alone, and the
  characters only the secret determines when it starts at each of the three
  alignments inside longer encoded data, when at least :data:`BASE64_MIN`
  long (shorter runs would match unrelated base64 by chance).
"""

from __future__ import annotations

import base64
import html
import json
import re
import string
from collections.abc import Callable
from html.entities import codepoint2name
from typing import Final

CHROMIUM_QUERY: Final = frozenset(" \"'<>")
"""Printable ASCII Chromium percent-encodes in a URL query (http/https)."""
CHROMIUM_PATH: Final = frozenset(' "<>^`{|}')
"""Printable ASCII Chromium percent-encodes in a URL path."""
CHROMIUM_FRAGMENT: Final = frozenset(' "<>`')
"""Printable ASCII Chromium percent-encodes in a URL fragment."""
BASE64_MIN: Final = 8
_ALNUM: Final = frozenset(string.ascii_letters + string.digits)
_FORM_SAFE: Final = _ALNUM | frozenset("*-._")
"""``application/x-www-form-urlencoded``: what HTML forms and ``URLSearchParams`` keep."""
_COMPONENT_SAFE: Final = _ALNUM | frozenset("-_.!~*'()")
"""``encodeURIComponent``."""
_PY_SAFE: Final = _ALNUM | frozenset("_.-~")
"""``urllib.parse.quote(safe="")`` and ``quote_plus``."""
_URL_STRIPPED: Final = str.maketrans("", "", "\t\n\r")
_HTML_SPECIAL: Final = frozenset("&<>\"'")
_NAMED: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_MARKUPSAFE: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_DOM_TEXT: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"}
"""How Chromium serializes a text node (``innerHTML``, a saved page)."""
_DOM_ATTRIBUTE: Final = {"&": "&amp;", '"': "&quot;", "\xa0": "&nbsp;"}
"""How Chromium serializes an attribute value (``outerHTML``: a link's ``href``, a value)."""


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (an undecodable byte of an environment value,
    as Python decodes it) as the byte it stands for, or its 3-byte form."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _percent(
    text: str, keep: Callable[[str], bool], *, plus: bool = False, lower: bool = False
) -> str:
    out: list[str] = []
    for ch in text:
        if keep(ch):
            out.append(ch)
        elif plus and ch == " ":
            out.append("+")
        else:
            hexes = "".join(f"%{b:02x}" if lower else f"%{b:02X}" for b in utf8(ch))
            out.append(hexes)
    return "".join(out)


def _chromium(escaped: frozenset[str]) -> Callable[[str], bool]:
    """Chromium keeps printable ASCII but ``escaped`` (and ``%``, escaped or not, as it is)."""
    return lambda ch: 0x20 < ord(ch) < 0x7F and ch not in escaped


_URL_FORMS: Final[tuple[tuple[Callable[[str], bool], bool], ...]] = (
    (_chromium(CHROMIUM_QUERY), False),
    (_chromium(CHROMIUM_PATH), False),
    (_chromium(CHROMIUM_FRAGMENT), False),
    (_FORM_SAFE.__contains__, True),
    (_COMPONENT_SAFE.__contains__, False),
    ((_PY_SAFE | {"/"}).__contains__, False),
    (_PY_SAFE.__contains__, False),
    (_PY_SAFE.__contains__, True),
)
"""``(keeps, space as +)`` of each percent-encoding a browser or client produces."""


def percent_encodings(secret: str) -> set[str]:
    """``secret`` percent-encoded each way a browser or HTTP client does, in both hex cases.

    Chromium drops tabs and line breaks from a URL before encoding it, and reads a
    backslash in an http(s) path as a slash: those forms too.
    """
    stripped = secret.translate(_URL_STRIPPED)
    return {
        _percent(text, keep, plus=plus, lower=lower)
        for text in {secret, stripped, stripped.replace("\\", "/")}
        for keep, plus in _URL_FORMS
        for lower in (False, True)
    }


def json_escapes(text: str) -> set[str]:
    """``text`` as the inside of a JSON string: ASCII-only (both hex cases) and UTF-8."""
    ascii_lower = json.dumps(text)[1:-1]
    upper = "".join(_upper_hex(json.dumps(ch)[1:-1]) for ch in text)
    return {ascii_lower, upper, json.dumps(text, ensure_ascii=False)[1:-1]}


def _upper_hex(escape: str) -> str:
    return escape.upper().replace("\\U", "\\u") if escape.startswith("\\u") else escape


def _reference(ch: str, style: str) -> str:
    code = ord(ch)
    if style == "dec":
        return f"&#{code};"
    return f"&#x{code:x};" if style == "hex" else f"&#x{code:X};"


def html_escapes(text: str) -> set[str]:
    """``text`` as HTML text or an attribute value: each way pages and reports escape it."""
    found = {html.escape(text, quote=False), html.escape(text)}
    found |= {_replace(text, table) for table in (_MARKUPSAFE, _DOM_TEXT, _DOM_ATTRIBUTE)}
    named = _replace(text, _NAMED)
    found.add(named)
    found.add("".join(_named_reference(c) for c in named))
    for style in ("dec", "hex", "HEX"):
        specials = "".join(_reference(c, style) if c in _HTML_SPECIAL else c for c in text)
        everything = "".join(
            _reference(c, style) if c in _HTML_SPECIAL or ord(c) > 0x7E else c for c in text
        )
        found |= {specials, everything}
    found.add(html.escape(text).encode("ascii", "xmlcharrefreplace").decode("ascii"))
    return found


def _named_reference(ch: str) -> str:
    name = codepoint2name.get(ord(ch)) if ord(ch) > 0x7E else None
    return f"&{name};" if name else ch


def _replace(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in text)


def base64_forms(secret: str) -> set[str]:
    """The secret in base64 (and base64url): alone, and the part only it determines at each
    of the three offsets inside longer encoded data, when :data:`BASE64_MIN` long or more."""
    raw = utf8(secret)
    found: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        stable = encoded[(0, 2, 3)[shift] : (shift + len(raw)) // 3 * 4]
        candidates = {stable, encoded} if shift == 0 else {stable}
        for form in candidates:
            if len(form) >= BASE64_MIN:
                found |= {form, form.replace("+", "-").replace("/", "_")}
    return found


def spellings(secret: str) -> frozenset[str]:
    """Every spelling of ``secret`` this module knows, the secret itself included."""
    urls = percent_encodings(secret)
    pages = html_escapes(secret) | {page for url in urls for page in html_escapes(url)}
    found = {secret, re.escape(secret)} | urls | pages
    found |= {escaped for form in found for escaped in json_escapes(form)}
    return frozenset(found | base64_forms(secret))
