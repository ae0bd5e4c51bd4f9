"""Property tests for the pure core of the cassette format.

What a cassette promises, checked on generated Responses API requests:

1. a canonical request is a fixed point, independent of key order and of a
   JSON round trip (so a hash recorded today matches the same request tomorrow);
2. canonical data URLs expand back to the exact strings they replaced;
3. input items are stored once however often a full-history run resends them;
4. redaction is idempotent and leaks no secret, wherever it is planted;
5. blobs come back byte for byte, named by their content;
6. a log written and loaded again gives back the same steps, and a log cut
   at any byte still loads (minus the torn line) while a corrupt middle line
   is an error naming the line;
7. every request matches itself under every policy, and ids renamed
   consistently do not matter when compared by position.

Pinned counterexamples (``@example``) are bugs these properties found.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cua_replay.cassette.blobs import BlobStore, digest_of
from cua_replay.cassette.canonical import (
    blob_ref,
    blob_refs,
    canonicalize,
    dumps,
    expand,
    is_item_ref,
    join_items,
    request_hash,
    split_items,
)
from cua_replay.cassette.format import (
    STEPS_NAME,
    Manifest,
    Observation,
    SseEvent,
    StepRecord,
    StopRecord,
)
from cua_replay.cassette.redact import (
    BUILTIN_HINTS,
    BUILTIN_PATTERNS,
    KEEP_HEADERS,
    MARKER,
    RedactionPolicy,
    Redactor,
)
from cua_replay.cassette.store import CassetteWriter, load_cassette
from cua_replay.errors import InvalidCassette
from cua_replay.replay.matchers import MatchPolicy, compare, positional_ids

from .strategies import (
    ID_PREFIXES,
    MIMES,
    SecretDocument,
    data_url,
    histories,
    real_pngs,
    recordings,
    requests,
    secret_documents,
    secrets,
    stops,
    texts,
)

#: Tests that write files run fewer examples than the pure ones (a quarter, at least 25).
IO_EXAMPLES = max(25, settings.default.max_examples // 4)


@contextmanager
def directory() -> Iterator[Path]:
    """A fresh directory per example (a pytest ``tmp_path`` is shared by all of them)."""
    with tempfile.TemporaryDirectory(prefix="cassette-") as name:
        yield Path(name)


@st.composite
def reordered(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with the keys of every dict, at any depth, in a drawn order."""
    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        return {key: draw(reordered(value[key])) for key in keys}
    if isinstance(value, list):
        return [draw(reordered(child)) for child in value]
    return value


