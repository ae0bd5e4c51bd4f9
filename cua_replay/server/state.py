"""What the fake server remembers: stored responses, conversations, and the items it emitted.

The brain never reads this; the contract checker does (to resolve
``previous_response_id`` and pair calls with outputs), and the app writes it
after a response is built. Everything runs on the server's one event loop, so
there are no locks: no ``await`` falls between a read and the write it guards.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ids import IdFactory


@dataclass(eq=False)
class Conversation:
    """A chain of responses from one first request; numbers its own ids."""

    number: int
    task: str | None
    counter: int = 0

    def tick(self) -> int:
        self.counter += 1
        return self.counter


@dataclass(frozen=True)
class EmittedItem:
    """An output item the server produced, kept to check it when a client replays it."""

    item: dict[str, Any]
    conversation: Conversation
    reasoning_id: str | None = None
    """The reasoning item emitted right before this one, which must precede it on replay."""
    produces: str | None = None
    """For a reasoning item: the id of the item it produced, which must follow it."""


@dataclass(eq=False)
class StoredResponse:
    id: str
    body: dict[str, Any]
    raw: bytes
    """The exact bytes sent, so ``GET`` returns byte-identical JSON."""
    input_items: Sequence[dict[str, Any]]
    """What ``input_items`` lists, oldest first, ids given. Empty unless the response is
    stored (nothing else can list them): see :meth:`ServerState.save`."""
    conversation: Conversation
    progress: int
    """Script steps taken by the chain up to and including this response: every
    ``computer_call_output`` answered and every assistant message, its own included."""
    context_tokens: int
    stored: bool
    pending_calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The response's computer calls by ``call_id``: the next request must answer each."""
    images: tuple[KeptImage, ...] = ()
    """The images its ``input_items`` hold, each a holder's count in :class:`Images`."""


class KeptImage:
    """The one copy of a screenshot that stored input items share, kept off the Python heap.

    Stored items hold this in place of their ``image_url`` string; :meth:`url` gives
    the string back when the items are listed.
    """

    __slots__ = ("_buffer", "digest", "size")

    def __init__(self, digest: bytes, data: bytes) -> None:
        self.digest = digest
        self.size = len(data)
        self._buffer = mmap.mmap(-1, max(1, self.size))
        self._buffer.write(data)

    def __repr__(self) -> str:
        return f"KeptImage(sha256:{self.digest.hex()[:12]}…, {self.size:,} bytes)"

    def url(self) -> str:
        return self._buffer[: self.size].decode("utf-8")

    def close(self) -> None:
        self._buffer.close()


@dataclass(eq=False)
class _Kept:
    image: KeptImage
    holders: int


class Images:
    """Image URLs of stored input items, each distinct one kept once, by its SHA-256.

    A full-history client resends every screenshot with every request, and each
    request parses them into new strings: kept as they came, a 50-step run held
    1,275 copies of 50 screenshots (467 MB). Here each stored item points at the
    one :class:`KeptImage` for its content, as a cassette's steps point at one
    blob, and a count of the responses holding it frees it with the last of them.

    Each kept image lives in its own anonymous memory map, not in a Python string:
    freeing a multi-megabyte string hands it back to the C allocator, which keeps
    it (glibc raises its mmap threshold after the first such free, so later ones
    come from a heap it does not shrink), and a server that had seen 150 2.4 MB
    screenshots stayed at 534 MiB after every response was deleted. Closing a map
    returns its pages to the system at once (tools/bench_server_memory.py --delete).
    """

    def __init__(self) -> None:
        self._kept: dict[bytes, _Kept] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, url: str) -> KeptImage:
        """The one image kept for ``url``'s content; counts one more holder."""
        data = url.encode("utf-8")
        digest = hashlib.sha256(data).digest()
        kept = self._kept.get(digest)
        if kept is None:
            kept = self._kept[digest] = _Kept(KeptImage(digest, data), 0)
        kept.holders += 1
        return kept.image

    def release(self, images: Iterable[KeptImage]) -> None:
        """One holder fewer for each image; an image no one holds is forgotten."""
        for image in images:
            kept = self._kept[image.digest]
            kept.holders -= 1
            if kept.holders == 0:
                del self._kept[image.digest]
                image.close()


