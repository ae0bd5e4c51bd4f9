"""An executor without a browser: the recorded screenshots and URLs, in the order they were taken.

:class:`RecordedExecutor` is what the loop needs from an executor
(``execute``, ``screenshot``, ``current_url``, plus ``drain_events`` and the
``blocked`` list a domain policy keeps), served from a cassette. Each
``screenshot()`` returns the next recorded observation (the one taken before
the first request, then one per computer call) and moves ``current_url`` to
the URL recorded with it; each ``execute(action)`` checks the action against
the next recorded one, field by field, and moves ``current_url`` to the URL
recorded after it. A step's page events (new tabs, dialogs, downloads,
blocked requests) come back after the step's last recorded action, so a run
that stopped at a blocked host stops there again.

Given the :class:`~cua_replay.replay.session.ReplaySession` of the replay,
the executor also checks that each action happens at its recorded step, and a
divergence becomes the session's failure (the loop keeps only its text).
Asking for more than was recorded raises an ``exhausted``
:class:`~cua_replay.errors.ReplayMismatch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..actions import Action, Click
from ..cassette.format import Observation
from ..errors import ReplayMismatch
from ..executors.base import PageRecord
from .behaviour import action_mismatch, past_the_actions, recorded_actions

if TYPE_CHECKING:
    from ..cassette.store import Cassette
    from .session import ReplaySession


class RecordedExecutor:
    """Serves ``cassette``'s observations and checks each action against its recorded twin."""

    def __init__(self, cassette: Cassette, session: ReplaySession | None = None) -> None:
        self.cassette = cassette
        self.session = session
        self._observations: list[tuple[int, Observation]] = [
            (step.step, observation) for step in cassette.steps for observation in step.observations
        ]
        self._actions = recorded_actions(cassette)
        last: dict[int, int] = {}
        for position, (step, _) in enumerate(self._actions):
            last[step] = position
        self._ends_step = {position: step for step, position in last.items()}
        self._action = 0
        self._observation = 0
        self._events: list[PageRecord] = []
        self._back_expected = 0
        self.blocked: list[str] = []
        """Hosts the recorded page tried to reach (the loop's domain check reads and clears it)."""
        first = self._observations[0][1].url if self._observations else None
        self._url = first or cassette.manifest.start_url or ""

    @property
    def current_url(self) -> str:
        return self._url

    async def execute(self, action: Action) -> None:
        if isinstance(action, Click) and action.button == "back" and self._back_expected:
            self._back_expected -= 1  # the loop going back from a blocked host (on_blocked=back)
            return
        live = action.model_dump(mode="json")
        position = self._action
        step = self.session.cursor.position if self.session is not None else None
        if position >= len(self._actions):
            self._fail(
                past_the_actions(self.cassette, step or 0, live, len(self._actions)), fatal=True
            )
            return
        self._action += 1
        recorded_step, recorded = self._actions[position]
        mismatch = action_mismatch(self.cassette, recorded_step, recorded, live, step=step)
        if mismatch is not None:
            self._fail(mismatch)
        self._url = recorded.url
        if position in self._ends_step:
            self._replay_page_events(self._ends_step[position])

    async def screenshot(self) -> bytes:
        position = self._observation
        if position >= len(self._observations):
            # The initial screenshot belongs to step 1, every later one to the step in flight.
            step = (self.session.cursor.position if self.session is not None else 0) or 1
            self._fail(
                ReplayMismatch(
                    step,
                    "exhausted",
                    f"the run asked for screenshot {position + 1}, but the recording has only "
                    f"{len(self._observations)}. Re-record the cassette if the new behaviour is "
                    "right.",
                    cassette=self.cassette.directory,
                ),
                fatal=True,
            )
        self._observation += 1
        _, observation = self._observations[position]
        self._url = observation.url
        return self.cassette.blob(observation.screenshot)

    def drain_events(self) -> list[PageRecord]:
        """The recorded page events due now (see the module docstring), oldest first."""
        events, self._events = self._events, []
        return events

    def _replay_page_events(self, step: int) -> None:
        on_blocked = self.cassette.manifest.settings.on_blocked
        for event in self.cassette.steps[step - 1].page_events:
            detail: dict[str, Any] = {k: v for k, v in event.items() if k != "kind"}
            if event.get("kind") == "blocked_request":
                self.blocked.append(str(detail.get("url", "")))
                if on_blocked == "back":
                    self._back_expected += 1
            else:
                self._events.append((event.get("kind"), detail))  # type: ignore[arg-type]

    def _fail(self, mismatch: ReplayMismatch, *, fatal: bool = False) -> None:
        if self.session is None:
            raise mismatch
        if fatal:
            raise self.session.fail(mismatch)
        self.session.report(mismatch)

    def __repr__(self) -> str:
        return (
            f"RecordedExecutor({self.cassette.directory}, action {self._action}/"
            f"{len(self._actions)}, screenshot {self._observation}/{len(self._observations)})"
        )