class Sink:
    """A blob sink that keeps the bytes in memory, as a store would on disk."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def __call__(self, data: bytes, mime: str) -> tuple[str, int]:
        digest = digest_of(data)
        self.blobs[digest] = data
        return digest, len(data)

    def load(self, digest: str, mime: str) -> bytes:
        return self.blobs[digest]


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, dict keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield str(key)
            yield from strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from strings(child)


# -- 1. canonical form ------------------------------------------------------------------


@given(requests())
def test_canonicalize_is_idempotent(body: dict[str, Any]) -> None:
    once = canonicalize(body)
    assert canonicalize(once) == once
    assert request_hash(canonicalize(once)) == request_hash(once)


@given(requests())
def test_canonicalize_with_a_memo_and_sink_gives_the_same_form(body: dict[str, Any]) -> None:
    sink, memo = Sink(), {}
    first = canonicalize(body, sink, memo)
    assert first == canonicalize(body)
    assert canonicalize(body, sink, memo) == first  # the second time every image is memoized
    assert {ref["$blob"] for ref in blob_refs(first)} == set(sink.blobs)


@given(st.data(), requests())
def test_request_hash_ignores_key_order_at_any_depth(
    data: st.DataObject, body: dict[str, Any]
) -> None:
    shuffled = data.draw(reordered(body), label="shuffled")
    assert canonicalize(shuffled) == canonicalize(body)
    assert request_hash(canonicalize(shuffled)) == request_hash(canonicalize(body))
    assert dumps(canonicalize(shuffled)) == dumps(canonicalize(body))


@given(requests())
def test_request_hash_survives_a_json_round_trip(body: dict[str, Any]) -> None:
    canonical = canonicalize(body)
    assert request_hash(canonicalize(json.loads(json.dumps(body)))) == request_hash(canonical)
    assert request_hash(json.loads(dumps(canonical))) == request_hash(canonical)
    assert json.loads(dumps(canonical)) == canonical


#: Text a JSON parser can hand over but UTF-8 cannot encode: a lone surrogate (``"\ud800"``).
#: Not a high surrogate followed by a low one: JSON reads that pair as one character (and so
#: never hands over such a string), so it cannot come back as two.
surrogate_texts = (
    st.lists(st.sampled_from(["\ud800", "\udfff", "\udc00", "a", "é", "\U0001f511"]), max_size=4)
    .map("".join)
    .filter(lambda text: not re.search("[\ud800-\udbff][\udc00-\udfff]", text))
)


@given(st.dictionaries(surrogate_texts, surrogate_texts | st.lists(surrogate_texts), max_size=3))
@example({"text": "\ud800"})
def test_request_hash_and_dumps_accept_lone_surrogates(body: dict[str, Any]) -> None:
    """A lone surrogate is valid JSON (``"\\ud800"``) and was a UnicodeEncodeError in hashing
    and writing the log; it is written escaped, so the line stays UTF-8 and loads back equal."""
    text = dumps(body)
    text.encode("utf-8")
    assert json.loads(text) == body
    assert request_hash(body) == request_hash(json.loads(json.dumps(body)))


# -- 2. expand is the inverse -----------------------------------------------------------


@given(requests())
def test_expand_restores_canonical_data_urls_exactly(body: dict[str, Any]) -> None:
    sink = Sink()
    canonical = canonicalize(body, sink)
    assert expand(canonical, sink.load) == body


@pytest.mark.parametrize(
    ("url", "expanded"),
    [
        # Non-zero padding bits decode to the same bytes as the canonical spelling: the blob
        # (and so the hash) is the image's, and expand writes the canonical spelling back.
        ("data:image/png;base64,QR==", "data:image/png;base64,QQ=="),
        # Upper-case scheme and type: matched case-insensitively, expanded in lower case.
        ("DATA:IMAGE/PNG;BASE64,QQ==", "data:image/png;base64,QQ=="),
        # Not well-formed base64 (no padding, whitespace, data after the padding): left as
        # text, the request really carried it, so the round trip is exact.
        ("data:image/png;base64,QQ", "data:image/png;base64,QQ"),
        ("data:image/png;base64,QQ==\n", "data:image/png;base64,QQ==\n"),
        ("data:image/png;base64,Q Q==", "data:image/png;base64,Q Q=="),
        ("data:image/png;base64,QQ==QQ==", "data:image/png;base64,QQ==QQ=="),
        # An empty image is still an image: a zero-byte blob.
        ("data:image/png;base64,", "data:image/png;base64,"),
    ],
)
def test_expand_of_non_canonical_base64(url: str, expanded: str) -> None:
    sink = Sink()
    canonical = canonicalize({"image_url": url}, sink)
    assert expand(canonical, sink.load) == {"image_url": expanded}
    assert request_hash(canonical) == request_hash(canonicalize({"image_url": expanded}))


# -- 3. items ---------------------------------------------------------------------------


@given(requests())
def test_split_then_join_restores_the_request(body: dict[str, Any]) -> None:
    canonical = canonicalize(body)
    known: set[str] = set()
    split, new = split_items(canonical, known)
    assert join_items(split, new) == canonical
    assert set(new) == known
    if isinstance(canonical["input"], list):
        assert all(is_item_ref(ref) for ref in split["input"])
        assert len(split["input"]) == len(canonical["input"])
    # Splitting a split request changes nothing and stores nothing new.
    assert split_items(split, known) == (split, {})


@given(histories())
def test_full_history_stores_each_distinct_item_once(run: list[dict[str, Any]]) -> None:
    known: set[str] = set()
    stored: dict[str, Any] = {}
    for body in run:
        canonical = canonicalize(body)
        split, new = split_items(canonical, known)
        assert not set(new) & set(stored), "an item was stored twice"
        stored.update(new)
        assert join_items(split, stored) == canonical
    distinct = {dumps(item) for body in run for item in canonicalize(body)["input"]}
    assert len(stored) == len(distinct)


def test_join_items_with_an_unknown_item_raises() -> None:
    with pytest.raises(InvalidCassette, match="referenced before it is stored"):
        join_items({"input": [{"$item": "sha256:" + "0" * 64}]}, {})


# -- 4. redaction -----------------------------------------------------------------------


def _forms(secret: str) -> set[str]:
    """How a secret can be spelled in a recording: raw, JSON-escaped, percent-encoded."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }


