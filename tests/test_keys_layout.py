"""The embedded keyboard layout is exactly the installed Playwright driver's."""

from __future__ import annotations

from cua_replay._layout import US_LAYOUT
from cua_replay._playwright_layout import read_driver_layout


def test_embedded_layout_matches_the_installed_playwright_driver() -> None:
    # After a Playwright upgrade: python tools/gen_key_layout.py > cua_replay/_layout.py
    assert read_driver_layout() == US_LAYOUT
