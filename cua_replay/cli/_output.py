"""The file a command writes with ``-o``: checked before any work, its directory never made up.

A mistyped ``-o reprots/run.html`` used to create ``reprots/`` silently and put the
file where no one looks; now the command stops at once with one line naming the
missing directory and what to do.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidSetting


def check_output(path: Path, what: str) -> None:
    """Raise :class:`InvalidSetting` unless ``path`` names a file in an existing directory."""
    problem: str | None = None
    parent = path.parent
    if path.is_dir():
        problem = "that is a directory; pass -o with a file path in it"
    elif not parent.exists():
        problem = (
            f"the directory {parent} does not exist; create it first (mkdir -p {parent}) "
            "or pass -o with a path in an existing directory"
        )
    elif not parent.is_dir():
        problem = f"{parent} is not a directory; pass -o with a path in a directory"
    if problem is not None:
        raise InvalidSetting(
            f"Could not write {what} to output={path}: {problem}.", setting="output"
        )
