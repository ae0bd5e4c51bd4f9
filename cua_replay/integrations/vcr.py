"""The vcrpy adapter: keep vcrpy or pytest-recording, get cua-replay cassettes on disk.

For teams whose tests already record with vcrpy. Three pieces:

* :class:`CassettePersister`, a vcrpy persister that writes and reads the
  cua-replay format (``run.json`` + ``steps.jsonl`` + ``blobs/``) instead of one
  YAML file: screenshots stored once as raw PNGs, requests canonical, secrets
  redacted at write time, streams kept as their events. The cassette directory
  is the path vcrpy asks for without its serializer suffix (``.yaml``, ``.yml``,
  ``.json``): pytest-recording's ``cassettes/test_mod/test_x.yaml`` is the
  directory ``cassettes/test_mod/test_x/``;
* :class:`RequestFilter`, a ``before_record_request`` that swaps each image
  data URL in a JSON body for its blob reference (so ``match_on=[..., "body"]``
  compares a few KB, not megabytes of base64, and a changed screenshot is a
  changed body), drops credential headers, cookies and secret query parameters,
  and redacts what is left. It is idempotent, as vcrpy requires: it runs again
  on every loaded request and several times on each live one;
* :func:`vcr_config` and :func:`register` to wire both in.

pytest-recording (``conftest.py``)::

    import pytest
    from cua_replay.integrations import vcr as cua_vcr

    def pytest_recording_configure(config, vcr):
        cua_vcr.register(vcr)  # our persister replaces pytest-recording's

    @pytest.fixture(scope="module")
    def vcr_config():
        return cua_vcr.vcr_config()

Plain vcrpy::

    my_vcr = vcr.VCR()
    cua_vcr.register(my_vcr)
    with my_vcr.use_cassette("cassettes/checkout.yaml", **cua_vcr.vcr_config()):
        ...

What to know:

* The image bytes a filtered request no longer carries wait in a process-wide
  cache (:data:`BLOB_CACHE`, bounded) until the persister saves them; a request
  filtered in another process cannot be saved (record again).
* Record modes: ``once``, ``none``, ``new_episodes`` and ``all`` work. vcrpy's
  ``all`` keeps recorded interactions that nothing re-recorded matched; to start
  over, delete the cassette directory. pytest-recording's ``rewrite`` deletes a
  ``.yaml`` file, which does not exist here, so it only appends.
* Loaded requests carry no headers but ``content-type``: do not match on
  ``headers``. Every interaction is kept, ``GET`` and errors included; SSE
  timings are not (vcrpy reads a stream whole before the client sees it, which
  is what the recording transports in :mod:`.transport` avoid).
* Redaction masks (``RedactionPolicy.mask``) change stored screenshots, so a
  masked cassette cannot be matched on ``body``.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..cassette.blobs import digest_of
from ..cassette.canonical import canonicalize, dumps
from ..cassette.redact import KEEP_QUERY, RedactionPolicy, Redactor
from ..cassette.store import load_cassette
from ..errors import CassetteNotFound, MissingExtra
from ._vcr_interactions import (
    as_bytes,
    blob_loader,
    load_interactions,
    parse_json,
    save_interactions,
)

try:  # the adapter is for vcrpy: say so at import, not from deep inside a call
    import vcr as _vcrpy  # type: ignore[import-untyped]  # noqa: F401
except ModuleNotFoundError as missing:
    if missing.name != "vcr":
        raise
    raise MissingExtra("vcrpy", "vcr") from None

SERIALIZER_SUFFIXES: Final = (".yaml", ".yml", ".json")
CREDENTIAL_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "ocp-apim-subscription-key"}
)
DROPPED_HEADERS: Final = frozenset({"cookie", "content-length"})
"""Not secrets to learn, but never kept: cookies, and a length the filter changes."""
SECRET_QUERY: Final = ("*key*", "*token*", "*secret*", "*password*", "sig", "signature", "code")
CACHE_LIMIT: Final = 256 * 1024 * 1024


def cassette_directory(cassette_path: str | os.PathLike[str]) -> Path:
    """The directory a vcrpy cassette path stands for: the path without its serializer suffix."""
    path = Path(cassette_path)
    return path.with_suffix("") if path.suffix.lower() in SERIALIZER_SUFFIXES else path


class BlobCache:
    """Image bytes by digest, from the filter to the persister; least recently used go first."""

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self.limit = limit
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, digest: str, data: bytes) -> None:
        with self._lock:
            if digest in self._items:
                self._items.move_to_end(digest)
                return
            self._items[digest] = data
            self._size += len(data)
            while self._size > self.limit and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def get(self, digest: str) -> bytes | None:
        with self._lock:
            return self._items.get(digest)

    def discard(self, digests: Iterable[str]) -> None:
        with self._lock:
            for digest in digests:
                data = self._items.pop(digest, None)
                if data is not None:
                    self._size -= len(data)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._items)


BLOB_CACHE: Final = BlobCache()


class Credentials:
    """The credentials request filters stripped, for the persister to redact from responses.

    The filter sees a request's ``Authorization`` or ``api-key`` header (an
    ``api_key=`` given to the client, which the environment may not hold); the
    persister sees only filtered requests, and the responses, which may echo the
    key. Process-wide like :data:`BLOB_CACHE`: a credential stripped anywhere is
    redacted from every cassette saved here. Never in ``repr``.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            self._values.add(value)

    def values(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._values))

    def __repr__(self) -> str:
        return f"<Credentials: {len(self._values)} learned>"


