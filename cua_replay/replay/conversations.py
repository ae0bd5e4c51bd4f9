"""Which recorded step answers a request, when several conversations share one replay.

Used by the proxy and, under ``--cua-record-mode new``, by the pytest
plugin's client fixtures; the proxy is the case that needs it most.

A proxy serves whoever points a base URL at it: two agents, a test's threads,
a chained client and a stateless one, their requests interleaved in whatever
order the scheduler picks. Recording through it writes their steps into one
cassette in the order they ended, so replay cannot take the steps in recorded
order (the replay cursor's :meth:`~cua_replay.replay.cursor.ReplayCursor.next`)
nor count a conversation's position in a cassette holding a single one
(:meth:`~cua_replay.replay.cursor.ReplayCursor.for_progress`). It follows the
links the requests themselves carry instead.

The recorded conversations
    A step *continues* the step whose response its request names: by
    ``previous_response_id`` (a chaining client), or else by the last input
    item carrying a ``call_id`` or an ``id`` (a stateless client sends the
    previous output back, ending with the ``computer_call_output`` for the
    last call). A step that continues none *starts* a conversation.

Choosing the step for a live request
    The proxy replays the recorded responses as they are, so the ids a client
    sends back are the recording's, and its link names the recorded step it
    continues (or the steps: an upstream restarted with the same seed may have
    issued an id twice; their continuations are all candidates). The
    candidates are those continuations (or, for a request linking to nothing,
    the steps that start a conversation), not yet served ones first, in
    recorded order; the first whose request the match policy accepts is
    served. Two clients asking the same first question therefore get the two
    recorded conversations in turn, and each then follows its own; a client
    run again through the same proxy replays again (served steps come last).
    When no candidate matches, the first one is checked again to raise the
    ``ReplayMismatch`` naming its step and the differing fields (and writing
    the PNGs); a continuation with no candidate at all is ``exhausted``.

``new`` (record the rest)
    Under ``record_rest`` a request with no recorded counterpart (no candidate
    matches, the conversation's recording ends before it, or it links to a
    response the recording never issued, i.e. one the upstream issued while
    recording the rest) raises :class:`_Unrecorded` instead, and the proxy (or
    the client fixture) sends it upstream and records it.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from ..cassette.conversations import continued_id, issued_ids
from ..cassette.format import StepRecord
from ..errors import ReplayMismatch
from .cursor import ReplayCursor

_START: Final = 0
"""The link of a request that continues no response: it starts a conversation."""


class _Unrecorded(LookupError):
    """The request has no recorded counterpart: under ``new`` it is sent upstream and recorded.

    A signal from :meth:`Conversations.select` to the proxy or the client
    fixture's transport, through the replay core, which lets it pass; it never
    reaches a user.
    """


class Conversations:
    """Picks the recorded step for each live request (see the module docstring).

    Its :meth:`select` is the ``select`` of the
    :class:`~cua_replay.replay.http.HttpReplayer` (the proxy's, or the client
    fixtures' under ``new``), which calls it under its lock.
    """

    def __init__(self, cursor: ReplayCursor, *, record_rest: bool = False) -> None:
        self.cursor = cursor
        self.record_rest = record_rest
        self._issued: dict[str, list[int]] = {}
        """Every id a recorded response holds (its own, its items', their call ids) -> steps.

        Usually one step; several when ids repeat (an upstream that restarted with
        the same seed, a fake server recorded twice under ``new``)."""
        self._next: dict[int, list[int]] = {_START: []}
        """A step (or ``_START``) -> the steps continuing it, in recorded order."""
        self._served: set[int] = set()
        self._lock = threading.Lock()
        for step in cursor.cassette.steps:
            request = cursor.cassette.request(step.step)
            for link in self._links(request) or [_START]:
                self._next.setdefault(link, []).append(step.step)
            for value in issued_ids(step.response or {}):
                self._issued.setdefault(value, []).append(step.step)

    def select(self, request: dict[str, Any]) -> StepRecord:
        """The step answering ``request``; raises ``ReplayMismatch`` or :class:`_Unrecorded`."""
        links = self._links(request)
        with self._lock:
            if not links:
                return self._unlinked(request)
            candidates = sorted({s for link in links for s in self._next.get(link, [])})
            order = [s for s in candidates if s not in self._served] + [
                s for s in candidates if s in self._served
            ]
            if len(order) == 1 and not self.record_rest:
                return self._checked(order[0], request)  # the only one: one check, which explains
            for number in order:
                if self.cursor.matches(number, request):
                    return self._checked(number, request)
            if self.record_rest:
                raise _Unrecorded("no recorded step answers this request")
            if not order:
                raise self._exhausted(links[-1])
            return self._checked(order[0], request)  # raises the mismatch, with the PNGs

    def _checked(self, number: int, request: dict[str, Any]) -> StepRecord:
        step = self.cursor.check(number, request)
        self._served.add(number)
        return step

    def _links(self, request: dict[str, Any]) -> list[int]:
        """The steps ``request`` may continue, ``[_START]``, or none for an id never recorded."""
        link = continued_id(request)
        return [_START] if link is None else self._issued.get(link, [])

    def _unlinked(self, request: dict[str, Any]) -> StepRecord:
        if self.record_rest:
            raise _Unrecorded("the request continues a response the recording never issued")
        previous = request.get("previous_response_id")
        named = (
            f"previous_response_id '{previous}'"
            if isinstance(previous, str)
            else "its last input item's call_id/id"
        )
        raise ReplayMismatch(
            len(self.cursor.cassette.steps) + 1,
            "request",
            f"the request continues {named}, which no recorded response issued (a response "
            "from another run or another proxy?). Replay the whole conversation through this "
            "proxy, or record it: --record-mode new records what the cassette lacks",
            cassette=self.cursor.cassette.directory,
        )

    def _exhausted(self, link: int) -> ReplayMismatch:
        return ReplayMismatch(
            link,
            "exhausted",
            f"the client continued the conversation after step {link}, where its recording "
            "ends. Re-record the cassette if the new behaviour is right (--record-mode all), "
            "or record just the rest (--record-mode new)",
            cassette=self.cursor.cassette.directory,
        )
