"""No fixed sleeps anywhere: the executor waits for the page, tests wait for conditions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# ``asyncio.sleep(0)`` is a yield to the event loop, not a wait, so it is not matched.
SLEEPS = re.compile(
    r"\b(time\.sleep|asyncio\.sleep(?!\(0\))|anyio\.sleep|wait_for_timeout|sleep\((?!0\)))"
)

#: Sleeps that are the point, each with its reason.
ALLOWED = {
    # A scenario's `delay` fault: latency a client asked to be tested against.
    "cua_replay/server/app.py",
    # Replay at the recorded timing (speed=1.0 and other time scales), on request only.
    "cua_replay/replay/transport.py",
    # Verbatim copies of the seeds' sample loops, which sleep; kept as the seeds wrote them.
    "tests/seeds/azure_playwright_loop.py",
    "tests/seeds/openai_guide_loop.py",
}


@pytest.mark.parametrize("folder", ["cua_replay", "tests", "tools"])
def test_no_fixed_sleeps(folder: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != Path(__file__) and str(path.relative_to(ROOT)) not in ALLOWED
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if SLEEPS.search(line)
    ]
    assert offenders == []


def test_fixture_pages_have_no_timers_either() -> None:
    pages = [p for p in (ROOT / "fixtures" / "site").rglob("*") if p.is_file()]
    offenders = [p.name for p in pages if "setTimeout" in p.read_text("utf-8")]
    assert offenders == []
