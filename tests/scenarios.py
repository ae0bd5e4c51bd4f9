"""The built-in scenarios a browser runs; desktop_form runs on an X display (tests/desktop)."""

from __future__ import annotations

from pathlib import Path

from cua_replay.server import builtin_scenarios, load_scenario


def browser_scenarios() -> list[Path]:
    """Built-in scenario files whose environment is a browser, in name order."""
    found = [path for path in builtin_scenarios() if load_scenario(path).environment == "browser"]
    assert found, "no built-in browser scenarios"
    return sorted(found, key=lambda path: path.stem)
