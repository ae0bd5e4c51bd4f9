"""Start and stop a private Xvfb: the desktop run's own screen, as Chromium is the browser run's.

Xvfb picks a free display number itself (``-displayfd``) and writes it once it
accepts connections, so there is no guessing of numbers, no race with another
server, and no sleep: we read that number, bounded by ``timeout_s``.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import tempfile
import time
from types import TracebackType
from typing import Any

from ..errors import ExecutorError
from .xdisplay import XDisplay

logger = logging.getLogger(__name__)

INSTALL = "apt-get install xvfb xdotool x11-apps x11-xserver-utils python3-tk"


class VirtualDisplay:
    """A headless X server of ``width x height`` at 24 bits; a context manager.

    ``display`` is its :class:`XDisplay` once started. ``stop()`` terminates it
    (killing it if it does not exit within the bound) and is idempotent.
    """

    def __init__(self, width: int = 1024, height: int = 768, *, timeout_s: float = 10.0) -> None:
        self.width = width
        self.height = height
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None  # Xvfb's messages: a file, so a chatty server never blocks
        self._display: XDisplay | None = None

    @property
    def display(self) -> XDisplay:
        if self._display is None:
            raise ExecutorError("The virtual display is not started; use start() or with.", url="")
        return self._display

    def start(self) -> XDisplay:
        if self._process is not None:
            raise ExecutorError("This virtual display is already started.", url="")
        binary = shutil.which("Xvfb")
        if binary is None:
            raise ExecutorError(f"Xvfb is not installed; install it: {INSTALL}.", url="")
        read, write = os.pipe()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        try:
            self._process = subprocess.Popen(
                [
                    binary,
                    "-displayfd",
                    str(write),
                    "-screen",
                    "0",
                    f"{self.width}x{self.height}x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
            )
            os.close(write)
            write = -1
            number = self._read_number(read)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(read)
            if write != -1:
                os.close(write)
        self._display = XDisplay.local(f":{number}")
        logger.info("started Xvfb on %s (%dx%d)", self._display.name, self.width, self.height)
        return self._display

    def _read_number(self, fd: int) -> str:
        deadline = time.monotonic() + self.timeout_s
        text = b""
        while not text.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 64) if ready else b""
            if not chunk:
                assert self._process is not None
                error = b""
                if self._process.poll() is not None:
                    self._log.seek(0)
                    error = self._log.read()[-300:]
                reason = (
                    error.decode(errors="replace").strip() or "no display number within the bound"
                )
                raise ExecutorError(
                    f"Xvfb did not start ({reason}); check `Xvfb -help` works ({INSTALL}).",
                    url="",
                )
            text += chunk
        return text.decode().strip()

    def stop(self) -> None:
        process, self._process, self._display = self._process, None, None
        log, self._log = self._log, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(self.timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log is not None:
            log.close()

    def __enter__(self) -> XDisplay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
