"""The executor contract: run validated actions, report what the screen shows."""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeAlias

from ..actions import Action

PageEventKind: TypeAlias = Literal["tab_opened", "tab_closed", "dialog", "download"]
"""What a page did on its own while an action ran (the ``kind`` of a loop ``PageEvent``)."""

PageRecord: TypeAlias = tuple[PageEventKind, dict[str, Any]]
"""``(kind, detail)``: one thing a page did; ``detail`` holds JSON-ready values only."""


class Executor(Protocol):
    """The executor seam: carry out validated actions and show the screen afterwards.

    Why a seam: the loop decides *what* to do and an executor only *does* it,
    so the same run drives Chromium (:class:`~.playwright.PlaywrightExecutor`),
    hands back recorded screenshots (:class:`~cua_replay.replay.recorded.RecordedExecutor`)
    or a test double, and unit tests need no browser.

    What the loop relies on:

    * ``execute(action)`` gets only actions :func:`cua_replay.actions.parse_call`
      produced (validated, clamped, key-mapped: never raw wire data). It must
      raise if it cannot carry an action out (never skip one silently; a
      :class:`~cua_replay.errors.CuaReplayError` such as
      :class:`~cua_replay.errors.ExecutorError` stops the run as an error) and
      must return only once the page has settled, within a bound;
    * ``screenshot()`` returns PNG bytes of exactly what the model sees next;
    * ``current_url`` is the page the next action acts on: the safety gate
      decides with it and the ``computer_call_output`` reports it.

    Optional: ``drain_events() -> list[PageRecord]`` reports what pages did on
    their own (tabs, dialogs, downloads) since the last call; the loop emits
    them as ``PageEvent``. Structural: no subclassing.
    """

    async def execute(self, action: Action) -> None: ...

    async def screenshot(self) -> bytes: ...

    @property
    def current_url(self) -> str: ...
