"""The optional TOML config file of the model settings: where it is, and its ``[model]`` table."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from .errors import InvalidSetting

CONFIG_FILE_NAME: Final = "cua-replay.toml"
"""Read from the working directory when no config file is passed."""
CONFIG_TABLE: Final = "model"
"""The TOML table that holds the settings."""
CONFIG_FLAG: Final = "--config"


def read_table(
    explicit: Path | None, *, cwd: Path, keys: tuple[str, ...]
) -> tuple[Path | None, dict[str, Any]]:
    """The ``[model]`` table of the config file (``explicit``, else ``./cua-replay.toml``).

    ``(None, {})`` when there is no file to read; :class:`InvalidSetting`, naming
    the file, when it is missing (explicit only), not TOML, or holds a key not in ``keys``.
    """
    if explicit is None:
        path = cwd / CONFIG_FILE_NAME
        if not path.is_file():
            return None, {}
    else:
        path = explicit.expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.exists():
            raise InvalidSetting(
                f"Config file not found: {path} (from {CONFIG_FLAG}). Pass an existing TOML "
                f"file to {CONFIG_FLAG}, or drop {CONFIG_FLAG} to use ./{CONFIG_FILE_NAME}.",
                source=CONFIG_FLAG,
                path=path,
            )
    try:
        document = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidSetting(
            f"Config file {path} cannot be read as TOML: {error}. Fix the file, or pass "
            f"another with {CONFIG_FLAG}.",
            source=str(path),
            path=path,
        ) from None
    table = document.get(CONFIG_TABLE, {})
    if not isinstance(table, dict):
        raise InvalidSetting(
            f"Config file {path}: {CONFIG_TABLE!r} must be a table ([{CONFIG_TABLE}]), "
            f"not a {type(table).__name__}. Write the settings under a [{CONFIG_TABLE}] header.",
            source=str(path),
            path=path,
        )
    unknown = sorted(table.keys() - set(keys))
    if unknown:
        raise InvalidSetting(
            f"Config file {path}: unknown key(s) {', '.join(map(repr, unknown))} in "
            f"[{CONFIG_TABLE}]. Valid keys: {', '.join(keys)}.",
            setting=unknown[0],
            source=str(path),
            path=path,
        )
    return path, table
