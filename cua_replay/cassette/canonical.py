"""Requests in canonical form: images out, items by digest, keys sorted. Pure functions.

A request as the SDK sends it carries each screenshot as a base64 data URL
(300 KB and more) and, in full-history mode, every earlier item again. The
canonical form replaces each data URL with a blob reference (the bytes go to
the store once) and, for storage, each input item with an item reference, so a
cassette stays near the size of its unique screenshots and requests compare in
O(size of the JSON without images).

:func:`canonicalize` is idempotent (a canonical request is returned unchanged)
and independent of key order; :func:`request_hash` is a digest of the sorted,
compact JSON. Both properties are tested with generated requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from .blobs import digest_of
from .format import BLOB_KEY, ITEM_KEY

_DATA_URL: Final = re.compile(r"data:(image/[a-z0-9.+-]+);base64,", re.IGNORECASE)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")

BlobSink = Callable[[bytes, str], tuple[str, int]]
"""Called with ``(data, mime)`` for every image found; returns the ``(digest, size)`` to refer
to it by (a store may transform the bytes first, e.g. mask them, and so name them differently)."""


def dumps(obj: Any) -> str:
    """The one JSON spelling used for hashing and for the step log: sorted, compact, UTF-8."""
    return escape_surrogates(
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )


def escape_surrogates(text: str) -> str:
    """JSON text with each lone surrogate written as its ``\\uXXXX`` escape.

    ``"\\ud800"`` is valid JSON, so a parsed request or response can hold a lone
    surrogate, and UTF-8 cannot encode one: hashing or writing it raised
    ``UnicodeEncodeError``. Outside strings JSON has no such characters, and
    inside one the escape is what ``ensure_ascii`` would write: it loads back
    as the same string.
    """
    if text.isascii():  # nearly always, and far quicker to tell than to scan for surrogates
        return text
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def request_hash(canonical: Any) -> str:
    return text_hash(dumps(canonical))


def text_hash(text: str) -> str:
    """The digest of JSON text :func:`dumps` wrote: a request's hash, an item's name."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def blob_ref(digest: str, mime: str, size: int) -> dict[str, Any]:
    return {BLOB_KEY: digest, "mime": mime, "bytes": size}


def is_blob_ref(value: Any) -> bool:
    return isinstance(value, dict) and BLOB_KEY in value


def is_item_ref(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ITEM_KEY in value


KnownImages = Callable[[str, int], "dict[str, Any] | None"]
"""``(data URL, offset of its base64 payload) -> reference``, or None: images recognised
without decoding them (see :func:`canonicalize`)."""


def canonicalize(
    obj: Any,
    sink: BlobSink | None = None,
    memo: dict[str, Any] | None = None,
    known: KnownImages | None = None,
) -> Any:
    """``obj`` with every base64 image data URL replaced by a blob reference.

    ``sink`` receives each image's bytes (to store them) and names them. Strings that are not
    a complete, well-formed data URL are left alone: a truncated or invalid
    payload is data the request really carried, so it stays in the log.

    ``memo`` maps data URLs already seen to their references. A full-history
    loop resends the same string objects every step, and a string caches its
    own hash, so with a memo each old screenshot costs a dict lookup instead of
    a base64 decode and a SHA-256 (the sink is not called again for it).
    A memo must only be shared between calls with the same sink.

    ``known`` recognises an image by comparing its base64 text with the encoding
    of bytes the caller already holds (the screenshot it just captured, the one
    the recording has at this step): a string comparison instead of a decode and
    a hash. It must only answer for exactly equal text.
    """
    if isinstance(obj, str):
        if obj[:5].lower() != "data:":
            return obj
        if memo is not None:
            ref = memo.get(obj)
            if ref is None:
                ref = memo[obj] = _image(obj, sink, known)
            return ref
        return _image(obj, sink, known)
    if isinstance(obj, dict):
        return {key: canonicalize(value, sink, memo, known) for key, value in obj.items()}
    if isinstance(obj, list):
        return [canonicalize(value, sink, memo, known) for value in obj]
    return obj


def _image(text: str, sink: BlobSink | None, known: KnownImages | None = None) -> Any:
    match = _DATA_URL.match(text)
    if match is None:
        return text
    if known is not None:
        ref = known(text, match.end())
        if ref is not None:
            return ref
    try:
        data = base64.b64decode(text[match.end() :], validate=True)
    except (binascii.Error, ValueError):
        return text
    mime = match.group(1).lower()
    digest, size = sink(data, mime) if sink is not None else (digest_of(data), len(data))
    return blob_ref(digest, mime, size)


def expand(obj: Any, load: Callable[[str, str], bytes]) -> Any:
    """The inverse of :func:`canonicalize`: blob references back to data URLs."""
    if isinstance(obj, dict):
        if BLOB_KEY in obj:
            mime = str(obj.get("mime", "image/png"))
            data = load(str(obj[BLOB_KEY]), mime)
            return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
        return {key: expand(value, load) for key, value in obj.items()}
    if isinstance(obj, list):
        return [expand(value, load) for value in obj]
    return obj


def split_items(
    request: Mapping[str, Any], known: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(request with input items as references, items not in known)``; ``known`` is updated.

    Only a list-valued ``input`` is split; a string input stays as it is.
    """
    items = request.get("input")
    if not isinstance(items, list):
        return dict(request), {}
    new: dict[str, Any] = {}
    refs: list[Any] = []
    for item in items:
        if is_item_ref(item):
            refs.append(item)
            continue
        digest = text_hash(dumps(item))
        if digest not in known:
            known.add(digest)
            new[digest] = item
        refs.append({ITEM_KEY: digest})
    return {**request, "input": refs}, new


def join_items(request: Mapping[str, Any], items: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`split_items`, given every item stored so far."""
    refs = request.get("input")
    if not isinstance(refs, list):
        return dict(request)
    joined: list[Any] = []
    for ref in refs:
        if is_item_ref(ref):
            digest = ref[ITEM_KEY]
            if digest not in items:
                from ..errors import InvalidCassette

                raise InvalidCassette(
                    f"Input item {digest} is referenced before it is stored; the step log was "
                    "edited or reordered. Run `cua-replay verify` on the cassette."
                )
            joined.append(items[digest])
        else:
            joined.append(ref)
    return {**request, "input": joined}


def blob_refs(obj: Any) -> list[dict[str, Any]]:
    """Every blob reference inside ``obj``, in document order."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if BLOB_KEY in value:
                found.append(value)
                return
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(obj)
    return found