_NOT_STRING_TOKENS = set("0123456789.-+eE,:[]{}truefalsn ")


def assert_no_leak(
    secrets_: tuple[str, ...] | list[str],
    redacted: Any,
    *,
    names: frozenset[str] | set[str] = frozenset(),
) -> None:
    """No string of ``redacted`` holds a secret in any spelling, nor does its JSON.

    ``names`` are reference strings (digests, mime types) that redaction leaves alone by
    design: a secret that happens to be part of one is not a leak.
    """
    text = dumps(redacted)
    for secret in secrets_:
        if any(secret in name for name in names):
            continue
        for form in _forms(secret):
            for found in strings(redacted):
                assert form not in found, f"{secret!r} leaked as {form!r} in {found!r}"
        # In the JSON text a secret could also span syntax (`","`): only a secret without
        # quotes, escapes, or only number-and-punctuation characters is checked there.
        plain = '"' not in secret and "\\" not in secret and secret.isprintable()
        if plain and set(secret) - _NOT_STRING_TOKENS:
            assert secret not in text, f"{secret!r} leaked in the JSON text"


DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
MIME = re.compile(r"[a-z]+/[a-z0-9.+-]+")


def _references(value: Any) -> set[str]:
    """The digests in ``value``, and the mime types of its well-formed blob references."""
    names = {found for found in strings(value) if DIGEST.fullmatch(found)}
    for ref in blob_refs(value):
        mime = ref.get("mime")
        if str(ref["$blob"]) in names and isinstance(mime, str) and MIME.fullmatch(mime):
            names.add(mime)
    return names


def redactors(secrets_: tuple[str, ...]) -> st.SearchStrategy[Redactor]:
    """The same secrets given three ways: directly, from the environment, learned."""
    policy = RedactionPolicy(builtin_patterns=False)

    def build(how: str) -> Redactor:
        if how == "direct":
            return Redactor(policy, set(secrets_))
        if how == "environment":
            names = ["MY_API_KEY", "SERVICE_TOKEN", "DB_PASSWORD", "CLIENT_SECRET"]
            environ = {f"{names[i % 4]}_{i}": secret for i, secret in enumerate(secrets_)}
            environ |= {"HOME": "/home/ada", "PATH": "/usr/bin", "SHORT_KEY": "abc"}
            return Redactor.from_env(environ, policy)
        redactor = Redactor(policy)
        for secret in secrets_:
            redactor.learn(secret)
        return redactor

    return st.sampled_from(["direct", "environment", "learned"]).map(build)


@given(st.data(), secret_documents())
@example(
    data=None,  # type: ignore[arg-type]
    planted=SecretDocument({"x_planted": [{"$blob": "x", "note": "hunter2!"}]}, ("hunter2!",), ()),
).via("a dict with a $blob key that is no reference was passed through unredacted")
def test_redaction_leaks_no_secret(data: st.DataObject | None, planted: SecretDocument) -> None:
    redactor = (
        Redactor(RedactionPolicy(builtin_patterns=False), set(planted.secrets))
        if data is None
        else data.draw(redactors(planted.secrets), label="redactor")
    )
    canonical = canonicalize(planted.document)
    split, _ = split_items(canonical, set())
    names = _references(canonical) | _references(split)
    for document in (planted.document, canonical, split):
        assert_no_leak(planted.secrets, redactor.json(document), names=names)
    kept = redactor.headers(planted.headers)
    assert set(kept) <= KEEP_HEADERS | {"x-ratelimit-a"}
    assert_no_leak(planted.secrets, list(kept.values()))  # the names are the allow-list's
    assert_no_leak(planted.secrets, redactor.query([("api-version", s) for s in planted.secrets]))
    for secret in planted.secrets:
        assert redactor.found(secret), f"{secret!r} is not recognized as a secret"


