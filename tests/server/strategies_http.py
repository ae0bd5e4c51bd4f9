"""Hypothesis strategies for hostile HTTP requests to the fake Responses server.

Every request starts from a valid one (:data:`TEMPLATES`) and is broken on the
way: fields at any depth replaced by wrong types, absurd numbers, raw ``NaN``
or 10,000-deep nesting, bad data URLs, lone surrogates; keys dropped or added;
the encoded body truncated, re-encoded or salted with non-UTF-8 bytes; the
content type, the auth headers, the method or the path made wrong.

Two things keep this cheap. Values that cannot be a Python object on the
client side (``NaN`` as text, ``1e400``, nesting deeper than the client's own
recursion limit) are :class:`Raw` JSON text, spliced in by :func:`to_json`.
Megabyte payloads are a few sampled constants, built once and cached, drawn
rarely: hypothesis never shrinks (or regenerates) ten megabytes character by
character.

Ids the server makes up are unknown until it runs: templates carry the
placeholders :data:`PREVIOUS_ID`, :data:`CALL_ID` and :data:`TARGET_ID`,
which the test replaces with real ids in the path and body bytes before sending.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

from cua_replay.server.contract import ITEM_TYPES, TOP_LEVEL
from tests.server.images import data_url, png

PREVIOUS_ID = "resp_HOSTILE_PREVIOUS"
"""A stored response whose computer call :data:`CALL_ID` the follow-up template answers."""
CALL_ID = "call_HOSTILE_CALL"
TARGET_ID = "resp_HOSTILE_TARGET"
"""Another stored response, for GET/DELETE on ``/responses/{id}`` (may get deleted)."""
PLACEHOLDERS = (PREVIOUS_ID, CALL_ID, TARGET_ID)

TASK = "Order a blue mug for Ada Lovelace from shop.example, gift wrapped."
"""The demo scenario's task: its first turn expects a task mentioning a mug."""

CREATE_PATHS = (
    "/v1/responses",
    "/openai/responses",
    "/openai/v1/responses",
    "/openai/responses?api-version=2025-04-01-preview",
    "/openai/v1/responses?api-version=preview",
)
GOOD_AUTH = (("Authorization", "Bearer x"), ("api-key", "x"))
JSON_TYPE = ("Content-Type", "application/json")

MiB = 1 << 20
HUGE_SIZES = (MiB, 10 * MiB)


SHOT = data_url(png())

PREVIEW_TOOL = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}

FIRST: dict[str, Any] = {
    "model": "computer-use-preview",
    "tools": [PREVIEW_TOOL],
    "input": [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": TASK},
                {"type": "input_image", "image_url": SHOT},
            ],
        }
    ],
    "truncation": "auto",
}
"""Turn 1 of the demo with the preview tool: answered with a screenshot call."""

FOLLOW_UP: dict[str, Any] = {
    "model": "computer-use-preview",
    "previous_response_id": PREVIOUS_ID,
    "tools": [PREVIEW_TOOL],
    "input": [
        {
            "type": "computer_call_output",
            "call_id": CALL_ID,
            "output": {"type": "computer_screenshot", "image_url": SHOT},
            "acknowledged_safety_checks": [],
            "current_url": "https://shop.example/",
        }
    ],
    "truncation": "auto",
}
"""Turn 2: the screenshot for :data:`PREVIOUS_ID`'s call, at a URL turn 2 expects."""

GA_STREAM: dict[str, Any] = {
    "model": "gpt-5.4",
    "tools": [
        {"type": "computer"},
        {
            "type": "function",
            "name": "note",
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
            "strict": False,
        },
    ],
    "input": TASK,
    "instructions": "Be careful.",
    "stream": True,
    "stream_options": {"include_obfuscation": False},
    "reasoning": {"effort": "low", "summary": "auto"},
    "include": ["reasoning.encrypted_content"],
    "text": {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "schema": {"type": "object", "properties": {"done": {"type": "boolean"}}},
        }
    },
    "tool_choice": {"type": "computer"},
    "metadata": {"run": "hostile"},
    "store": True,
    "parallel_tool_calls": False,
    "temperature": 1,
    "max_output_tokens": 2048,
}
"""Turn 1 with the GA tool, streamed, with every echoed field set (nested ones too)."""

