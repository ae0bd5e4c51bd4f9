"""Hypothesis strategies for the cassette core: Responses API request bodies, secrets, records.

Request bodies look like what the loop and the SDK send: ``input`` items of
type ``message``, ``computer_call``, ``computer_call_output`` and
``reasoning``, screenshots as ``data:image/...;base64,`` URLs, ids under
``id``, ``call_id`` and ``previous_response_id``, plus a few JSON-like extras
at any depth. Image payloads are a handful of tiny real PNGs (made once with
Pillow) or random bytes: :func:`~cua_replay.cassette.canonical.canonicalize`
only base64-decodes a data URL, it never parses the image, so random bytes
exercise it just as well and shrink better.

Secrets (:func:`secrets`) are arbitrary printable text of at least
:data:`~cua_replay.cassette.redact.MIN_SECRET_LENGTH` characters, biased
towards what breaks a regex or a marker: metacharacters, brackets, the word
``redacted``, non-ASCII. :func:`secret_documents` hides them at the places a
recording carries text: header values, nested strings, dict keys, URL
queries (raw and percent-encoded), SSE ``data:`` text, JSON-encoded strings
(function call arguments), typed text inside an action, dicts that look like
references but are not.

:func:`recordings` and :func:`step_plans` describe whole runs for the writer
and loader. Generated keys never are ``$blob`` or ``$item`` (:data:`RESERVED_KEYS`).
Every strategy function is cached: hypothesis draws from the same object each
time instead of building a new one per example.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

from cua_replay.cassette.format import (
    Attempt,
    ExecutedAction,
    Http,
    SafetyRecord,
    SseEvent,
    StopRecord,
)
from cua_replay.cassette.redact import MIN_SECRET_LENGTH

MIMES = ("image/png", "image/jpeg", "image/webp", "image/gif")
ID_PREFIXES = ("resp_", "call_", "cu_", "rs_", "msg_")


@cache
def real_pngs() -> tuple[bytes, ...]:
    """A few tiny real PNGs (1x1 to 3x2, a few colours), built once."""
    from PIL import Image

    shots = []
    for size, colour in (((1, 1), (0, 0, 0)), ((2, 2), (255, 0, 0)), ((3, 2), (10, 200, 30))):
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, format="PNG")
        shots.append(buffer.getvalue())
    return tuple(shots)


def data_url(data: bytes, mime: str = "image/png") -> str:
    """The canonical spelling: what ``base64.b64encode`` writes, padding and all."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


@cache
def image_bytes() -> st.SearchStrategy[bytes]:
    """A real PNG most of the time, otherwise any bytes (empty included)."""
    return st.one_of(st.sampled_from(real_pngs()), st.binary(max_size=16))


@cache
def data_urls() -> st.SearchStrategy[str]:
    return st.builds(data_url, image_bytes(), st.sampled_from(MIMES))


#: Text as it shows up in a request: any unicode (no lone surrogates) but mostly short.
texts = st.text(max_size=10)
RESERVED_KEYS = frozenset({"$blob", "$item"})
"""The format's reference keys: a body using one cannot be told from a reference (expand
would look its "blob" up), so generated bodies leave them to :func:`secret_documents`."""
json_keys = texts.filter(lambda key: key not in RESERVED_KEYS)
words = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
).filter(lambda word: word not in RESERVED_KEYS)
numbers = st.integers(-(2**31), 2**31) | st.floats(allow_nan=False, allow_infinity=False)
urls = st.builds("https://shop.example/{}".format, words)


@cache
def ids() -> st.SearchStrategy[str]:
    """``call_...``, ``resp_...``: the shapes the API uses, a small alphabet so they repeat."""
    return st.builds(
        str.__add__,
        st.sampled_from(ID_PREFIXES),
        st.text("0123456789abcdef", min_size=1, max_size=6),
    )