@given(secret_documents(), st.data())
def test_redaction_learns_credentials_from_headers(
    planted: SecretDocument, data: st.DataObject
) -> None:
    """A credential header is dropped and its value scrubbed everywhere after."""
    redactor = Redactor(RedactionPolicy(builtin_patterns=False))
    credentials = []
    for secret in planted.secrets:
        name = data.draw(
            st.sampled_from(
                [
                    "Authorization",
                    "authorization",
                    "api-key",
                    "x-api-key",
                    "Ocp-Apim-Subscription-Key",
                ]
            )
        )
        value = (
            f"{data.draw(st.sampled_from(['Bearer', 'bearer']))} {secret}"
            if name.lower() == "authorization"
            else secret
        )
        credentials.append((name, value))
    headers = [*credentials, ("Cookie", "session=" + (planted.secrets[0])), *planted.headers]
    kept = redactor.headers(headers)
    assert not {
        "authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "ocp-apim-subscription-key",
    } & set(kept)
    assert "x-request-id" in kept
    assert_no_leak(planted.secrets, list(kept.values()))
    assert_no_leak(
        planted.secrets, redactor.json(planted.document), names=_references(planted.document)
    )


@given(secret_documents(), st.data())
def test_redaction_is_idempotent(planted: SecretDocument, data: st.DataObject) -> None:
    redactor = data.draw(redactors(planted.secrets), label="redactor")
    for document in (planted.document, canonicalize(planted.document)):
        once = redactor.json(document)
        assert redactor.json(once) == once
    once_headers = redactor.headers(planted.headers)
    assert redactor.headers(list(once_headers.items())) == once_headers


@given(st.lists(secrets(), min_size=1, max_size=6), st.lists(texts | secrets(), max_size=6))
@example(["[redacted]", "REDACTED", "[########]", "********", "~~~~~~~~"], ["[redacted]"])
@example(["ed]abc"], ["[redactABCabc", "ed]abc"])
def test_redacted_text_is_a_fixed_point_without_secrets(
    secrets_: list[str], parts: list[str]
) -> None:
    """Replacing a secret can never splice another one together at the marker's edge."""
    redactor = Redactor(RedactionPolicy(builtin_patterns=False), set(secrets_))
    text = "".join(parts) + "".join(secrets_)
    redacted = redactor.text(text)
    assert redactor.text(redacted) == redacted
    assert not redactor.found(redacted)
    for secret in secrets_:
        assert secret not in redacted


@given(requests(), st.lists(secrets(), max_size=2))
def test_redaction_never_alters_references(body: dict[str, Any], secrets_: list[str]) -> None:
    """Even patterns that match digests, mime types and reference keys leave references alone."""
    hostile = RedactionPolicy(
        patterns=(r"[0-9a-f]{6,}", r"sha256", r"image/\w+", r"\$blob", r"\$item", r"mime|bytes")
    )
    redactor = Redactor(hostile, set(secrets_))
    canonical = canonicalize(body)
    split, new = split_items(canonical, set())
    for document in (canonical, split, {"items": new, "request": split}):
        redacted = redactor.json(document)
        assert blob_refs(redacted) == blob_refs(document)
        assert [s for s in strings(redacted) if DIGEST.fullmatch(s)] == [
            s for s in strings(document) if DIGEST.fullmatch(s)
        ]


#: Policies whose patterns the JSON text of a value spells differently from its strings:
#: anchored, looking around, matching what JSON escapes (a quote, a newline, a backslash).
LINE_POLICIES = (
    RedactionPolicy(builtin_patterns=False),
    RedactionPolicy(),
    RedactionPolicy(patterns=(r"^https?://\w+", r"(?<=q=)[^&]{3}", r'a"b', "\n\\w", r"\\x")),
)


