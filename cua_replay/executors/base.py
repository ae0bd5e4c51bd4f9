"""The executor contract: run validated actions, report what the screen shows."""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeAlias

from ..actions import Action

PageEventKind: TypeAlias = Literal["tab_opened", "tab_closed", "dialog", "download"]
"""What a page did on its own while an action ran (the ``kind`` of a loop ``PageEvent``)."""

PageRecord: TypeAlias = tuple[PageEventKind, dict[str, Any]]
"""``(kind, detail)``: one thing a page did; ``detail`` holds JSON-ready values only."""


class Executor(Protocol):
    """Runs actions that :func:`cua_replay.actions.parse_call` produced.

    ``execute`` must raise if it cannot carry an action out (never skip it
    silently) and must return only once the page has settled, within a bound.
    ``screenshot`` returns PNG bytes of what the model will see next.
    """

    async def execute(self, action: Action) -> None: ...

    async def screenshot(self) -> bytes: ...

    @property
    def current_url(self) -> str: ...
