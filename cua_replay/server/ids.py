"""Ids in the service's formats, from a seeded counter: same seed and requests, same ids."""

from __future__ import annotations

import hashlib
import hmac
import string

_ALNUM = string.ascii_letters + string.digits

CREATED_AT_BASE = 1_767_225_600
"""2026-01-01T00:00:00Z: ``created_at`` counts from here, never from the wall clock."""


class IdFactory:
    """Derives every id from ``(seed, conversation, counter, prefix)``.

    Ids depend on the conversation's own counter, not on a global one, so
    concurrent conversations do not shift each other's ids.
    """

    def __init__(self, seed: str) -> None:
        self._seed = seed.encode()

    def _digest(self, *parts: object) -> bytes:
        return hashlib.sha256(self._seed + b"\0" + "\0".join(map(str, parts)).encode()).digest()

    def hex(self, prefix: str, conversation: int, counter: int, length: int = 50) -> str:
        raw = self._digest(prefix, conversation, counter)
        return prefix + (raw + self._digest(raw)).hex()[:length]

    def call_id(self, conversation: int, counter: int) -> str:
        raw = self._digest("call_", conversation, counter)
        return "call_" + "".join(_ALNUM[b % len(_ALNUM)] for b in raw[:24])

    def request_id(self, counter: int) -> str:
        return "req_" + self._digest("req_", counter).hex()[:32]

    def encrypted_reasoning(self, model: str, item_id: str, summary: str) -> str:
        """Opaque, but verifiable: a replayed reasoning item must come back unchanged."""
        # surrogatepass: a model name or item id may hold a lone surrogate (JSON "\ud800").
        message = f"{model}\0{item_id}\0{summary}".encode("utf-8", "surrogatepass")
        mac = hmac.new(self._seed, message, "sha256").hexdigest()
        return "gAAAAAB" + mac

    def obfuscation(self, *parts: object) -> str:
        """The padding field of stream deltas: random-looking, but derived."""
        raw = self._digest("obf", *parts)
        return "".join(_ALNUM[b % len(_ALNUM)] for b in raw[: 4 + raw[0] % 12])