@given(secret_documents(), st.data())
@example(
    SecretDocument({"note": "Bearer\tabcdefghij", "n": "ok"}, ("unknown-secret",), ()), None
).via("a built-in pattern matching across a character JSON escapes")
@example(
    SecretDocument({"arguments": json.dumps({"password": 'abc"def'})}, ('abc"def',), ()), None
).via("a secret's JSON-escaped spelling inside JSON text inside a string")
def test_redacting_the_serialized_value_is_the_walk_string_by_string(
    planted: SecretDocument, data: st.DataObject | None
) -> None:
    """:meth:`Redactor.json` checks the value's JSON text and walks only what needs it: the
    result is what walking every string gives, whichever secrets the redactor knows (all of
    the planted ones, some, or others) and whatever its patterns.

    The oracle is :meth:`Redactor.found` (the regex itself, on each string): the substring
    searches standing in for it must miss nothing it finds, in a string or in the text.
    """
    if data is None:
        known, policy = list(planted.secrets), RedactionPolicy()
    else:
        known = data.draw(st.lists(st.sampled_from(planted.secrets)) | st.lists(secrets()))
        policy = data.draw(st.sampled_from(LINE_POLICIES))
    redactor = Redactor(policy, set(known))
    for document in (planted.document, canonicalize(planted.document)):
        hits = [s for s in strings(document) if s and redactor.found(s)]
        for found in strings(document):
            assert (redactor.text(found) != found) == (found in hits), found
        if hits:
            assert not redactor.clean(dumps(document)), hits
        walked = redactor._walk(document)
        assert redactor.json(document) == walked
        redacted, text = redactor.dumped(document)
        assert redacted == walked
        assert text == dumps(walked)


@pytest.mark.parametrize(
    ("pattern", "hint"), list(zip(BUILTIN_PATTERNS, BUILTIN_HINTS, strict=True))
)
@given(st.data())
def test_every_match_of_a_builtin_pattern_holds_its_hint(
    pattern: str, hint: str, data: st.DataObject
) -> None:
    """The substring search that stands in for the regex finds every match of it."""
    found = data.draw(st.from_regex(pattern))
    assert hint in found.lower()


def test_redaction_marker_is_the_documented_one() -> None:
    assert Redactor(secrets={"hunter2!"}).text("pw=hunter2!") == f"pw={MARKER}"


# -- 5. blobs ---------------------------------------------------------------------------


@settings(max_examples=IO_EXAMPLES)
@example([(b"same", "image/jpeg"), (b"same", "image/png")]).via(
    "the same bytes under a second mime type were not written (the store remembered the digest)"
)
@given(
    st.lists(
        st.tuples(st.binary(max_size=512), st.sampled_from([*MIMES, "image/svg+xml"])), max_size=6
    )
)
def test_blobs_round_trip_byte_exact_and_are_stored_once(blobs: list[tuple[bytes, str]]) -> None:
    with directory() as root:
        store = BlobStore(root / "blobs")
        for data, mime in blobs:
            digest = store.put(data, mime)
            assert digest == digest_of(data)
            assert store.put(data, mime) == digest
            assert store.get(digest, mime) == data
            assert store.has(digest, mime)
            assert BlobStore(root / "blobs").put(data, mime) == digest  # a fresh store too
        files = list(store)
        assert len(files) == len(
            {(data, store.path(digest_of(data), mime).suffix) for data, mime in blobs}
        )
        for digest, path in files:
            assert digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
            assert path.parent.name == digest[7:9]
        assert store.leftovers() == []


# -- 6. the step log --------------------------------------------------------------------

