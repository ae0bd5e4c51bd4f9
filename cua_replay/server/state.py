"""What the fake server remembers: stored responses, conversations, and the items it emitted.

The brain never reads this; the contract checker does (to resolve
``previous_response_id`` and pair calls with outputs), and the app writes it
after a response is built. Everything runs on the server's one event loop, so
there are no locks: no ``await`` falls between a read and the write it guards.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable, Iterable, Sequence
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
    images: tuple[str, ...] = ()
    """The image URLs its ``input_items`` hold, each a holder's count in :class:`Images`."""


@dataclass(eq=False)
class _Kept:
    url: str
    holders: int


class Images:
    """Image URLs of stored input items, each distinct one kept once, by its content.

    A full-history client resends every screenshot with every request, and each
    request parses them into new strings: kept as they came, a 50-step run held
    1,275 copies of 50 screenshots (467 MB). Here each stored item points at the
    one string kept for its content, as a cassette's steps point at one blob, and
    a count of the responses holding it frees it with the last of them.

    Keyed by the string itself rather than a SHA-256: the dict hashes it once
    (SipHash, ~2.5x cheaper than SHA-256 on a screenshot) and confirms a match by
    comparing the bytes, so a collision cannot merge two images.
    """

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, url: str) -> str:
        """The one string kept for ``url``'s content; counts one more holder."""
        kept = self._kept.get(url)
        if kept is None:
            kept = self._kept[url] = _Kept(url, 0)
        kept.holders += 1
        return kept.url

    def release(self, urls: Iterable[str]) -> int:
        """One holder fewer for each image; an image no one holds is forgotten.

        Returns how many characters of images were forgotten.
        """
        forgotten = 0
        for url in urls:
            kept = self._kept[url]
            kept.holders -= 1
            if kept.holders == 0:
                del self._kept[url]
                forgotten += len(url)
        return forgotten


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
    return trim


def give_back_memory() -> None:
    """Return the C heap's free pages to the system.

    A forgotten screenshot is a multi-megabyte string, and freeing it hands it to
    the C allocator, not the system: glibc raises its mmap threshold after the
    first such free, so later ones come from a heap it does not shrink, and a
    server that had accepted 150 distinct 2.4 MB screenshots stayed at 534 MiB
    after every response was deleted. ``malloc_trim`` gives the free pages back
    (69.6 MiB; tools/bench_server_memory.py --delete --distinct). Called only when a
    ``DELETE`` forgets images, so the request path pays nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


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
            images: list[str] = []
            response.input_items = [self._shared(item, images) for item in inputs]
            response.images = tuple(images)
        self.responses[response.id] = response

    def forget(self, response: StoredResponse) -> None:
        """``DELETE``: the response is no longer retrievable and lets go of its input items.

        Images no other stored response holds are forgotten, and their memory goes back
        to the system (:func:`give_back_memory`).
        """
        response.stored = False
        response.input_items = ()
        images, response.images = response.images, ()
        forgotten = self.images.release(images)
        del images  # the last references: the strings are freed here
        if forgotten:
            give_back_memory()

    def _shared(self, item: dict[str, Any], images: list[str]) -> dict[str, Any]:
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
