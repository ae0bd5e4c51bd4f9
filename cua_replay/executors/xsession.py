"""A desktop run's surroundings: the display, the executor, the app, and what it shows at the end.

:func:`open_desktop` is to a desktop run what :func:`cua_replay.sandbox.open_sandbox`
is to a browser run: with no display given it starts a private Xvfb of the
run's display size (and stops it after); on ``--x-display :99`` it uses that
display, whose size must then be the run's (the model's screenshots are the
screen, pixel for pixel: ``--display WxH`` says which). A scenario whose
start page is :data:`~cua_replay.executors.xfixture.START_URL` gets the
bundled app started on the display.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from ..errors import InvalidSetting
from ..geometry import Viewport
from .desktop import DesktopExecutor
from .xdisplay import XDisplay
from .xfixture import START_URL, FixtureApp
from .xvfb import VirtualDisplay


@dataclass(frozen=True)
class Desktop:
    """What the loop runs on: the executor, the coordinate mapping, and the app if any."""

    executor: DesktopExecutor
    viewport: Viewport
    app: FixtureApp | None

    def check(self, done: Mapping[str, str]) -> tuple[dict[str, str], bool]:
        """The app's state for ``done``'s keys, and whether each holds the wanted text."""
        state = self.app.state() if self.app is not None else {}
        texts = {key: state.get(key, "") for key in done}
        return texts, all(want in texts[key] for key, want in done.items())


@contextlib.asynccontextmanager
async def open_desktop(
    *,
    display: tuple[int, int],
    x_display: str | None = None,
    start_url: str = "",
) -> AsyncIterator[Desktop]:
    """The desktop for a run whose model sees ``display``-sized screenshots."""
    width, height = display
    async with contextlib.AsyncExitStack() as stack:
        if x_display is None:
            target = stack.enter_context(VirtualDisplay(width, height))
        else:
            target = XDisplay.local(x_display)
        executor = DesktopExecutor(target)
        if await executor.size() != (width, height):
            screen = "x".join(map(str, await executor.size()))
            raise InvalidSetting(
                f"{target.label} is {screen} but the run's display is {width}x{height}; "
                f"pass --display {screen}.",
                setting="display",
            )
        viewport = Viewport(width, height)
        app = None
        if start_url == START_URL:
            app = await stack.enter_async_context(FixtureApp(target))
        yield Desktop(executor, viewport, app)
