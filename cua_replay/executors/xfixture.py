"""The bundled desktop app the desktop scenarios run on: the fixture site's counterpart.

A small Tk window at the screen's top-left, every widget at a fixed place so
a scripted model can hit it: a name field (100,100 300x30), a Submit button
(100,150 100x30) that greets the name in a status line, a list of 100 items
(500,100 200x200) that the wheel scrolls, a canvas (100,300 300x200) whose
square follows a drag, and a recorder of the last key pressed. After every
change the app writes its state (``{"status": ..., "top": ..., "square":
..., "last_key": ..., "name": ...}``) as JSON to the ``--state`` file, which
is what a scenario's ``done.text`` is checked against.

:class:`FixtureApp` starts it on a local display and waits (bounded) for its
"ready" line; run it by hand with ``python -m cua_replay.executors.xfixture
--state /tmp/state.json`` under a ``DISPLAY``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ExecutorError
from .xdisplay import XDisplay

#: Scenario start pages that open this app: ``start_url: app:desktop-form``.
START_URL = "app:desktop-form"


class FixtureApp:
    """The app as a subprocess on ``display``; ``async with`` starts and stops it."""

    def __init__(self, display: XDisplay, *, timeout_s: float = 20.0) -> None:
        if display.prefix:
            raise ExecutorError(
                f"The bundled desktop app runs on a local display, not on {display.label}; "
                "start your own app in the container.",
                url="",
            )
        self.display = display
        self.timeout_s = timeout_s
        self._dir = tempfile.TemporaryDirectory(prefix="cua-replay-app-")
        self.state_file = Path(self._dir.name) / "state.json"
        self._process: asyncio.subprocess.Process | None = None

    def state(self) -> dict[str, str]:
        """What the app shows now, as it last wrote it."""
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()}

    async def __aenter__(self) -> FixtureApp:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            "--state",
            str(self.state_file),
            env={**os.environ, **self.display.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), self.timeout_s)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            await self.__aexit__(None, None, None)
            raise ExecutorError(
                f"The bundled desktop app did not start on {self.display.label}; "
                "check Python's tkinter works there (Debian: apt-get install python3-tk).",
                url="",
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), self.timeout_s)
            except TimeoutError:
                process.kill()
                await process.wait()
        self._dir.cleanup()


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs in a subprocess
    import tkinter as tk

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    root = tk.Tk()
    root.title("cua-replay desktop form")
    root.geometry("1024x768+0+0")
    state: dict[str, Any] = {"status": "", "top": 0, "square": "", "last_key": "", "name": ""}

    def save() -> None:
        partial = args.state.with_suffix(".tmp")
        partial.write_text(json.dumps(state))
        partial.replace(args.state)

    name = tk.Entry(root, name="name")
    name.place(x=100, y=100, width=300, height=30)
    status = tk.Label(root, name="status", anchor="w")
    status.place(x=100, y=200, width=350, height=30)

    def submit() -> None:
        state["status"] = f"Hello, {name.get()}!"
        status.configure(text=state["status"])
        save()

    tk.Button(root, text="Submit", command=submit).place(x=100, y=150, width=100, height=30)
    items = tk.Listbox(root, name="items")
    items.insert("end", *(f"Item {n}" for n in range(1, 101)))
    items.place(x=500, y=100, width=200, height=200)

    def scrolled(first: float, last: float) -> None:
        state["top"] = int(items.index("@0,0"))
        save()

    items.configure(yscrollcommand=scrolled)
    canvas = tk.Canvas(root, name="drag", background="#dde")
    canvas.place(x=100, y=300, width=300, height=200)
    square = canvas.create_rectangle(10, 10, 40, 40, fill="#36c")

    def drag(event: Any) -> None:
        canvas.coords(square, event.x - 15, event.y - 15, event.x + 15, event.y + 15)

    def drop(event: Any) -> None:
        drag(event)
        state["square"] = f"{event.x},{event.y}"
        save()

    canvas.bind("<B1-Motion>", drag)
    canvas.bind("<ButtonRelease-1>", drop)

    def key(event: Any) -> None:
        state["last_key"] = event.keysym
        state["name"] = name.get()
        save()

    root.bind_all("<KeyRelease>", key)
    root.update()
    if not root.winfo_viewable():  # already mapped if update() saw the MapNotify
        root.wait_visibility()
    root.focus_force()
    root.update()
    save()
    print("ready", flush=True)
    root.mainloop()


if __name__ == "__main__":  # pragma: no cover
    main()
