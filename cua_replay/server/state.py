"""What the fake server remembers: stored responses, conversations, and the items it emitted.

The brain never reads this; the contract checker does (to resolve
``previous_response_id`` and pair calls with outputs), and the app writes it
after a response is built. Everything runs on the server's one event loop, so
there are no locks: no ``await`` falls between a read and the write it guards.
"""

from __future__ import annotations

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
    input_items: list[dict[str, Any]]
    conversation: Conversation
    progress: int
    """Script steps taken by the chain up to and including this response: every
    ``computer_call_output`` answered and every assistant message, its own included."""
    context_tokens: int
    stored: bool
    pending_calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The response's computer calls by ``call_id``: the next request must answer each."""


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
