"""Read the US keyboard layout out of the installed Playwright driver bundle.

Used only by the layout generator and the drift test: the runtime uses the
embedded copy in ``_layout.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path


def driver_bundle() -> Path:
    """Return the path of Playwright's server bundle that holds the layout."""
    import playwright

    lib = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    for candidate in (lib / "coreBundle.js", lib / "server" / "usKeyboardLayout.js"):
        if candidate.is_file() and "USKeyboardLayout = {" in candidate.read_text("utf-8"):
            return candidate
    raise FileNotFoundError(f"no USKeyboardLayout in the Playwright driver under {lib}")


def read_driver_layout() -> dict[str, tuple[str, str | None, int]]:
    """Parse ``USKeyboardLayout`` into ``code -> (key, shifted key, location)``."""
    source = driver_bundle().read_text("utf-8")
    start = source.index("USKeyboardLayout = {") + len("USKeyboardLayout = ")
    end = source.index("};", start) + 1
    body = re.sub(r"^\s*//[^\n]*", "", source[start:end], flags=re.MULTILINE)
    body = body.replace("'\"'", '"\\""')
    body = re.sub(r",\s*}", "}", body)
    raw: dict[str, dict[str, object]] = json.loads(body)
    return {
        code: (
            str(entry["key"]),
            str(entry["shiftKey"]) if "shiftKey" in entry else None,
            int(entry.get("location", 0)),  # type: ignore[call-overload]
        )
        for code, entry in raw.items()
    }