LEARNED: Final = Credentials()


class RequestFilter:
    """vcrpy ``before_record_request``: images to blob references, credentials out. Idempotent.

    ``policy`` and ``environ`` (default ``os.environ``) name the secrets to redact,
    as for a recording; a credential the filter strips is learned and redacted
    wherever else it shows up. Returns the request it was given (vcrpy hands
    filters a copy).
    """

    def __init__(
        self,
        *,
        policy: RedactionPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        cache: BlobCache = BLOB_CACHE,
        learned: Credentials = LEARNED,
    ) -> None:
        self.redactor = Redactor.from_env(os.environ if environ is None else environ, policy)
        self.cache = cache
        self.learned = learned

    def __deepcopy__(self, memo: dict[int, Any]) -> RequestFilter:
        """A copy with its own redactor and the same process-wide image cache.

        pytest-recording deep-copies ``vcr_config()``; the cache and the learned
        credentials (and their locks) are shared on purpose: the persister saves
        the images the filter took out, and redacts the credentials it stripped.
        """
        clone = copy.copy(self)
        clone.redactor = copy.deepcopy(self.redactor, memo)
        return clone

    def __call__(self, request: Any) -> Any:
        redactor = self.redactor
        for name in list(request.headers):
            lower = name.lower()
            value = str(request.headers[name])
            if lower in CREDENTIAL_HEADERS:
                scheme, _, token = value.partition(" ")
                credential = token if scheme.lower() == "bearer" else value
                redactor.learn(credential)
                self.learned.add(credential)
                del request.headers[name]
            elif lower in DROPPED_HEADERS:
                del request.headers[name]
        for name in list(request.headers):
            request.headers[name] = redactor.text(str(request.headers[name]))
        request.uri = self.uri(str(request.uri))
        body = request.body
        if isinstance(body, bytes | str) and body:
            raw = as_bytes(body)
            parsed = parse_json(raw)
            if parsed is not None:
                canonical = redactor.json(canonicalize(parsed, self._store))
                request.body = dumps(canonical).encode("utf-8")
            else:
                with contextlib.suppress(UnicodeDecodeError):  # binary: no text to scrub
                    request.body = redactor.text(raw.decode("utf-8")).encode("utf-8")
        return request

    def uri(self, uri: str) -> str:
        """``uri`` with secret-named query parameters dropped and the other values redacted."""
        parts = urlsplit(uri)
        if not parts.query:
            return uri
        kept = [
            (name, self.redactor.text(value))
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.lower() in KEEP_QUERY
            or not any(fnmatch.fnmatchcase(name.lower(), p) for p in SECRET_QUERY)
        ]
        return urlunsplit(parts._replace(query=urlencode(kept)))

    def _store(self, data: bytes, mime: str) -> tuple[str, int]:
        digest = digest_of(data)
        self.cache.put(digest, data)
        return digest, len(data)