Recording = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def record(
    root: Path, recording: Recording, stop: StopRecord | None, *, task: str = "buy a mug"
) -> tuple[list[StepRecord], list[dict[str, Any]], dict[str, bytes]]:
    """Write a run as a cassette: the records, their canonical requests, the blobs by digest."""
    run, plans = recording
    writer = CassetteWriter(
        root, Manifest(task=task), redactor=Redactor(RedactionPolicy(builtin_patterns=False))
    )
    records: list[StepRecord] = []
    canonicals: list[dict[str, Any]] = []
    blobs: dict[str, bytes] = {}

    def keep(data: bytes, mime: str) -> tuple[str, int]:
        blobs[digest_of(data)] = data
        return writer.store_image(data, mime)

    for number, (body, plan) in enumerate(zip(run, plans, strict=True), start=1):
        plan = dict(plan)
        canonical = writer.redactor.json(canonicalize(body, keep))
        observations = []
        for call_id, png, url in plan.pop("screenshots"):
            digest, size = keep(png, "image/png")
            observations.append(
                Observation(
                    call_id=call_id, screenshot=blob_ref(digest, "image/png", size), url=url
                )
            )
        step = StepRecord(
            step=number,
            request=canonical,
            request_hash=request_hash(canonical),
            observations=observations,
            **plan,
        )
        writer.append(step)
        records.append(step)
        canonicals.append(canonical)
    writer.close(stop)
    return records, canonicals, blobs


def assert_same_steps(
    loaded: list[StepRecord],
    records: list[StepRecord],
    canonicals: list[dict[str, Any]],
    cassette: Any,
) -> None:
    assert len(loaded) == len(records)
    for number, (got, want) in enumerate(zip(loaded, records, strict=True), start=1):
        assert got.model_dump(exclude={"request", "items"}) == want.model_dump(
            exclude={"request", "items"}
        )
        assert cassette.request(number) == canonicals[number - 1]
        assert request_hash(cassette.request(number)) == got.request_hash


def plan(**fields: Any) -> dict[str, Any]:
    """A step plan for a pinned example: nothing but ``fields``."""
    empty = {"t": 0.0, "latency_ms": 0.0, "reasoning": [], "safety": [], "actions": []}
    return {**empty, "page_events": [], "screenshots": [], **fields}


SHOT = real_pngs()[0]


@settings(max_examples=IO_EXAMPLES)
@given(recordings(), stops())
@example(
    ([{"model": "m", "input": []}], [plan(events=[SseEvent(t_ms=0.0, event="ping", data=None)])]),
    None,
).via("an SSE event with `data: null` was written without its data and failed to load")
@example(
    (
        [
            {
                "model": "m",
                "input": [{"type": "input_image", "image_url": data_url(SHOT, "image/jpeg")}],
            }
        ],
        [plan(screenshots=[(None, SHOT, "https://shop.example/")])],
    ),
    None,
).via("a PNG sent labelled image/jpeg, then stored as image/png, was missing its .png blob")
def test_save_then_load_is_the_identity_on_steps(
    recording: Recording, stop: StopRecord | None
) -> None:
    run = recording[0]
    with directory() as root:
        records, canonicals, blobs = record(root, recording, stop)
        cassette = load_cassette(root)
        assert_same_steps(cassette.steps, records, canonicals, cassette)
        assert cassette.stop == stop
        assert cassette.manifest.status == ("complete" if stop else "recording")
        assert cassette.manifest.steps == len(records)
        assert not cassette.torn
        for step in cassette.steps:
            for ref in blob_refs(step.model_dump()) + blob_refs(cassette.request(step.step)):
                assert cassette.blob(ref) == blobs[ref["$blob"]]
        distinct = {
            dumps(item) for c in canonicals if isinstance(c["input"], list) for item in c["input"]
        }
        assert len(cassette.items) == len(distinct)
        # Expanding a loaded request gives back the body as sent.
        for number, body in enumerate(run, start=1):
            assert expand(cassette.request(number), cassette.blobs.get) == body