@dataclass(frozen=True)
class RequestRecord:
    """One handled request, for tests and ``serve``'s log. Never holds headers or bodies."""

    method: str
    path: str
    status: int
    code: str | None = None
    response_id: str | None = None


class ServerState:
    def __init__(self, seed: str) -> None:
        self.ids = IdFactory(seed)
        self.responses: dict[str, StoredResponse] = {}
        self.conversations: list[Conversation] = []
        self.items: dict[str, EmittedItem] = {}
        self.images = Images()
        self.calls: dict[str, EmittedItem] = {}
        self.requests = 0
        self.log: list[RequestRecord] = []
        self.finished: list[str] = []
        """Response ids that carried a scenario's final message."""

    def new_conversation(self, task: str | None) -> Conversation:
        conversation = Conversation(len(self.conversations), task)
        self.conversations.append(conversation)
        return conversation

    def next_request_id(self) -> str:
        self.requests += 1
        return self.ids.request_id(self.requests)

    def retrievable(self, response_id: str) -> StoredResponse | None:
        found = self.responses.get(response_id)
        return found if found is not None and found.stored else None

    def save(self, response: StoredResponse, inputs: Sequence[dict[str, Any]]) -> None:
        """Keep ``response``; a stored one keeps ``inputs`` too, each image shared by content."""
        if response.stored:
            images: list[KeptImage] = []
            response.input_items = [self._shared(item, images) for item in inputs]
            response.images = tuple(images)
        self.responses[response.id] = response

    def forget(self, response: StoredResponse) -> None:
        """``DELETE``: the response is no longer retrievable and lets go of its input items."""
        response.stored = False
        response.input_items = ()
        self.images.release(response.images)
        response.images = ()

    def listable(self, item: dict[str, Any]) -> dict[str, Any]:
        """A stored input item as it was sent: each :class:`KeptImage` back to its URL."""
        kind = item.get("type") or "message"
        if kind == "computer_call_output":
            output = item["output"]
            kept = output.get("image_url")
            if isinstance(kept, KeptImage):
                return {**item, "output": {**output, "image_url": kept.url()}}
        elif kind == "message" and isinstance(item.get("content"), list):
            content = [
                {**part, "image_url": part["image_url"].url()}
                if isinstance(part.get("image_url"), KeptImage)
                else part
                for part in item["content"]
            ]
            return {**item, "content": content}
        return item

    def _shared(self, item: dict[str, Any], images: list[KeptImage]) -> dict[str, Any]:
        """``item`` with each image URL it carries replaced by the one kept copy."""
        kind = item.get("type") or "message"
        if kind == "computer_call_output":
            output = item["output"]
            url = output.get("image_url")
            if isinstance(url, str):
                shared = self.images.keep(url)
                images.append(shared)
                return {**item, "output": {**output, "image_url": shared}}
        elif kind == "message" and isinstance(item.get("content"), list):
            content: list[Any] = []
            for part in item["content"]:
                url = part.get("image_url") if part.get("type") == "input_image" else None
                if isinstance(url, str):
                    shared = self.images.keep(url)
                    images.append(shared)
                    part = {**part, "image_url": shared}
                content.append(part)
            return {**item, "content": content}
        return item

    def remember_output(self, output: list[dict[str, Any]], conversation: Conversation) -> None:
        reasoning: str | None = None
        for item in output:
            item_id = item["id"]
            if item["type"] == "reasoning":
                reasoning = item_id
                self.items[item_id] = EmittedItem(item, conversation)
                continue
            emitted = EmittedItem(item, conversation, reasoning_id=reasoning)
            self.items[item_id] = emitted
            if reasoning is not None:
                self.items[reasoning] = EmittedItem(
                    self.items[reasoning].item, conversation, produces=item_id
                )
            reasoning = None
            if item["type"] == "computer_call":
                self.calls[item["call_id"]] = emitted
