"""Redaction at write time: once, as a pure function of (policy, secrets), before any byte lands.

What goes:

* request and response headers, except an allow-list of harmless ones
  (``x-request-id``, rate limits, timings, content type): ``authorization``,
  ``api-key``, cookies, organization and project never reach the log;
* query parameters except ``api-version``;
* the value of every environment variable whose name looks secret
  (``*KEY*``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``), and every secret the
  recorder learns from the traffic (the bearer token or ``api-key`` it strips),
  wherever it shows up: bodies, typed text, URLs, error messages, header values,
  in requests and responses alike, in every spelling a browser or client gives it
  (percent-encoded as Chromium does, ``+`` for spaces, JSON and HTML escapes,
  base64: :func:`.spellings.spellings`, the list ``verify`` searches too);
* anything matching the built-in patterns (OpenAI keys, JWTs such as Microsoft
  Entra ID tokens, ``Bearer ...``) or the policy's own regexes (typed passwords,
  say);
* optionally, rectangles of every screenshot (:attr:`RedactionPolicy.mask`).

A redacted string reads :data:`MARKER` (or a variant, should a secret or
pattern match the marker itself). Redaction is idempotent (running it on
its own output changes nothing: vcrpy runs its filters again on load and on
every request, and a non-idempotent filter broke replay there) and leak-free:
if replacing occurrences could ever splice a secret back together at a marker's
edge, the whole string is replaced. Both properties are tested with generated
secrets at generated positions.
"""

from __future__ import annotations

import fnmatch
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote, unquote_plus

from ..errors import InvalidSetting
from .canonical import dumps
from .format import BLOB_KEY, ITEM_KEY, Redaction
from .spellings import spellings

MARKER: Final = "[redacted]"
SECRET_ENV: Final = ("*KEY*", "*TOKEN*", "*SECRET*", "*PASSWORD*")
BUILTIN_PATTERNS: Final = (
    r"sk-[A-Za-z0-9_\-]{16,}",
    r"eyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}",
    r"[Bb][Ee][Aa][Rr][Ee][Rr]\s+[A-Za-z0-9._~+/=\-]{8,}",
)
BUILTIN_HINTS: Final = ("sk-", "eyj", "bearer")
"""What every match of the built-in pattern at the same place holds, lower-cased: text
without it cannot match that pattern, found with a substring search instead of the regex."""
KEEP_HEADERS: Final = frozenset(
    {
        "x-request-id",
        "apim-request-id",
        "openai-processing-ms",
        "openai-version",
        "openai-model",
        "x-ms-region",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "content-type",
    }
)
KEEP_HEADER_PREFIXES: Final = ("x-ratelimit-",)
KEEP_QUERY: Final = frozenset({"api-version"})
MIN_SECRET_LENGTH: Final = 6
_NOT_SECRETS: Final = frozenset({"true", "false", "none", "null", "yes", "no"})
_DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")
_MIME: Final = re.compile(r"[a-z]+/[a-z0-9.+-]+")
_JSON_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""A string literal in JSON text; outside strings, JSON text has no ``"``."""
_MAX_PASSES: Final = 8
MARKERS: Final = (MARKER, "[REDACTED]", "[########]", "[********]", "[~~~~~~~~]")
"""The first one no secret or pattern matches is used; "" if every one is caught."""


@dataclass(frozen=True)
class RedactionPolicy:
    """What to redact; recorded in the manifest by its description, never its secrets."""

    secret_env: tuple[str, ...] = SECRET_ENV
    """Shell-style patterns (case-insensitive) of environment variable names holding secrets."""
    patterns: tuple[str, ...] = ()
    """Extra regular expressions; every match is replaced."""
    builtin_patterns: bool = True
    mask: tuple[tuple[int, int, int, int], ...] = ()
    """Screenshot rectangles ``(x, y, width, height)`` painted black before storing."""

    def __post_init__(self) -> None:
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidSetting(
                    f"Redaction pattern {pattern!r} is not a valid regular expression ({exc}); "
                    "fix it or drop it from --redact.",
                    setting="redact",
                ) from None

    def describe(self) -> Redaction:
        """What the manifest records of this policy (and of the headers and query kept)."""
        return Redaction(
            secret_env=self.secret_env,
            patterns=self.patterns,
            builtin_patterns=self.builtin_patterns,
            mask=self.mask,
            headers_kept=(*sorted(KEEP_HEADERS), *(p + "*" for p in KEEP_HEADER_PREFIXES)),
            query_kept=tuple(sorted(KEEP_QUERY)),
        )


