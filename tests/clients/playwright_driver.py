"""A Playwright driver for the SDK's ``ComputerToolset``, written as a team would (not ours).

``openai.lib.computer`` leaves the driver to the application: one method per
action, each given the SDK's action model, and ``screenshot()`` returning a
``computer_screenshot``. These are the plainest such drivers over Playwright,
sync and async, on the offline fixture site. The hand-written chained loop
(``test_chained_loop.py``) carries its actions out with the sync one too.
"""

from __future__ import annotations

import base64
import mimetypes
from typing import Any

from playwright.async_api import Page as AsyncPage
from playwright.sync_api import BrowserContext, Page, Route

from cua_replay.site import FixtureSite

from .settle import Navigations, async_settle, settle

_BUTTONS = {"left": "left", "right": "right", "wheel": "middle"}


def route_fixture_site(context: BrowserContext) -> None:
    """Serve the fixture site to a sync Playwright context; abort every other request."""
    site = FixtureSite()

    def handle(route: Route) -> None:
        target = site.resolve(route.request.url)
        if target is None:
            route.abort("internetdisconnected")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        route.fulfill(status=200, content_type=content_type, body=target.read_bytes())

    context.route("**/*", handle)


def _screenshot(png: bytes) -> dict[str, str]:
    encoded = base64.b64encode(png).decode("ascii")
    return {"type": "computer_screenshot", "image_url": f"data:image/png;base64,{encoded}"}


def _key(key: str) -> str:
    return {"ctrl": "Control", "cmd": "Meta", "esc": "Escape", "space": " "}.get(
        key.lower(), key[:1].upper() + key[1:].lower() if len(key) > 1 else key
    )


class PlaywrightDriver:
    """A sync ``ComputerDriver``; ``done`` lists what it executed, in ``show``'s words."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.done: list[str] = []
        self.navigations = Navigations(page)

    def click(self, action: Any) -> None:
        self.done.append(f"click {action.button} at ({action.x}, {action.y})")
        self.page.mouse.click(action.x, action.y, button=_BUTTONS.get(action.button, "left"))  # type: ignore[arg-type]

    def double_click(self, action: Any) -> None:
        self.done.append(f"double_click at ({action.x}, {action.y})")
        self.page.mouse.dblclick(action.x, action.y)

    def drag(self, action: Any) -> None:
        points = [(p.x, p.y) for p in action.path]
        self.done.append("drag " + " -> ".join(f"({x}, {y})" for x, y in points))
        self.page.mouse.move(*points[0])
        self.page.mouse.down()
        for point in points[1:]:
            self.page.mouse.move(*point)
        self.page.mouse.up()

    def keypress(self, action: Any) -> None:
        self.done.append(f"keypress {'+'.join(action.keys)}")
        self.page.keyboard.press("+".join(_key(k) for k in action.keys))

    def move(self, action: Any) -> None:
        self.done.append(f"move at ({action.x}, {action.y})")
        self.page.mouse.move(action.x, action.y)

    def scroll(self, action: Any) -> None:
        self.done.append(f"scroll at ({action.x}, {action.y})")
        self.page.mouse.move(action.x, action.y)
        self.page.mouse.wheel(action.scroll_x, action.scroll_y)

    def type(self, action: Any) -> None:
        self.done.append(f"type {action.text!r}")
        self.page.keyboard.type(action.text)

    def wait(self, action: Any) -> None:
        self.done.append("wait")

    def screenshot(self) -> dict[str, str]:
        settle(self.page, self.navigations)  # a click may have followed a link
        return _screenshot(self.page.screenshot())


class AsyncPlaywrightDriver:
    """The async ``AsyncComputerDriver`` counterpart of :class:`PlaywrightDriver`."""

    def __init__(self, page: AsyncPage) -> None:
        self.page = page
        self.done: list[str] = []
        self.navigations = Navigations(page)

    async def click(self, action: Any) -> None:
        self.done.append(f"click {action.button} at ({action.x}, {action.y})")
        await self.page.mouse.click(
            action.x,
            action.y,
            button=_BUTTONS.get(action.button, "left"),  # type: ignore[arg-type]
        )

    async def double_click(self, action: Any) -> None:
        self.done.append(f"double_click at ({action.x}, {action.y})")
        await self.page.mouse.dblclick(action.x, action.y)

    async def drag(self, action: Any) -> None:
        points = [(p.x, p.y) for p in action.path]
        self.done.append("drag " + " -> ".join(f"({x}, {y})" for x, y in points))
        await self.page.mouse.move(*points[0])
        await self.page.mouse.down()
        for point in points[1:]:
            await self.page.mouse.move(*point)
        await self.page.mouse.up()

    async def keypress(self, action: Any) -> None:
        self.done.append(f"keypress {'+'.join(action.keys)}")
        await self.page.keyboard.press("+".join(_key(k) for k in action.keys))

    async def move(self, action: Any) -> None:
        self.done.append(f"move at ({action.x}, {action.y})")
        await self.page.mouse.move(action.x, action.y)

    async def scroll(self, action: Any) -> None:
        self.done.append(f"scroll at ({action.x}, {action.y})")
        await self.page.mouse.move(action.x, action.y)
        await self.page.mouse.wheel(action.scroll_x, action.scroll_y)

    async def type(self, action: Any) -> None:
        self.done.append(f"type {action.text!r}")
        await self.page.keyboard.type(action.text)

    async def wait(self, action: Any) -> None:
        self.done.append("wait")

    async def screenshot(self) -> dict[str, str]:
        await async_settle(self.page, self.navigations)
        return _screenshot(await self.page.screenshot())
