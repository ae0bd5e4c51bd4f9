"""Keysyms the display's keymap lacks (``é``, ``€``, F13-F24), bound before they are pressed.

An X client turns a key event into a keysym through the *current* keymap, so
a keysym no key produces must first be bound to a keycode. xdotool does that
itself, on a scratch keycode it unbinds right after the key event; a client
that reads the keymap a moment later then sees nothing (measured: with no
delay between keys, ``é`` and ``€`` never arrived). So we bind first, with
``xmodmap``, onto keycodes the keymap leaves empty, and leave the binding in
place: the client's ``MappingNotify`` arrives before the key event, and the
mapping it then reads is still ours. When the empty keycodes run out, the
binding used longest ago is replaced.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from ..errors import ExecutorError
from .xkeys import Keysym

Run = Callable[[Sequence[str]], Awaitable[bytes]]
"""Runs one command on the display and returns its output."""

_ROW = re.compile(r"^\s+(\d+)\s(.*)$")
_VALUE = re.compile(r"0x([0-9a-fA-F]+)")


def parse_keymap(text: str) -> tuple[dict[int, int], list[int]]:
    """``xmodmap -pk`` -> ({keysym value: keycode} on the two unmodified levels, empty keycodes)."""
    present: dict[int, int] = {}
    empty: list[int] = []
    for line in text.splitlines():
        row = _ROW.match(line)
        if row is None:
            continue
        keycode = int(row.group(1))
        values = [int(v, 16) for v in _VALUE.findall(row.group(2))]
        if not any(values):
            empty.append(keycode)
            continue
        for value in values[:2]:
            if value:
                present.setdefault(value, keycode)
    return present, empty


class KeymapBinder:
    """Keeps the keysyms an action needs bound; reads the keymap once, on first use."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._present: dict[int, int] | None = None
        self._bound: OrderedDict[int, int] = OrderedDict()  # keycode -> value, oldest first
        self._free: list[int] = []

    @property
    def capacity(self) -> int:
        """How many distinct missing keysyms one :meth:`ensure` can bind."""
        return len(self._free) + len(self._bound)

    async def load(self) -> None:
        if self._present is None:
            text = (await self._run(["xmodmap", "-pk"])).decode(errors="replace")
            self._present, self._free = parse_keymap(text)

    def missing(self, keysyms: Sequence[Keysym]) -> list[Keysym]:
        """The distinct keysyms among ``keysyms`` that no key produces yet."""
        assert self._present is not None, "load() first"
        seen: dict[int, Keysym] = {}
        for sym in keysyms:
            if sym.value not in self._present and sym.value not in seen:
                seen[sym.value] = sym
        return list(seen.values())

    def chunks(self, keysyms: Sequence[Keysym]) -> list[list[Keysym]]:
        """``keysyms`` split so no piece needs more new bindings than there are keycodes."""
        pieces: list[list[Keysym]] = [[]]
        for sym in keysyms:
            candidate = [*pieces[-1], sym]
            if pieces[-1] and len(self.missing(candidate)) > self.capacity:
                pieces.append([sym])
            else:
                pieces[-1] = candidate
        return [piece for piece in pieces if piece]

    async def ensure(self, keysyms: Sequence[Keysym]) -> None:
        """Bind every keysym in ``keysyms`` that no key produces, in one ``xmodmap`` command."""
        await self.load()
        assert self._present is not None
        needed = self.missing(keysyms)
        for sym in keysyms:  # already ours: now recently used
            keycode = self._present.get(sym.value)
            if keycode is not None and keycode in self._bound:
                self._bound.move_to_end(keycode)
        if not needed:
            return
        if len(needed) > self.capacity:
            raise ExecutorError(
                f"{len(needed)} keysyms need binding at once but the keymap has only "
                f"{self.capacity} free keycodes; send fewer distinct characters per action.",
                url="",
            )
        expressions: list[str] = []
        for sym in needed:
            if self._free:
                keycode = self._free.pop(0)
            else:
                keycode, old = self._bound.popitem(last=False)
                self._present.pop(old, None)
            self._bound[keycode] = sym.value
            self._present[sym.value] = keycode
            expressions += ["-e", f"keycode {keycode} = {sym.name} {sym.name}"]
        await self._run(["xmodmap", *expressions])