def env_secrets(environ: Mapping[str, str], names: Iterable[str] = SECRET_ENV) -> set[str]:
    """Values of the variables whose names match ``names``, long enough to be secrets."""
    patterns = [name.upper() for name in names]
    found: set[str] = set()
    for key, value in environ.items():
        if any(fnmatch.fnmatchcase(key.upper(), p) for p in patterns):
            found |= _candidates(value)
    return found


_LITERAL: Final = re.compile(r"(?:\\[^A-Za-z0-9]|[^\\.^$*+?{}\[\]|()])+")
"""A regular expression that matches one string only: plain characters and escaped symbols."""


def literal(pattern: str) -> str | None:
    """The one string ``pattern`` matches when it is plain text (``re.escape(password)``)."""
    if not _LITERAL.fullmatch(pattern):
        return None
    return re.sub(r"\\(.)", r"\1", pattern, flags=re.DOTALL)


def _candidates(value: str) -> set[str]:
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH or value.lower() in _NOT_SECRETS:
        return set()
    return {value}


_ANCHOR: Final = re.compile(r"[A-Za-z0-9]{4,}")
"""A run no spelling changes: percent, JSON and HTML escapes keep ASCII letters and digits."""


def _prefilter(secret: str) -> set[str]:
    """Substrings one of which every spelling of ``secret`` holds: its longest run of ASCII
    letters and digits, and the spellings without it (base64); else every spelling.

    A secret has dozens of spellings; searching text for each made a clean step (the
    usual case) several times slower to check than searching for these few.
    """
    forms = spellings(secret)
    runs = _ANCHOR.findall(secret)
    if not runs:
        return set(forms)
    anchor = max(runs, key=len)
    return {anchor} | {form for form in forms if anchor not in form}


