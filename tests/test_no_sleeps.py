"""No fixed sleeps anywhere: the executor waits for the page, tests wait for conditions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SLEEPS = re.compile(r"\b(time\.sleep|asyncio\.sleep|wait_for_timeout|sleep\()")


@pytest.mark.parametrize("folder", ["cua_replay", "tests", "tools"])
def test_no_fixed_sleeps(folder: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != Path(__file__)
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if SLEEPS.search(line)
    ]
    assert offenders == []


def test_fixture_pages_have_no_timers_either() -> None:
    pages = [p for p in (ROOT / "fixtures" / "site").rglob("*") if p.is_file()]
    offenders = [p.name for p in pages if "setTimeout" in p.read_text("utf-8")]
    assert offenders == []