@settings(max_examples=IO_EXAMPLES)
@given(recordings(), stops(), st.data())
def test_a_log_cut_at_any_byte_loads_its_complete_lines(
    recording: Recording, stop: StopRecord | None, data: st.DataObject
) -> None:
    with directory() as root:
        records, canonicals, _ = record(root, recording, stop)
        log = root / STEPS_NAME
        full = log.read_bytes()
        lines = full.split(b"\n")[:-1]
        ends = [sum(len(line) + 1 for line in lines[: i + 1]) for i in range(len(lines))]
        # A cut anywhere, and one at or next to a line boundary (where the off-by-ones live).
        boundary = data.draw(st.sampled_from([0, *ends]), label="boundary")
        near = boundary + data.draw(st.sampled_from([-1, 0, 1]), label="offset")
        cuts = {data.draw(st.integers(0, len(full)), label="cut"), min(max(near, 0), len(full))}
        for cut in sorted(cuts):
            log.write_bytes(full[:cut])
            cassette = load_cassette(root)
            complete = full[:cut].count(b"\n")
            tail = full[:cut].rsplit(b"\n", 1)[-1]
            whole = complete < len(lines) and tail == lines[complete]
            kept = complete + whole  # a last line cut just before its newline is complete
            assert cassette.torn == (bool(tail) and not whole), cut
            steps = min(kept, len(records))
            assert_same_steps(cassette.steps, records[:steps], canonicals, cassette)
            assert cassette.stop == (stop if kept > len(records) else None)


@settings(max_examples=IO_EXAMPLES)
@given(requests(min_items=1, extras=False), secrets())
def test_stored_items_are_named_by_their_redacted_content(
    body: dict[str, Any], secret: str
) -> None:
    """A request the redactor has not seen yet (a secret learned after it was canonicalized)
    is redacted before its items are split: every item's digest names the item on disk."""
    body["input"][0]["note"] = f"token={secret}"
    with directory() as root:
        writer = CassetteWriter(root, Manifest(), redactor=Redactor(secrets={secret}))
        canonical = canonicalize(body, writer.store_image)
        writer.append(StepRecord(step=1, request=canonical, request_hash=request_hash(canonical)))
        writer.close()
        for line in (root / STEPS_NAME).read_text(encoding="utf-8").split("\n")[:-1]:
            data = json.loads(line)
            assert_no_leak((secret,), data, names=_references(data))
            for digest, item in data.get("items", {}).items():
                assert digest == "sha256:" + hashlib.sha256(dumps(item).encode()).hexdigest()


def test_a_lone_surrogate_is_written_and_loaded_back() -> None:
    body = {"model": "m", "input": [{"type": "message", "role": "user", "content": "a\ud800b"}]}
    with directory() as root:
        recording = ([body], [plan(message="\udfff")])
        records, canonicals, _ = record(root, recording, None, task="\udc00")
        cassette = load_cassette(root)
        assert_same_steps(cassette.steps, records, canonicals, cassette)
        assert cassette.manifest.task == "\udc00"


def test_a_log_cut_inside_a_multibyte_character_is_a_torn_line() -> None:
    """The log is UTF-8 (``ensure_ascii=False``): a crash may cut a character in two."""
    body = {"model": "m", "input": [{"type": "message", "role": "user", "content": "é密🔑"}]}
    with directory() as root:
        records, canonicals, _ = record(root, ([body, body], [plan(), plan(message="密🔑")]), None)
        log = root / STEPS_NAME
        full = log.read_bytes()
        start = full.index(b"\n") + 1
        for cut in range(start + 1, len(full) - 1):  # every byte inside the second line
            log.write_bytes(full[:cut])
            cassette = load_cassette(root)
            assert cassette.torn, cut
            assert_same_steps(cassette.steps, records[:1], canonicals, cassette)


@settings(max_examples=IO_EXAMPLES)
@given(
    recordings(min_steps=2),
    st.data(),
    st.sampled_from(
        [b"{", b"not json", b'{"kind": "step"', b"\xff\xfe\x00", b"[1, 2", b"[1, 2]", b"{}"]
    ),
)
def test_a_corrupt_middle_line_raises_naming_it(
    recording: Recording, data: st.DataObject, garbage: bytes
) -> None:
    with directory() as root:
        record(root, recording, None)
        log = root / STEPS_NAME
        lines = log.read_bytes().split(b"\n")
        number = data.draw(st.integers(1, len(lines) - 2), label="line")  # any but the last
        lines[number - 1] = garbage
        log.write_bytes(b"\n".join(lines))
        with pytest.raises(InvalidCassette, match=rf"{STEPS_NAME}:{number}\b"):
            load_cassette(root)