@cache
def json_values(
    *, max_leaves: int = 5, keys: st.SearchStrategy[str] = json_keys
) -> st.SearchStrategy[Any]:
    """JSON-like values (no NaN: ``nan != nan`` would make equality meaningless)."""
    leaves = st.none() | st.booleans() | numbers | texts | data_urls()
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(keys, inner, max_size=2),
        max_leaves=max_leaves,
    )


def _dicts(
    required: dict[str, Any], optional: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``st.fixed_dictionaries`` where a plain value stands for ``st.just(value)``."""
    fields = {
        key: value if isinstance(value, st.SearchStrategy) else st.just(value)
        for key, value in required.items()
    }
    return st.fixed_dictionaries(fields, optional=optional or {})


@cache
def actions() -> st.SearchStrategy[dict[str, Any]]:
    """A computer action as the model sends it (not validated: the cassette stores any)."""
    at = st.integers(0, 4000)
    delta = st.integers(-900, 900)
    return st.one_of(
        _dicts({"type": "click", "x": at, "y": at, "button": st.sampled_from(["left", "right"])}),
        _dicts({"type": "double_click", "x": at, "y": at}),
        _dicts({"type": "scroll", "x": at, "y": at, "scroll_x": delta, "scroll_y": delta}),
        _dicts({"type": "type", "text": texts}),
        _dicts(
            {
                "type": "keypress",
                "keys": st.lists(st.sampled_from(["CTRL", "A"]), min_size=1, max_size=3),
            }
        ),
        _dicts({"type": st.sampled_from(["screenshot", "wait"])}),
        _dicts(
            {"type": "drag", "path": st.lists(_dicts({"x": at, "y": at}), min_size=2, max_size=3)}
        ),
    )


def _id_and_status() -> dict[str, st.SearchStrategy[Any]]:
    return {"id": ids(), "status": st.sampled_from(["completed", "in_progress"])}


@cache
def messages() -> st.SearchStrategy[dict[str, Any]]:
    said = _dicts({"type": "output_text", "text": texts})
    given = st.one_of(
        _dicts({"type": "input_text", "text": texts}),
        _dicts(
            {"type": "input_image", "image_url": data_urls()},
            {"detail": st.sampled_from(["auto", "low", "high"])},
        ),
    )
    role = st.sampled_from(["user", "system", "developer"])
    return st.one_of(
        _dicts({"type": "message", "role": role, "content": texts}, _id_and_status()),
        _dicts(
            {"type": "message", "role": role, "content": st.lists(given, max_size=2)},
            _id_and_status(),
        ),
        _dicts(
            {"type": "message", "role": "assistant", "content": st.lists(said, max_size=2)},
            _id_and_status(),
        ),
    )


@cache
def safety_checks() -> st.SearchStrategy[list[dict[str, Any]]]:
    code = st.sampled_from(["malicious_instructions", "irrelevant_domain"])
    return st.lists(_dicts({"id": ids(), "code": code, "message": texts}), max_size=2)


@cache
def computer_calls() -> st.SearchStrategy[dict[str, Any]]:
    common = {
        "type": "computer_call",
        "id": ids(),
        "call_id": ids(),
        "pending_safety_checks": safety_checks(),
        "status": "completed",
    }
    return st.one_of(  # the preview tool sends one action, the GA tool a batch
        _dicts({**common, "action": actions()}),
        _dicts({**common, "actions": st.lists(actions(), min_size=1, max_size=2)}),
    )


@cache
def computer_call_outputs() -> st.SearchStrategy[dict[str, Any]]:
    screenshot = _dicts({"type": "computer_screenshot", "image_url": data_urls()})
    return _dicts(
        {"type": "computer_call_output", "call_id": ids(), "output": screenshot},
        {"acknowledged_safety_checks": safety_checks(), "current_url": urls},
    )


@cache
def reasonings() -> st.SearchStrategy[dict[str, Any]]:
    summary = st.lists(_dicts({"type": "summary_text", "text": texts}), max_size=2)
    return _dicts(
        {"type": "reasoning", "id": ids(), "summary": summary},
        {"encrypted_content": st.text("ABCDEFabcdef0123456789+/=", max_size=16)},
    )


@cache
def items() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(messages(), computer_calls(), computer_call_outputs(), reasonings())


TOOLS = (
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    },
    {"type": "computer"},
)


@cache
def requests(
    *, min_items: int = 0, max_items: int = 3, extras: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """A ``POST /responses`` body; ``input`` a list of items (a plain string one time in ten)."""
    if min_items < 0 or max_items < min_items:
        raise ValueError(
            f"requests(min_items={min_items}, max_items={max_items}): need 0 <= min <= max"
        )
    inputs: st.SearchStrategy[Any] = st.lists(items(), min_size=min_items, max_size=max_items)
    if min_items == 0:
        listed = inputs
        inputs = st.integers(0, 9).flatmap(lambda n: texts if n == 0 else listed)
    optional: dict[str, st.SearchStrategy[Any]] = {
        "previous_response_id": ids(),
        "instructions": texts,
        "reasoning": st.builds(dict, summary=st.just("auto")),
        "stream": st.booleans(),
        "metadata": st.dictionaries(words, texts, max_size=2),
    }
    if extras:
        optional["x_extra"] = json_values()
    tools = st.sampled_from(TOOLS).map(lambda tool: [dict(tool)])
    model = st.sampled_from(["computer-use-preview", "gpt-5.4"])
    return _dicts({"model": model, "tools": tools, "truncation": "auto", "input": inputs}, optional)


@st.composite
def _histories(draw: st.DrawFn, min_size: int, max_size: int) -> list[dict[str, Any]]:
    run = [draw(requests(min_items=1, max_items=2))]
    for _ in range(draw(st.integers(min_size, max_size)) - 1):
        previous = run[-1]
        new = draw(st.lists(items(), max_size=2))
        run.append({**previous, "input": [*previous["input"], *new]})
    return run


@cache
def histories(*, min_size: int = 1, max_size: int = 4) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A full-history run: request k+1's input is request k's input plus new items."""
    if min_size < 1 or max_size < min_size:
        raise ValueError(
            f"histories(min_size={min_size}, max_size={max_size}): need 1 <= min <= max"
        )
    return _histories(min_size, max_size)


# -- steps -------------------------------------------------------------------------------

durations = st.floats(0, 1e6, allow_nan=False)


@cache
def step_plans() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a :class:`~cua_replay.cassette.format.StepRecord`, all but its
    ``step``, ``request`` and ``observations``, plus ``screenshots``: ``(call_id, png, url)``
    for the observations, which need a writer to store their bytes first."""
    safety = st.builds(
        SafetyRecord,
        call_id=ids(),
        checks=st.lists(st.dictionaries(words, texts, max_size=2), max_size=2),
        approved=st.booleans(),
        decided_by=words,
        reason=texts,
    )
    executed = st.builds(
        ExecutedAction,
        call_id=ids(),
        index=st.integers(0, 5),
        action=actions(),
        url=urls,
        elapsed_ms=durations,
    )
    attempt = st.builds(
        Attempt,
        status=st.none() | st.integers(100, 599),
        latency_ms=durations,
        error=st.none() | texts,
    )
    http = st.builds(
        Http,
        path=st.just("/responses"),
        query=st.dictionaries(words, words, max_size=1),
        status=st.none() | st.integers(100, 599),
        headers=st.dictionaries(words, texts, max_size=2),
        latency_ms=durations,
        attempts=st.lists(attempt, max_size=2),
        body=json_values(max_leaves=3),
    )
    event = st.builds(SseEvent, t_ms=durations, event=words, data=json_values(max_leaves=3))
    return _dicts(
        {
            "t": durations,
            "latency_ms": durations,
            "reasoning": st.lists(texts, max_size=2),
            "safety": st.lists(safety, max_size=1),
            "actions": st.lists(executed, max_size=3),
            "page_events": st.lists(
                st.dictionaries(words, json_values(max_leaves=3), max_size=3), max_size=2
            ),
            "screenshots": st.lists(st.tuples(st.none() | ids(), image_bytes(), urls), max_size=2),
        },
        {
            "response": st.dictionaries(json_keys, json_values(max_leaves=4), max_size=3),
            "message": texts,
            "error": texts,
            "events": st.lists(event, max_size=3),
            "http": http,
        },
    )


@cache
def stops() -> st.SearchStrategy[StopRecord | None]:
    """A stop line, or none (a recording closed without one stays ``recording``)."""
    return st.none() | st.builds(
        StopRecord,
        reason=st.sampled_from(["done", "max_steps", "error"]),
        steps=st.integers(0, 9),
        detail=texts,
        final_message=texts,
    )


@st.composite
def _recordings(
    draw: st.DrawFn, min_steps: int, max_steps: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    independent = st.lists(requests(), min_size=min_steps, max_size=max_steps)
    run = draw(histories(min_size=min_steps, max_size=max_steps) | independent)
    return run, draw(st.lists(step_plans(), min_size=len(run), max_size=len(run)))


@cache
def recordings(
    *, min_steps: int = 1, max_steps: int = 3
) -> st.SearchStrategy[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """``(request bodies, step plans)`` of one run: a full history or unrelated requests."""
    if min_steps < 1 or max_steps < min_steps:
        raise ValueError(
            f"recordings(min_steps={min_steps}, max_steps={max_steps}): need 1 <= min <= max"
        )
    return _recordings(min_steps, max_steps)


# -- secrets -----------------------------------------------------------------------------

#: Fragments that break naive redaction: regex metacharacters, brackets, the marker's own word.
_TRICKY = (
    "[",
    "]",
    "redacted",
    "REDACTED",
    "[redacted]",
    "\\",
    ".*",
    "(",
    ")",
    "|",
    "$",
    "^",
    "+",
    "?",
    "{",
    "}",
    "#",
    "*",
    "~",
    '"',
    "'",
    "&",
    "=",
    "%",
    " ",
    "é",
    "密",
    "🔑",
    "\n",
    "sha256:",
)


_PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


@cache
def secrets() -> st.SearchStrategy[str]:
    """Strings a :class:`~cua_replay.cassette.redact.Redactor` accepts as secrets."""
    ascii_ = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
    plain = st.text(ascii_, min_size=MIN_SECRET_LENGTH, max_size=40)
    keys = st.builds(
        str.__add__,
        st.sampled_from(["sk-", "sk-proj-", ""]),
        st.text("abcdefXYZ0189_-", min_size=MIN_SECRET_LENGTH, max_size=30),
    )
    fragment = st.one_of(st.sampled_from(_TRICKY), st.text(_PRINTABLE, min_size=1, max_size=6))
    tricky = st.lists(fragment, min_size=1, max_size=8).map("".join)
    return st.one_of(plain, keys, tricky).filter(
        lambda s: s == s.strip() and len(s) >= MIN_SECRET_LENGTH
    )


@dataclass(frozen=True)
class SecretDocument:
    """A JSON-like document with secrets planted in it, and the headers a request carried."""

    document: dict[str, Any]
    secrets: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]


PLACES = (
    "value",
    "key",
    "url",
    "url_encoded",
    "sse",
    "json_string",
    "typed",
    "ref_lookalike",
    "header",
    "credential",
)
"""Where :func:`secret_documents` plants a secret (``header``/``credential``: in the headers)."""

_KEPT_HEADERS = st.sampled_from(["x-request-id", "openai-model", "retry-after", "x-ratelimit-a"])
_CREDENTIALS = st.sampled_from(["authorization", "Authorization", "api-key", "cookie"])
_ZERO_DIGEST = "sha256:" + "0" * 64


def _planted(place: str, text: str, secret: str, draw: st.DrawFn) -> Any:
    """The fragment of a document (or a header) that carries ``text`` at ``place``."""
    if place == "value":
        return {"note": {"deep": [text]}}
    if place == "key":
        return {text: draw(texts)}
    if place == "url":
        return {"current_url": f"https://shop.example/search?q={text}&page=2"}
    if place == "url_encoded":  # what a browser puts in the address bar
        encode = draw(st.sampled_from([quote, quote_plus]))
        return {"current_url": "https://shop.example/?token=" + encode(text, safe="")}
    if place == "sse":
        return {"raw": f"event: response.output_text.delta\ndata: {text}\n\n"}
    if place == "json_string":  # function call arguments are JSON text inside a string
        arguments = json.dumps({"password": text}, ensure_ascii=draw(st.booleans()))
        return {"type": "function_call", "arguments": arguments}
    if place == "typed":
        return {"type": "computer_call", "action": {"type": "type", "text": text}}
    if place == "ref_lookalike":  # has a reference's key, but is no well-formed reference
        return draw(
            st.sampled_from(
                [
                    {"$blob": text},
                    {"$blob": _ZERO_DIGEST, "mime": "image/png", "bytes": 1, "note": text},
                    {"$blob": _ZERO_DIGEST, "mime": text, "bytes": 1},
                    {"$item": text},
                    {"$item": _ZERO_DIGEST, "note": text},
                ]
            )
        )
    if place == "header":
        return (draw(_KEPT_HEADERS), text)
    name = draw(_CREDENTIALS)
    return (name, f"Bearer {secret}" if name.lower() == "authorization" else secret)


@st.composite
def _secret_documents(draw: st.DrawFn, min_secrets: int, max_secrets: int) -> SecretDocument:
    found = draw(st.lists(secrets(), min_size=min_secrets, max_size=max_secrets, unique=True))
    first = found[0]
    relation = draw(st.sampled_from(["none", "overlapping", "containing"]))
    if relation == "overlapping":  # the second starts with the end of the first
        cut = draw(st.integers(1, len(first) - 1))
        found.append(first[cut:] + draw(st.text(min_size=MIN_SECRET_LENGTH, max_size=8)))
    elif relation == "containing":
        found.append(draw(texts) + first + draw(texts))
    found = list(dict.fromkeys(s for s in found if s == s.strip() and len(s) >= MIN_SECRET_LENGTH))
    document = draw(requests(max_items=2))
    planted: list[Any] = [draw(json_values(max_leaves=3))]
    headers: list[tuple[str, str]] = [("x-request-id", "req_" + draw(words))]
    for secret in found:
        for place in draw(st.lists(st.sampled_from(PLACES), min_size=1, max_size=3)):
            before, after = draw(texts), draw(texts)
            repeat = draw(st.integers(0, 2))  # once, twice in a row, twice apart
            middle = secret if repeat == 0 else secret + ("" if repeat == 1 else after) + secret
            fragment = _planted(place, before + middle + after, secret, draw)
            if place in ("header", "credential"):
                headers.append(fragment)
            else:
                planted.insert(draw(st.integers(0, len(planted))), fragment)
    document["x_planted"] = planted
    return SecretDocument(document, tuple(found), tuple(headers))


@cache
def secret_documents(
    *, min_secrets: int = 1, max_secrets: int = 3
) -> st.SearchStrategy[SecretDocument]:
    """A request-like document with each secret planted at one or more generated positions
    (:data:`PLACES`), with text on both sides, sometimes twice.

    A second secret may overlap the first (start with its end) or contain it,
    one more than ``max_secrets`` then.
    """
    if min_secrets < 1 or max_secrets < min_secrets:
        raise ValueError(
            f"secret_documents(min_secrets={min_secrets}, max_secrets={max_secrets}): "
            "need 1 <= min <= max"
        )
    return _secret_documents(min_secrets, max_secrets)
