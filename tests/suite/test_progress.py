"""What suite run shows: a live bar on a terminal (pass rate, ETA), a line per run in a
log, and one summary table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cua_replay.suite.layout import RunKey
from cua_replay.suite.progress import SuiteProgress, summary_table
from cua_replay.suite.runner import RunRecord

RECORDS = [
    RunRecord(RunKey("v1", "a", 1), Path("x"), True, skipped=True),
    RunRecord(RunKey("v1", "b", 1), Path("x"), False),
    RunRecord(RunKey("v2", "a", 1), Path("x"), True),
    RunRecord(RunKey("v2", "b", 1), Path("x"), None, error="ExecutorError: page crashed"),
]


def test_a_terminal_gets_a_bar_with_counts_pass_rate_and_eta() -> None:
    console = Console(force_terminal=True, record=True, width=200)
    with SuiteProgress(console) as progress:
        progress.on_start(len(RECORDS), 1)
        for record in RECORDS:
            progress.on_result(record)
    text = console.export_text()
    assert "4/4" in text
    assert "passed 2  failed 1  errored 1  pass rate 67%" in text
    assert "ETA" in text
    assert "v2/b/1: ExecutorError: page crashed" in text


def test_a_log_gets_one_line_per_run() -> None:
    console = Console(force_terminal=False, record=True, width=200)
    with SuiteProgress(console) as progress:
        progress.on_start(len(RECORDS), 1)
        for record in RECORDS:
            progress.on_result(record)
    lines = console.export_text().splitlines()
    assert lines == [
        "suite: 4 runs, 1 already finished",
        "run v1/b/1: failed",
        "run v2/a/1: passed",
        "run v2/b/1: ERROR ExecutorError: page crashed",
    ]


def test_the_summary_counts_per_model() -> None:
    console = Console(record=True, width=200)
    console.print(summary_table(RECORDS))
    rows = [line for line in console.export_text().splitlines() if line.startswith("│ v")]
    assert [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows] == [
        ["v1", "2", "1", "1", "0", "1", "50%"],
        ["v2", "2", "1", "0", "1", "0", "100%"],
    ]