TEMPLATES: dict[str, dict[str, Any]] = {
    "first": FIRST,
    "follow_up": FOLLOW_UP,
    "ga_stream": GA_STREAM,
}


@dataclass(frozen=True)
class Raw:
    """JSON text spliced verbatim into a body: what no Python value encodes to."""

    text: str

    def __repr__(self) -> str:
        shown = self.text if len(self.text) <= 60 else f"{self.text[:40]}...<{len(self.text)}>"
        return f"Raw({shown!r})"


def to_json(value: Any) -> str:
    """Encode like ``json.dumps`` (NaN as ``NaN``, surrogates escaped), splicing :class:`Raw`."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        inner = ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def encode(value: Any) -> bytes:
    # surrogatepass: a Raw may carry a lone surrogate as a real character, not an escape.
    return to_json(value).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class HostileRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str | bytes], ...]
    body: bytes | None
    """``None`` sends no body at all; ``b""`` an empty one."""
    chunked: bool = False
    """Send the body with ``Transfer-Encoding: chunked`` instead of a ``Content-Length``."""
    label: str = field(default="", compare=False)
    """What was done to the valid request, for the failure report."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis's printer would show every field whole

    def __repr__(self) -> str:
        body = self.body
        if body is not None and len(body) > 300:
            shown = f"{body[:200]!r}...<{len(body)} bytes>...{body[-60:]!r}"
        else:
            shown = repr(body)
        headers = [(k, v if len(v) <= 80 else f"{v[:60]!r}...<{len(v)}>") for k, v in self.headers]
        return (
            f"HostileRequest({self.label!r}, {self.method} {self.path[:200]}, headers={headers}, "
            f"chunked={self.chunked}, body={shown})"
        )


def post(
    body: bytes | None,
    label: str,
    *,
    path: str = "/v1/responses",
    headers: tuple[tuple[str, str | bytes], ...] = (GOOD_AUTH[0], JSON_TYPE),
    chunked: bool = False,
    method: str = "POST",
) -> HostileRequest:
    return HostileRequest(method, path, headers, body, chunked, label)


# -- values -------------------------------------------------------------------------------

VOCABULARY = sorted(
    {
        *ITEM_TYPES,
        "computer_use_preview",
        "computer-preview",
        "computer",
        "computer_screenshot",
        "input_text",
        "input_image",
        "output_text",
        "input_file",
        "refusal",
        "user",
        "assistant",
        "system",
        "developer",
        "auto",
        "disabled",
        "browser",
        "linux",
        "low",
        "high",
        "concise",
        "completed",
        "reasoning.encrypted_content",
        "https://shop.example/",
        "computer-use-preview",
        "gpt-5.4",
        "resp_nope",
        *PLACEHOLDERS,
    }
)
"""Strings that are valid *somewhere*: swapped into the wrong field, they get far in."""

KEYS = sorted(
    {
        *TOP_LEVEL,
        "type",
        "role",
        "content",
        "text",
        "image_url",
        "file_id",
        "detail",
        "id",
        "call_id",
        "output",
        "action",
        "actions",
        "summary",
        "encrypted_content",
        "pending_safety_checks",
        "acknowledged_safety_checks",
        "current_url",
        "status",
        "code",
        "message",
        "effort",
        "include_obfuscation",
        "format",
        "display_width",
        "environment",
    }
)

ODD_NUMBERS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    3,
    17,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**400,
    -(10**400),
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0.5,
    1.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    "5",
]
ODD_STRINGS: list[Any] = [
    "",
    " ",
    "\x00",
    "\ud800",
    "\udfff",
    "a\udc00b",
    "mug \ud800\ud800",
    "\u202e",
    "\ufeff",
    "🙂",
    "null",
    "NaN",
    "x" * 300,
    "x" * 2_000,
]

RAW_SCALARS = [
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "1" + "0" * 5000,  # past Python's int-from-text digit limit
    "-0",
    "0e0",
    "1E+2",
    "00",
    "+1",
    ".5",
    "1.",
    "0x10",
    "nul",
    "tru",
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '"\ud800"',  # a lone surrogate as a raw character: CESU bytes once encoded
    '"\\x41"',
    '"\x01"',
    '"unterminated',
    "'single'",
    "undefined",
    "[1,]",
    '{"a":1,}',
    "{1:2}",
    "/* c */ 1",
]


