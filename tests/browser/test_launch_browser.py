"""Each launch gets a fresh profile: nothing survives from one browser to the next."""

from __future__ import annotations

import asyncio

from cua_replay.sandbox import open_sandbox


async def _visit_and_store(value: str | None) -> str | None:
    async with open_sandbox() as sandbox:
        await sandbox.page.goto(sandbox.site.url("/"))
        before: str | None = await sandbox.page.evaluate("localStorage.getItem('mark')")
        if value is not None:
            await sandbox.page.evaluate(f"localStorage.setItem('mark', {value!r})")
        return before


def test_every_launch_starts_with_a_fresh_profile() -> None:
    assert asyncio.run(_visit_and_store("first")) is None
    assert asyncio.run(_visit_and_store(None)) is None
