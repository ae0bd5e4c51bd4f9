"""Loop tests drive real Chromium: mark them all ``browser``."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/loop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