def _nested(kind: str, depth: int) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "0" + "}" * depth
    return '[{"a":' * depth + "0" + "}]" * depth


deep_nesting = st.builds(
    lambda kind, depth: Raw(_nested(kind, depth)),
    st.sampled_from(["array", "object", "mixed"]),
    st.integers(1, 1_200) | st.sampled_from([127, 128, 129, 500, 999, 10_000, 100_000]),
)
"""Raw text: around Python's recursion limit, and far past it."""

BAD_DATA_URLS = [
    "data:image/png;base64,!!!!",
    "data:image/png;base64,aGVsbG8=",  # "hello": base64, but no image
    "data:image/png;base64,",
    "data:image/png,iVBORw0KGgo=",
    "data:text/plain;base64,aGVsbG8=",
    "data:;base64,aGVsbG8=",
    "data:image/png;base64,iVBORw0KGgo",  # padding missing
    "data:image/png;base64,iVBO RW0K",
    "data:image/png;base64,====",
    "data:image/png;base64,é",
    "data:image/png;base64,\ud800",
    "data:image/png;base64,\x00",
    "data:image/png;base64;base64,iVBORw0KGgo=",
    "data:IMAGE/PNG;BASE64," + SHOT.split(",", 1)[1],
    "data:image/png;charset=utf-8;base64," + SHOT.split(",", 1)[1],
    "data:image/png;base64," + SHOT.split(",", 1)[1][:-3],
    "data:image/jpeg;base64," + SHOT.split(",", 1)[1],  # a PNG that says JPEG
    data_url(b"\x89PNG\r\n\x1a\n"),  # signature only
    data_url(png(0, 0)),
    data_url(png(0xFFFFFFFF, 1)),
    data_url(b"GIF89a"),
    data_url(b"GIF89a\x00\x00\x00\x00"),
    data_url(b"RIFF\x00\x00\x00\x00WEBP"),
    data_url(b"\xff\xd8\xff"),
    data_url(b"%PDF-1.4"),
    "data:",
    "data:,",
    "http://example.com/x.png",
    "https://",
    "ftp://example.com/x.png",
    "file:///etc/passwd",
    "javascript:alert(1)",
]

data_urls = st.sampled_from(BAD_DATA_URLS) | st.builds(
    data_url, st.binary(max_size=48), st.sampled_from(["image/png", "image/gif", "text/html"])
)