class CassettePersister:
    """A vcrpy persister for cua-replay cassettes (register it, or pass ``persister=``).

    ``policy`` and ``environ`` configure redaction at save time; use
    :meth:`configured` for other values than the defaults (``os.environ``).
    """

    policy: ClassVar[RedactionPolicy | None] = None
    environ: ClassVar[Mapping[str, str] | None] = None
    cache: ClassVar[BlobCache] = BLOB_CACHE
    learned: ClassVar[Credentials] = LEARNED

    @classmethod
    def configured(
        cls,
        *,
        policy: RedactionPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        cache: BlobCache = BLOB_CACHE,
    ) -> type[CassettePersister]:
        return type(cls.__name__, (cls,), {"policy": policy, "environ": environ, "cache": cache})

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike[str], serializer: Any = None) -> Any:
        """``(requests, responses[, metadata])``; vcrpy's CassetteNotFoundError when absent.

        A directory that holds a cassette which does not load raises
        :class:`~cua_replay.errors.InvalidCassette`: vcrpy would treat a decode
        error as an empty cassette and record over it.
        """
        from vcr.persisters.filesystem import CassetteNotFoundError  # type: ignore[import-untyped]

        directory = cassette_directory(cassette_path)
        try:
            cassette = load_cassette(directory)
        except CassetteNotFound:
            raise CassetteNotFoundError(str(directory)) from None
        requests, responses, metadata = load_interactions(cassette)
        return (requests, responses, metadata) if metadata else (requests, responses)

    @classmethod
    def save_cassette(
        cls,
        cassette_path: str | os.PathLike[str],
        cassette_dict: Mapping[str, Any],
        serializer: Any = None,
    ) -> None:
        directory = cassette_directory(cassette_path)
        used = save_interactions(
            directory,
            list(cassette_dict["requests"]),
            list(cassette_dict["responses"]),
            load=blob_loader(directory, cls.cache.get),
            metadata=cassette_dict.get("metadata"),
            policy=cls.policy,
            environ=cls.environ,
            secrets=cls.learned.values(),
        )
        cls.cache.discard(used)


def vcr_config(
    *,
    policy: RedactionPolicy | None = None,
    environ: Mapping[str, str] | None = None,
    match_on: tuple[str, ...] = ("method", "scheme", "host", "port", "path", "query", "body"),
) -> dict[str, Any]:
    """Keyword arguments for ``use_cassette`` (and pytest-recording's ``vcr_config`` fixture).

    The persister, the filter, decoded responses, and body matching: with the
    filter a body is the request without its images, so matching it is cheap and
    a different screenshot (a diverged run) is a miss instead of a silent replay.
    """
    persister = (
        CassettePersister
        if policy is None and environ is None
        else CassettePersister.configured(policy=policy, environ=environ)
    )
    return {
        "persister": persister,
        "before_record_request": RequestFilter(policy=policy, environ=environ),
        "decode_compressed_response": True,
        "match_on": match_on,
    }


def register(
    vcr_instance: Any,
    *,
    policy: RedactionPolicy | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Make ``vcr_instance`` (a ``vcr.VCR``) use the persister, the filter and decoded bodies.

    The filter runs after any ``before_record_request`` the instance already has.
    Keyword arguments given to ``use_cassette`` still win over these defaults.
    """
    config = vcr_config(policy=policy, environ=environ)
    vcr_instance.register_persister(config["persister"])
    existing = vcr_instance.before_record_request
    if existing is None:
        vcr_instance.before_record_request = config["before_record_request"]
    else:
        chain = list(existing) if isinstance(existing, list | tuple) else [existing]
        vcr_instance.before_record_request = [*chain, config["before_record_request"]]
    vcr_instance.decode_compressed_response = True