def _needles(forms: set[str], hints: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(forms, hints)`` to search for, without a form that holds a shorter one (found first)."""
    kept: list[str] = []
    for form in sorted(forms, key=len):
        if not any(shorter in form for shorter in kept):
            kept.append(form)
    return tuple(kept), hints


def _is_reference(obj: dict[Any, Any]) -> bool:
    """A well-formed blob or item reference: names only, nothing a secret could hide in."""
    if ITEM_KEY in obj:
        return (
            len(obj) == 1
            and isinstance(obj[ITEM_KEY], str)
            and bool(_DIGEST.fullmatch(obj[ITEM_KEY]))
        )
    if BLOB_KEY not in obj or not set(obj) <= {BLOB_KEY, "mime", "bytes"}:
        return False
    digest, mime, size = obj[BLOB_KEY], obj.get("mime", "image/png"), obj.get("bytes", 0)
    return (
        isinstance(digest, str)
        and _DIGEST.fullmatch(digest) is not None
        and isinstance(mime, str)
        and _MIME.fullmatch(mime) is not None
        and type(size) is int
    )


@dataclass
class Redactor:
    """The redaction function for one policy and a set of secrets (which may grow)."""

    policy: RedactionPolicy = field(default_factory=RedactionPolicy)
    secrets: set[str] = field(default_factory=set, repr=False)
    """Never in ``repr``: a redactor is the one object that holds every secret of a run."""

    def __post_init__(self) -> None:
        # A pattern that is a plain string (``re.escape(password)``) is a secret: it is
        # then redacted in every spelling, not only as it is.
        values = self.secrets | {value for p in self.policy.patterns if (value := literal(p))}
        self.secrets = {s for value in values for s in _candidates(value)}
        self._compile()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], policy: RedactionPolicy | None = None
    ) -> Redactor:
        policy = policy or RedactionPolicy()
        return cls(policy, env_secrets(environ, policy.secret_env))

    def learn(self, secret: str) -> None:
        """Add a secret seen in the traffic (a stripped credential) to what is scrubbed."""
        new = _candidates(secret) - self.secrets
        if new:
            self.secrets |= new
            self._compile()

    def _compile(self) -> None:
        forms = {form for secret in self.secrets for form in spellings(secret)}
        parts = [re.escape(s) for s in sorted(forms, key=lambda s: (-len(s), s))]
        if self.policy.builtin_patterns:
            parts += list(BUILTIN_PATTERNS)
        own = [f"(?:{p})" for p in self.policy.patterns]
        parts += own
        self._own = re.compile("|".join(own)) if own else None
        self._regex = re.compile("|".join(parts)) if parts else None
        self.marker = next((m for m in MARKERS if not (self._regex and self._regex.search(m))), "")
        # The regex scans a few hundred nanoseconds a character; substring searches run
        # at memory speed. A string without any needle cannot match, so the regex runs
        # only on the rare string that might; a pattern of the policy's own can match
        # anything, so it always runs then.
        hints = BUILTIN_HINTS if self.policy.builtin_patterns else ()
        self._always = bool(self.policy.patterns)
        found = {needle for secret in self.secrets for needle in _prefilter(secret)}
        self._forms = _needles(found, hints)
        self._escaped = _needles({dumps(form)[1:-1] for form in found}, hints)

    def _may_match(self, text: str, needles: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
        forms, hints = needles
        if self._always or any(form in text for form in forms):
            return True
        if hints:
            lowered = text.lower()
            return any(hint in lowered for hint in hints)
        return False

    def text(self, value: str) -> str:
        regex = self._regex
        if regex is None or not value or not self._may_match(value, self._forms):
            return value
        for _ in range(_MAX_PASSES):
            redacted = regex.sub(self.marker, value)
            if redacted == value:
                return self.marker if self._hidden(value) else value
            value = redacted
        return self.marker if regex.search(value) or self._hidden(value) else value

    def _hidden(self, value: str) -> bool:
        """Whether one of the policy's own patterns matches ``value`` only once it is decoded
        (percent-encoding, ``+`` for spaces, HTML references): a regex has no spellings to
        list, so such a string is replaced whole."""
        own = self._own
        if own is None or not any(c in value for c in "%+&"):
            return False
        views = {unquote(value), unquote_plus(value), html.unescape(value)} - {value}
        return any(own.search(view) for view in views)

    def json(self, obj: Any) -> Any:
        """Every string in a JSON-like value (keys too) passed through :meth:`text`.

        Blob and item references and ``sha256:`` digests are names, not data:
        they pass untouched, so redaction can never break a reference. Only a
        well-formed reference does: a dict that merely has a ``$blob`` key (in a
        response, say) is data like any other.

        A recording is clean almost always, and walking it ran Python code and
        the regex on every string of every step; so the value is serialized once
        and its text checked (:meth:`clean`). Only a value with something to
        redact is walked, and ``obj`` itself is returned otherwise.
        """
        if self._regex is None:
            return obj
        try:
            return self.dumped(obj)[0]
        except (TypeError, ValueError):  # not JSON (a tuple key, say): walk it as it is
            return self._walk(obj)

    def dumped(self, obj: Any) -> tuple[Any, str]:
        """``(self.json(obj), its canonical JSON text)``, serialized once when nothing is redacted.

        Raises ``TypeError`` or ``ValueError`` when ``obj`` is not JSON.
        """
        text = dumps(obj)
        if self.clean(text):
            return obj, text
        redacted = self._walk(obj)
        return redacted, dumps(redacted)

    def clean(self, text: str) -> bool:
        """True when no string of the JSON text ``text`` (keys too) holds anything to redact.

        JSON escapes a string character by character, so a string holding a
        secret's spelling holds it, escaped the same way, in the text: one
        substring search per spelling rules it out (and one per built-in
        pattern, see :data:`BUILTIN_HINTS`). When one hits, the strings are
        checked decoded and one by one, as :meth:`text` sees them: the escaping
        differs inside a JSON string held in a string, and a pattern may anchor
        or look around. A digest or reference holding a match reads as not
        clean; the walk then leaves it alone, as it always does.
        """
        regex = self._regex
        if regex is None or not self._may_match(text, self._escaped):
            return True
        strings: list[str] = json.loads("[" + ",".join(_JSON_STRING.findall(text)) + "]")
        return not any(regex.search(s) or self._hidden(s) for s in strings if s)

    def _walk(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return obj if _DIGEST.fullmatch(obj) else self.text(obj)
        if isinstance(obj, dict):
            if _is_reference(obj):
                return obj
            return {self._walk(str(k)): self._walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._walk(v) for v in obj]
        return obj

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Only the allow-listed headers, lower-cased, values scrubbed.

        A credential header is dropped, and its value learned, so the same token
        is scrubbed wherever else it appears.
        """
        kept: dict[str, str] = {}
        for name, value in headers:
            lower = name.lower()
            if lower in ("authorization", "proxy-authorization"):
                scheme, _, token = value.partition(" ")
                self.learn(token if scheme.lower() == "bearer" else value)
                continue
            if lower in ("api-key", "x-api-key", "ocp-apim-subscription-key"):
                self.learn(value)
                continue
            if lower in KEEP_HEADERS or lower.startswith(KEEP_HEADER_PREFIXES):
                kept[lower] = self.text(value)
        return kept

    def query(self, params: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {k: self.text(v) for k, v in params if k.lower() in KEEP_QUERY}

    def found(self, text: str) -> list[str]:
        """Matches in ``text`` (for ``verify``): the secrets and patterns this redactor removes."""
        if self._regex is None:
            return []
        return [m.group(0) for m in self._regex.finditer(text)]
