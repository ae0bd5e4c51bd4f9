"""Re-record the cassettes shipped under ``cassettes/``: fake server + fixture site, no secrets.

    .venv/bin/python tools/record_cassettes.py            # all of them
    .venv/bin/python tools/record_cassettes.py demo form-full

Each is a real run of a built-in scenario (the official SDK over loopback HTTP
to the in-process fake Responses API, the Playwright executor in headless
Chromium on the bundled fixture site), recorded with ``--record``. The tests in
tests/cassette/test_shipped.py replay them; re-record after a change that
legitimately alters the requests, then run ``cua-replay verify`` on each.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cua_replay.run import RunOptions, run_task

ROOT = Path(__file__).resolve().parent.parent / "cassettes"
DIFF = Path(__file__).resolve().parent.parent / "fixtures" / "diff"

SHIPPED: dict[str, RunOptions] = {
    "demo": RunOptions(fake="demo", safety="deny"),
    "form-full": RunOptions(fake="form", history="full", safety="deny", redact=(r"hunter\d",)),
    "injection": RunOptions(fake="injection", safety="allow:malicious_instructions"),
    "drag-stream": RunOptions(fake="drag", stream=True, safety="deny"),
    # One task, two "model versions" (fixtures/diff/): the pair `cua-replay diff` demos on.
    # Same options for both, so only the scripted model differs.
    "model-v1": RunOptions(fake=str(DIFF / "model-v1.yaml"), safety="allow:malicious_instructions"),
    "model-v2": RunOptions(fake=str(DIFF / "model-v2.yaml"), safety="allow:malicious_instructions"),
}


async def record(name: str) -> None:
    options = SHIPPED[name]
    options = RunOptions(**{**options.__dict__, "record": ROOT / name, "overwrite": True})
    outcome = await run_task(options, environ={})
    stop = outcome.result.stop
    print(f"{name:<12} {stop.reason.value:<10} {stop.steps:>2} steps  done={outcome.done}")
    if stop.reason != "completed" or not outcome.done:
        raise SystemExit(f"{name}: the run did not complete; not shipping it")


def main(names: list[str]) -> None:
    for name in names or list(SHIPPED):
        if name not in SHIPPED:
            raise SystemExit(f"unknown cassette {name!r}; known: {', '.join(SHIPPED)}")
        asyncio.run(record(name))


if __name__ == "__main__":
    main(sys.argv[1:])
