"""How the desktop executor reaches an X display: commands, through one injected runner.

Every input and every screenshot is a command (``xdotool``, ``xwd``,
``xmodmap``) run where the display is. :class:`XDisplay` says where that is,
as a command prefix and an environment:

* a local display (:meth:`XDisplay.local`, e.g. an Xvfb you started):
  ``xdotool ...`` with ``DISPLAY=:99`` in its environment;
* a container (:meth:`XDisplay.container`, the OpenAI guide's Docker
  computer): ``docker exec -i -e DISPLAY=:99 NAME xdotool ...``.

One mechanism for both: only the prefix differs, so the container path is
tested with a fake :class:`CommandRunner` that records the commands, and the
local one for real on an Xvfb. Why commands rather than an in-process X
client (python-xlib's XTest): a container's display is reachable with nothing
but ``docker exec``, and a command costs a few milliseconds against a model's
seconds (measured in the README's "Desktop computers" section).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import ExecutorError

#: Debian packages that provide the commands, for error messages.
INSTALL_HINT = "apt-get install xdotool x11-apps x11-xserver-utils (xdotool, xwd, xmodmap)"


class CommandRunner(Protocol):
    """Runs one command to completion and returns its standard output.

    Raises :class:`~cua_replay.errors.ExecutorError` if it cannot be started,
    exits non-zero or outlasts ``timeout`` seconds (it is then killed).
    """

    async def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        stdin: bytes | None,
        timeout: float,
    ) -> bytes: ...


@dataclass(frozen=True, slots=True)
class XDisplay:
    """Where display commands run: ``prefix + argv`` with ``env`` added to the environment."""

    name: str
    """The X display name (``:99``), as the commands there see it."""
    prefix: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def local(cls, display: str) -> XDisplay:
        """A display on this machine (``:99``), reached through ``DISPLAY``."""
        return cls(display, (), {"DISPLAY": display})

    @classmethod
    def container(cls, container: str, display: str = ":99", *, docker: str = "docker") -> XDisplay:
        """The display ``display`` inside a running container, through ``docker exec``."""
        return cls(display, (docker, "exec", "-i", "-e", f"DISPLAY={display}", container))

    @property
    def label(self) -> str:
        """How messages name this display."""
        where = f" in {self.prefix[-1]}" if self.prefix else ""
        return f"X display {self.name}{where}"

    def command(self, argv: Sequence[str]) -> list[str]:
        return [*self.prefix, *argv]


async def run_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    stdin: bytes | None,
    timeout: float,
) -> bytes:
    """The default :class:`CommandRunner`: a subprocess, its output captured, bounded."""
    environ = {**os.environ, **env} if env else None
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environ,
        )
    except OSError as exc:
        raise ExecutorError(
            f"Could not run {argv[0]!r} ({exc.strerror}); install it: {INSTALL_HINT}.", url=""
        ) from exc
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ExecutorError(
            f"{' '.join(argv[:6])} ... took over {timeout:g} s and was stopped; "
            "is the X display up and responsive?",
            url="",
        ) from None
    if process.returncode != 0:
        reason = (err.decode(errors="replace").strip().splitlines() or ["no message"])[0]
        raise ExecutorError(
            f"{argv[0]} exited with status {process.returncode}: {reason[:200]} "
            f"(command: {' '.join(argv[:6])}...); check the display is running and reachable.",
            url="",
        )
    return out