@cache
def huge(kind: str, size: int) -> Raw:
    """A megabyte-sized JSON value, built once per (kind, size)."""
    if kind == "string":
        return Raw('"' + "a" * size + '"')
    if kind == "unicode":
        return Raw('"' + "é" * (size // 2) + '"')
    if kind == "escapes":
        return Raw('"' + "\\u00e9" * (size // 6) + '"')
    if kind == "data_url":  # valid base64, decodes to zeros: no image
        return Raw('"data:image/png;base64,' + "A" * (size - size % 4) + '"')
    if kind == "png_url":  # a real PNG header followed by megabytes of zeros
        return Raw(json.dumps(data_url(png() + bytes(size * 3 // 4))))
    if kind == "bad_base64":
        return Raw('"data:image/png;base64,' + "!" * size + '"')
    if kind == "array":
        return Raw("[" + "0," * (size // 2) + "0]")
    if kind == "object":
        count = size // 12
        return Raw("{" + ",".join(f'"k{i:08d}":0' for i in range(count)) + "}")
    raise ValueError(kind)


HUGE_KINDS = (
    "string",
    "unicode",
    "escapes",
    "data_url",
    "png_url",
    "bad_base64",
    "array",
    "object",
)
huge_values = st.builds(huge, st.sampled_from(HUGE_KINDS), st.sampled_from(HUGE_SIZES))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(VOCABULARY),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)

raw_numbers = st.sampled_from(RAW_SCALARS[:11]).map(Raw)
odd_numbers = st.sampled_from(ODD_NUMBERS) | raw_numbers | st.integers() | st.floats()
odd_strings = st.sampled_from(ODD_STRINGS) | st.sampled_from(VOCABULARY) | st.text(max_size=16)

hostile_values = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(VOCABULARY),
    st.integers() | st.floats(),
    st.text(max_size=16),
    json_values,
    data_urls,
    st.sampled_from(RAW_SCALARS).map(Raw),
    deep_nesting,
    st.sampled_from([[], {}, [{}], [None], {"type": None}, {"type": "input_text"}]),
)
"""Anything but a megabyte: what goes where a field's value belongs."""


# -- structural mutations -----------------------------------------------------------------

Path = tuple[Any, ...]


def _paths(value: Any, here: Path = ()) -> list[Path]:
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*here, index))
    return found


def _get(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def _leaf_values(leaf: Any) -> st.SearchStrategy[Any]:
    """What to put in place of a scalar: mostly its own kind gone wrong, else anything."""
    if isinstance(leaf, bool | int | float):
        return odd_numbers | hostile_values
    if isinstance(leaf, str) and leaf.startswith("data:"):
        return data_urls | odd_strings | hostile_values
    return odd_strings | odd_numbers | hostile_values


@st.composite
def mutated(draw: st.DrawFn, template: dict[str, Any]) -> tuple[Any, str]:
    """``template`` with one to three fields replaced, dropped, added or appended to.

    Half the steps retype a scalar (a number, a string, a data URL) with a value
    of its own kind gone wrong; the rest replace, drop or add anything anywhere.
    """
    root: Any = copy.deepcopy(template)
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(root)
        leaves = [p for p in paths if p and not isinstance(_get(root, p), dict | list)]
        retype: bool = draw(st.booleans()) if leaves else False
        if retype:
            path = draw(st.sampled_from(leaves))
            op, values = "retype", _leaf_values(_get(root, path))
        else:
            path = draw(st.sampled_from(paths))
            ops = ["replace", "replace", "swap"]
            if path:
                ops.append("delete")
            if isinstance(_get(root, path), dict):
                ops.append("add")
            if isinstance(_get(root, path), list):
                ops.append("append")
            op = draw(st.sampled_from(ops))
            values = st.sampled_from(VOCABULARY) if op == "swap" else hostile_values
        target = _get(root, path)
        # Copies: sampled containers are shared constants, and a later step may edit them.
        if op == "add":
            key = draw(st.sampled_from(KEYS) | st.text(max_size=8))
            value = target[key] = copy.deepcopy(draw(values))
            path = (*path, key)
        elif op == "append":
            value = copy.deepcopy(draw(values | st.sampled_from(target or [None])))
            target.append(value)
        elif op == "delete":
            del _get(root, path[:-1])[path[-1]]
            value = None
        else:
            value = copy.deepcopy(draw(values))
            if path:
                _get(root, path[:-1])[path[-1]] = value
            else:
                root = value
        shown = "" if op == "delete" else f" = {_short(value)}"
        done.append(f"{op} {'.'.join(map(str, path)) or '<root>'}{shown}")
        if not isinstance(root, dict | list):
            break
    return root, "; ".join(done)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}...<{len(text)}>"


# -- whole requests -----------------------------------------------------------------------

templates = st.sampled_from(sorted(TEMPLATES))
create_paths = st.sampled_from(CREATE_PATHS)
good_auth = st.sampled_from(GOOD_AUTH)


@st.composite
def mutated_requests(draw: st.DrawFn) -> HostileRequest:
    """A valid create request with fields broken at any depth."""
    name = draw(templates)
    body, done = draw(mutated(TEMPLATES[name]))
    headers = (draw(good_auth), JSON_TYPE)
    return post(encode(body), f"{name}: {done}", path=draw(create_paths), headers=headers)


BAD_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # overlong '/'
    b"\x80",
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xe2\x82",  # truncated sequence
]

NOT_JSON = [
    b"",
    b" ",
    b"\n\t\r ",
    b"\xef\xbb\xbf",
    b"\x00",
    b"[]",
    b"null",
    b"1",
    b'"x"',
    b"true",
    b"{",
    b"}",
    b"{'model': 'gpt-5.4'}",
    b'{"model": "gpt-5.4", "input": "hi",}',
    b'{"model": "gpt-5.4"} {"input": "hi"}',
    b'{"model": "gpt-5.4", "input": "hi"} garbage',
    b'// comment\n{"model": "gpt-5.4", "input": "hi"}',
    b"model=gpt-5.4&input=hi",
    b"<?xml version='1.0'?><request/>",
    b"--xyz\r\nContent-Disposition: form-data; name=model\r\n\r\ngpt-5.4\r\n--xyz--",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00",  # a gzip header
    b'{"model": "gpt-5.4", "input": "hi", "input": 5}',  # duplicate key: the last wins
    b'{"model":"gpt-5.4","input":"\\ud800"}',
    b'{"model":"gpt-5.4","input":"\xed\xa0\x80"}',
]


@st.composite
def broken_bodies(draw: st.DrawFn) -> HostileRequest:
    """A valid body, then broken as bytes: truncated, re-encoded, salted, or replaced."""
    name = draw(templates)
    body = encode(TEMPLATES[name])
    how = draw(
        st.sampled_from(
            ["truncate", "truncate", "insert", "flip", "encoding", "not_json", "binary"]
        )
    )
    if how == "truncate":
        cut = draw(st.integers(0, len(body) - 1))
        body, label = body[:cut], f"{name} truncated at {cut}/{len(body)}"
    elif how == "insert":
        at = draw(st.integers(0, len(body)))
        bad = draw(st.sampled_from(BAD_UTF8))
        body, label = body[:at] + bad + body[at:], f"{name} with {bad!r} at {at}"
    elif how == "flip":
        at = draw(st.integers(0, len(body) - 1))
        byte = draw(st.integers(0, 255))
        body, label = body[:at] + bytes([byte]) + body[at + 1 :], f"{name} byte {at} = {byte}"
    elif how == "encoding":
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig", "latin-1"]))
        text = to_json(TEMPLATES[name]) if codec != "latin-1" else to_json({"input": "é"})
        body, label = text.encode(codec), f"{name} as {codec}"
    elif how == "not_json":
        body = draw(st.sampled_from(NOT_JSON))
        label = "not JSON"
    else:
        body, label = draw(st.binary(max_size=256)), "random bytes"
    return post(body, label, path=draw(create_paths), headers=(draw(good_auth), JSON_TYPE))


CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "text/plain",
    "text/event-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "application/xml",
    "",
    "garbage/garbage/garbage",
    "application/json, text/plain",
]

AUTH: list[tuple[tuple[str, str | bytes], ...]] = [
    (),
    (("Authorization", "Bearer x"),),
    (("api-key", "x"),),
    (("Authorization", "bearer x"),),
    (("Authorization", "BEARER x"),),
    (("Authorization", "Bearer "),),
    (("Authorization", "Bearer"),),
    (("Authorization", "Bearer  \t "),),
    (("Authorization", "Basic eDp4"),),
    (("Authorization", "Token x"),),
    (("Authorization", "x"),),
    (("Authorization", ""),),
    (("api-key", ""),),
    (("api-key", " "),),
    (("x-api-key", "x"),),
    (("api_key", "x"),),
    (("Authorization", b"Bearer \xff\xfe\xe9"),),
    (("api-key", b"\xe9\xe9"),),
    (("Authorization", "Bearer " + "k" * 8_000),),
    (("Authorization", "Bearer sk-\u00e9\u00e8"),),
    (("api-key", "x"), ("Authorization", "Basic eDp4")),
    (("Authorization", "Bearer x"), ("Authorization", "Bearer y")),
    (("api-key", ""), ("Authorization", "Bearer x")),
]

EXTRA_HEADERS: list[tuple[str, str | bytes]] = [
    ("Accept", "text/event-stream"),
    ("Accept", "application/xml"),
    ("Content-Encoding", "gzip"),
    ("Host", "["),
    ("Host", "[::1"),
    ("Host", "example.com:99999"),
    ("Host", "a:b:c"),
    ("Host", "xn--\u00e9"),
    ("Host", ""),
    ("OpenAI-Beta", "responses=v1"),
    ("X-Request-Id", "client-chosen"),
    ("Expect", "100-continue"),
    ("X-Stainless-Retry-Count", "-1"),
    ("Idempotency-Key", "\u00e9" * 10),
    ("Connection", "close"),
    ("Cookie", "a=" + "b" * 4_000),
]


@st.composite
def odd_headers(draw: st.DrawFn) -> HostileRequest:
    """A valid (or lightly broken) body under a wrong content type or odd auth headers."""
    name = draw(templates)
    if draw(st.booleans()):
        body, label = encode(TEMPLATES[name]), name
    else:
        value, label = draw(mutated(TEMPLATES[name]))
        body, label = encode(value), f"{name}: {label}"
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    headers = list(draw(st.sampled_from(AUTH)))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    # One of a kind: two Host headers are malformed HTTP, refused before the app.
    headers += draw(
        st.lists(st.sampled_from(EXTRA_HEADERS), max_size=2, unique_by=lambda h: h[0].lower())
    )
    chunked = draw(st.booleans())
    return post(body, label, path=draw(create_paths), headers=tuple(headers), chunked=chunked)


METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "POST", "PROPFIND", "TRACE"]
BAD_QUERIES = [
    "",
    "?stream=true",
    "?stream=true&starting_after=3",
    "?stream=true&starting_after=abc",
    "?stream=true&starting_after=-5",
    "?stream=true&starting_after=" + "9" * 5_000,
    "?limit=0",
    "?limit=101",
    "?limit=abc",
    "?limit=%00",
    "?limit=%D9%A5",
    "?limit=1&order=asc",
    "?order=sideways",
    "?after=nope",
    "?include[]=computer_call_output.output.image_url&order=asc",
    "?%ff=%fe",
    "?a=" + "b" * 5_000,
]
ROUTE_PATHS = [
    "/",
    "/v1",
    "/v1/",
    "/v1/responses/",
    "/openai/v1/responses/",
    "/v1/response",
    "/v2/responses",
    "/V1/Responses",
    "//v1/responses",
    "/v1//responses",
    "/v1/responses/./",
    "/openai",
    "/openai/deployments/gpt/responses",
    "/v1/chat/completions",
    "/v1/responses/resp_missing",
    "/v1/responses/resp_missing/",
    "/v1/responses/resp_missing/input_items",
    "/v1/responses/%00",
    "/v1/responses/%ff%fe",
    "/v1/responses/%2e%2e%2f%2e%2e%2fetc",
    "/v1/responses/" + "a" * 5_000,
    "/v1/responses/%C3%A9",
    f"/v1/responses/{TARGET_ID}",
    f"/v1/responses/{TARGET_ID}/",
    f"/v1/responses/{TARGET_ID}/input_items",
    f"/openai/responses/{TARGET_ID}/input_items",
    f"/openai/v1/responses/{TARGET_ID}",
    f"/v1/responses/{TARGET_ID}/cancel",
    f"/v1/responses/{TARGET_ID}/input_items/extra",
]


@st.composite
def wrong_routes(draw: st.DrawFn) -> HostileRequest:
    """Wrong methods on the create routes, and every method on wrong or odd paths."""
    method = draw(st.sampled_from(METHODS))
    path = draw(st.sampled_from(ROUTE_PATHS + list(CREATE_PATHS)))
    if "?" not in path:
        path += draw(st.sampled_from(BAD_QUERIES))
    body = draw(st.sampled_from([None, b"", encode(FIRST), b"\xff\xfe"]))
    if method == "TRACE":
        body = None  # a TRACE with a body is malformed HTTP, refused before the app
    headers = [draw(good_auth)] if draw(st.integers(0, 4)) else []
    return HostileRequest(method, path, (*headers, JSON_TYPE), body, False, "route")


@st.composite
def huge_requests(draw: st.DrawFn) -> HostileRequest:
    """A megabyte value in place of one field: rare, and drawn from cached constants."""
    name = draw(templates)
    root: Any = copy.deepcopy(TEMPLATES[name])
    path = draw(st.sampled_from(_paths(root)[1:]))
    value = draw(huge_values)
    _get(root, path[:-1])[path[-1]] = value
    label = f"{name}: {'.'.join(map(str, path))} = {value!r}"
    headers = (draw(good_auth), JSON_TYPE)
    return post(encode(root), label, path=draw(create_paths), headers=headers)


def hostile_requests() -> st.SearchStrategy[HostileRequest]:
    """The mix the property draws from: mostly structural mutations, a few huge bodies."""
    return st.integers(0, 99).flatmap(
        lambda n: (
            mutated_requests()
            if n < 55
            else broken_bodies()
            if n < 72
            else odd_headers()
            if n < 87
            else wrong_routes()
            if n < 99
            else huge_requests()
        )
    )
