"""Resume a recorded run: replay its first steps, then hand the conversation to a live model.

:func:`resume_backend` wraps a live :class:`~cua_replay.backends.ModelBackend`.
Requests before ``from_step`` are answered from the cassette (each checked by
the :class:`~.cursor.ReplayCursor`, as in any replay); from ``from_step`` on,
requests go to the live backend.

How recorded and live ids meet (the "id remapping"):

* Before the switch the code under test only ever sees recorded ids: the
  responses it gets are the recorded ones (``resp_...``, ``rs_...``,
  ``cu_...``, ``call_...``), and its requests chain on them.
* At the switch, a chained request carries ``previous_response_id`` = a
  recorded response id, which the live server has never stored (it was
  recorded elsewhere, or expired, or by a fake server). The backend rewrites
  that one request into a stateless one: ``input`` becomes the conversation
  the id stood for, rebuilt from the cassette by following the recorded
  ``previous_response_id`` links back to their start (each recorded request's
  input items, screenshots expanded back to data URLs from the cassette's
  blobs, each followed by the recorded response's output items), then the
  request's own new input; ``previous_response_id`` is dropped. The recorded
  items keep their recorded ids (``call_id`` pairs a recorded call with the
  live run's ``computer_call_output``); the live model reads them as history.
* After the switch the live server's own ids chain normally: the next
  request's ``previous_response_id`` is the live response the backend just
  returned, and is passed through untouched. Which side an id belongs to is
  decided by the step, never by looking the id up: a live server may issue
  the very strings the recording holds (a fake server with the same seed
  does), and only the switch request is rewritten.
* A full-history run (no ``previous_response_id``) needs no rewriting: its
  requests already carry the whole conversation, recorded ids included.

Limits: the rebuilt history is what the cassette holds, so text the recording
redacted goes to the live model redacted, and encrypted reasoning a different
service issued cannot be decrypted by the live one (a chained recording keeps
no encrypted reasoning, so only full-history recordings carry any).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openai.types.responses import Response

from ..cassette.canonical import expand
from ..cassette.store import Cassette, load_cassette
from ..errors import InvalidSetting
from .options import ReplayOptions
from .session import ReplaySession

if TYPE_CHECKING:
    from ..backends import ModelBackend


class ResumeBackend:
    """Steps ``< from_step`` from the cassette, the rest from ``live``; see the module docstring."""

    def __init__(
        self,
        cassette: Cassette,
        live: ModelBackend,
        *,
        from_step: int,
        options: ReplayOptions | None = None,
    ) -> None:
        check_from_step(cassette, from_step)
        self.cassette = cassette
        self.live = live
        self.from_step = from_step
        self.session = ReplaySession(cassette, options)
        self.requests = 0
        """Requests seen so far (the step of the last one)."""
        self._by_id: dict[str, int] = {}
        for step in cassette.steps:
            response_id = (step.response or {}).get("id")
            if isinstance(response_id, str):
                self._by_id[response_id] = step.step

    @property
    def live_now(self) -> bool:
        """Whether the next request goes to the live backend."""
        return self.requests + 1 >= self.from_step

    async def create(self, request: dict[str, Any]) -> Response:
        self.requests += 1
        if self.requests < self.from_step:
            return await self.session.backend.create(request)
        if self.requests == self.from_step:
            request = self.stateless(request)
        return await self.live.create(request)

    def stateless(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request`` with a recorded ``previous_response_id`` replaced by the history it names."""
        previous = request.get("previous_response_id")
        step = self._by_id.get(previous) if isinstance(previous, str) else None
        if step is None:
            return request
        rebuilt = {key: value for key, value in request.items() if key != "previous_response_id"}
        rebuilt["input"] = self.history(step) + _items(request.get("input"))
        return rebuilt

    def history(self, step: int) -> list[Any]:
        """The conversation up to and including recorded ``step``'s response, as input items."""
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = step
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            previous = self.cassette.request(current).get("previous_response_id")
            current = self._by_id.get(previous) if isinstance(previous, str) else None
        items: list[Any] = []
        for number in reversed(chain):
            record = self.cassette.steps[number - 1]
            items += _items(self.cassette.request(number).get("input"))
            items += copy.deepcopy((record.response or {}).get("output") or [])
        expanded: list[Any] = expand(items, self.cassette.blobs.get)
        return expanded

    async def aclose(self) -> None:
        await self.session.backend.aclose()
        await self.live.aclose()

    def __repr__(self) -> str:
        return (
            f"ResumeBackend({self.cassette.directory}, from_step={self.from_step}, "
            f"requests={self.requests}, live={self.live!r})"
        )


def check_from_step(cassette: Cassette, from_step: int) -> None:
    """Raise :class:`InvalidSetting` unless ``from_step`` is 1 to one past the last step."""
    recorded = len(cassette.steps)
    if isinstance(from_step, bool) or not isinstance(from_step, int):
        raise InvalidSetting(
            f"from_step={from_step!r} must be an int step number, e.g. 3.", setting="from_step"
        )
    if not 1 <= from_step <= recorded + 1:
        raise InvalidSetting(
            f"from_step={from_step} is outside the recording in {cassette.directory}, which "
            f"has {recorded} step(s): pass --from-step between 1 and {recorded + 1}.",
            setting="from_step",
        )


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(copy.deepcopy(value))


def resume_backend(
    cassette: Cassette | Path | str,
    live: ModelBackend,
    *,
    from_step: int,
    options: ReplayOptions | None = None,
) -> ResumeBackend:
    """A backend replaying ``cassette`` before ``from_step`` and sending the rest to ``live``."""
    if not isinstance(cassette, Cassette):
        cassette = load_cassette(cassette)
    return ResumeBackend(cassette, live, from_step=from_step, options=options)
