"""``cua-replay``: compose the commands; catch only our own errors at the edge.

Each command lives in its own module (``cli/run.py``, ``cli/diff.py`` ...) and
is imported only when it runs, or when ``--help`` lists it: the modules behind
``run`` or ``serve`` import the OpenAI SDK, Playwright and uvicorn (most of a
second), which ``--version`` or ``diff`` must not pay for. :data:`COMMANDS`
names, in help order, where each command's function is; :class:`LazyGroup`
turns it into a click command on first use, exactly as ``app.command()``
would have at start-up, so every option and help text stays the command
module's own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Annotated, Any, Final

import typer
import typer.core
import typer.main

from .. import __version__

COMMANDS: Final[dict[str, str]] = {
    "demo": "cua_replay.cli.demo:demo",
    "doctor": "cua_replay.cli.doctor:doctor",
    "run": "cua_replay.cli.run:run",
    "serve": "cua_replay.cli.serve:serve",
    "scenarios": "cua_replay.cli.serve:scenarios",
    "site": "cua_replay.cli.site:site",
    "proxy": "cua_replay.cli.proxy:proxy",
    "replay": "cua_replay.cli.replay:replay",
    "diff": "cua_replay.cli.diff:diff",
    "report": "cua_replay.cli.report:report",
    "show": "cua_replay.cli.cassette:show",
    "verify": "cua_replay.cli.cassette:verify",
    "gc": "cua_replay.cli.cassette:gc",
    "suite": "cua_replay.cli.suite:app",
}
"""Command name -> ``module:function`` implementing it, in the order ``--help`` lists them."""


def command_function(name: str) -> Callable[..., Any]:
    """The function behind command ``name`` (imports its module)."""
    module, _, attribute = COMMANDS[name].partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def _build(name: str) -> Any:
    """The click command typer makes of ``name``'s function, as ``app.command(name)`` would."""
    target = command_function(name)
    if isinstance(target, typer.Typer):  # a sub-app (``suite run``, ``suite compare``)
        return typer.main.get_group(target)
    alone = typer.Typer(add_completion=False)
    alone.command(name=name)(target)
    return typer.main.get_command(alone)


class _LazyCommands(MutableMapping[str, Any]):
    """The group's commands: names known at once, each command built on first lookup.

    Iterating (names, ``--help``'s order, "did you mean") imports nothing;
    looking a name up imports only that command's module.
    """

    def __init__(self, names: Iterable[str], built: MutableMapping[str, Any]) -> None:
        self._names = list(names)
        self._built = dict(built)
        self._names += [name for name in self._built if name not in self._names]

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._names:
                raise KeyError(name)
            self._built[name] = _build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class LazyGroup(typer.core.TyperGroup):
    """The ``cua-replay`` group: :data:`COMMANDS`, each imported when it is used."""

    def __init__(self, *, commands: Any = None, **attrs: Any) -> None:
        super().__init__(commands=commands, **attrs)
        self.commands = _LazyCommands(COMMANDS, self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: TyperGroup's version builds every command


app = typer.Typer(
    name="cua-replay",
    help="Record, replay and diff computer-use agent runs (OpenAI / Azure OpenAI Responses API).",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cua-replay {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Record, replay and diff computer-use agent runs."""
    _tolerate_any_encoding()


def _tolerate_any_encoding() -> None:
    """Under an ASCII locale (``LC_ALL=C`` without UTF-8 coercion) a task or page text with
    one non-ASCII character must not end ``show`` in ``UnicodeEncodeError``: what the
    terminal cannot encode is written as a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding != "utf8":
            reconfigure(errors="backslashreplace")