# -- 7. matching ------------------------------------------------------------------------


@given(requests())
def test_every_request_matches_itself_under_every_policy(body: dict[str, Any]) -> None:
    canonical = canonicalize(body)
    for policy in MatchPolicy:
        for by_position in (False, True):
            result = compare(
                canonical, json.loads(dumps(canonical)), policy, ids_by_position=by_position
            )
            assert result.matches, result.differences
            assert not result.fatal


@given(requests(), requests())
@example(
    {"input": [{"type": "input_image", "image_url": data_url(SHOT, "image/png")}]},
    {"input": [{"type": "input_image", "image_url": data_url(SHOT, "image/jpeg")}]},
).via("strict compared screenshots by hash only: the same bytes sent as another type matched")
def test_strict_differences_are_symmetric(left: dict[str, Any], right: dict[str, Any]) -> None:
    a, b = canonicalize(left), canonicalize(right)
    forward = compare(a, b, MatchPolicy.STRICT)
    backward = compare(b, a, MatchPolicy.STRICT)
    assert [d.path for d in forward.differences] == [d.path for d in backward.differences]
    assert [(d.recorded, d.live) for d in forward.differences] == [
        (d.live, d.recorded) for d in backward.differences
    ]
    assert forward.matches == (dumps(a) == dumps(b))


def _changed_text(value: Any, found: list[str]) -> Any:
    """``value`` with the first nested ``text`` string (message content, typed text, summary)
    changed; its path goes to ``found``."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if key == "text" and isinstance(child, str) and not found:
                found.append(key)
                out[key] = child + "!"
            else:
                out[key] = _changed_text(child, found)
        return out
    if isinstance(value, list):
        return [_changed_text(child, found) for child in value]
    return value


@given(requests(min_items=1), st.sampled_from(list(MatchPolicy)))
@example(
    {
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ""}]}
        ]
    },
    MatchPolicy.STRUCTURAL,
).via("`text` was ignored at any depth (it is a request knob only at the top)")
def test_a_changed_input_text_is_a_difference_under_every_policy(
    body: dict[str, Any], policy: MatchPolicy
) -> None:
    found: list[str] = []
    canonical = canonicalize(body)
    changed = _changed_text(canonical["input"], found)
    if not found:
        return
    result = compare(canonical, {**canonical, "input": changed}, policy)
    assert [d.path.rsplit(".", 1)[-1] for d in result.differences] == ["text"]
    assert result.fatal == (policy is not MatchPolicy.SEQUENTIAL)


def rename_ids(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every id (under ``id``, ``call_id``, ``previous_response_id``) renamed."""
    if isinstance(value, dict):
        return {
            key: names[child]
            if key in ("id", "call_id", "previous_response_id") and isinstance(child, str)
            else rename_ids(child, names)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [rename_ids(child, names) for child in value]
    return value


def id_strings(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("id", "call_id", "previous_response_id") and isinstance(child, str):
                found.add(child)
            else:
                found |= id_strings(child)
    elif isinstance(value, list):
        for child in value:
            found |= id_strings(child)
    return found


@given(requests(), st.randoms(use_true_random=False))
def test_positional_ids_ignore_a_consistent_renaming(body: dict[str, Any], random: Any) -> None:
    canonical = canonicalize(body)
    old = sorted(id_strings(canonical))
    fresh = [f"{random.choice(ID_PREFIXES)}live{i}" for i in range(len(old))]
    random.shuffle(fresh)
    renamed = rename_ids(canonical, dict(zip(old, fresh, strict=True)))
    once = positional_ids(canonical)
    assert positional_ids(once) == once
    assert positional_ids(renamed) == once
    for policy in MatchPolicy:
        assert compare(canonical, renamed, policy, ids_by_position=True).matches
    if old:
        assert not compare(canonical, renamed, MatchPolicy.STRICT).matches
