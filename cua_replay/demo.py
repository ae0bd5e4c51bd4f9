"""The offline demo: a whole task on the embedded default, with nothing to configure.

The fake Responses API plays its built-in ``demo`` scenario in-process; the
official SDK talks to it over loopback HTTP; the loop engine drives a real
headless Chromium on the bundled fixture site through the Playwright executor.
Only the model is fake. The console view prints every step; the outcome says
whether the page ended where the scenario says it should.

The run is recorded into a cassette (``out``, or a fresh temporary folder),
which is then replayed twice, offline: with the recorded executor (no browser,
the recorded screenshots served back) and model-only in the browser (every
action executed again on the fixture site, every request checked against the
recording). It ends by writing an HTML report of that recording, and by diffing
the two shipped cassettes of one task recorded with two "model versions"
(``cassettes/model-v1`` and ``model-v2``: a detour, a click elsewhere, a safety
check) into an HTML diff.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rich.console import Console

from .cassette import load_cassette
from .console import ConsoleView
from .diff import DiffOptions, DiffResult, diff_cassettes
from .diff.render import render_html
from .events import Event, ScreenshotCaptured
from .replay.session import ReplayResult
from .report import render_report
from .rerun import replay_cassette
from .run import RunOptions, TaskOutcome, run_task
from .safety import AllowGate

DEMO_SCENARIO = "demo"


@dataclass(frozen=True)
class DemoResult:
    outcome: TaskOutcome
    screenshot: Path | None
    cassette: Path
    replays: dict[str, ReplayResult]
    """``recorded`` and ``browser``: how each replay of the cassette went."""
    diff: DiffResult
    """The two shipped "model version" cassettes of one task, diffed."""
    report: Path
    """The HTML report of the demo's own recording."""
    diff_report: Path
    """The HTML diff of the two model versions."""


def model_versions() -> tuple[Path, Path]:
    """The shipped cassettes ``model-v1`` and ``model-v2``: in the wheel, else the checkout."""
    packaged = Path(str(resources.files("cua_replay"))) / "_cassettes"
    root = packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "cassettes"
    return root / "model-v1", root / "model-v2"


async def run_demo(
    *,
    scenario: str = DEMO_SCENARIO,
    screenshot_path: Path | None = None,
    console: Console | None = None,
    environ: Mapping[str, str] = os.environ,
    out: Path | None = None,
) -> DemoResult:
    """Run ``scenario`` against the in-process fake, record it into ``out``, replay it both ways.

    Saves the last screenshot if asked. A replay that diverges raises
    :class:`~cua_replay.errors.ReplayMismatch`.
    """
    cassette = out if out is not None else Path(tempfile.mkdtemp(prefix="cua-replay-demo-"))
    last: list[bytes] = []

    def keep_screenshot(event: Event) -> None:
        if isinstance(event, ScreenshotCaptured):
            last[:] = [event.png]

    listeners: list[Callable[[Event], None]] = [ConsoleView(console), keep_screenshot]
    # The demo's scenarios raise no check; were one to, a sandboxed demo acknowledges it.
    gate = AllowGate(frozenset({"malicious_instructions", "irrelevant_domain"}))
    outcome = await run_task(
        RunOptions(
            fake=scenario,
            record=cassette,
        ),
        listeners=listeners,
        gate=gate,
        environ=environ,
    )
    saved = None
    if screenshot_path is not None and last:
        screenshot_path.parent.mkdir(parents=True, exist_ok=True)
        screenshot_path.write_bytes(last[0])
        saved = screenshot_path
    replays = {
        kind: await replay_cassette(cassette, executor=kind, environ=environ)
        for kind in ("recorded", "browser")
    }
    report = cassette.parent / f"{cassette.name}-report.html"
    report.write_text(render_report(load_cassette(cassette)), encoding="utf-8")
    v1, v2 = model_versions()
    first, second = load_cassette(v1), load_cassette(v2)
    # Timing is a property of the machine that recorded them, not of the model.
    result = diff_cassettes(first, second, DiffOptions(ignore=frozenset({"timing"})))
    diff_report = cassette.parent / f"{cassette.name}-model-diff.html"
    diff_report.write_text(render_html(result, first, second), encoding="utf-8")
    return DemoResult(outcome, saved, cassette, replays, result, report, diff_report)
