"""What ``cua-replay suite run`` shows while it runs, and the one summary after.

On a terminal: a rich progress bar with runs done, passed, errored, the pass
rate so far and the ETA. Elsewhere (CI logs, a pipe): one plain line per run,
so a log is greppable and a supervisor can follow it line by line.
"""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .runner import RunRecord

__all__ = ["SuiteProgress", "summary_table"]


class SuiteProgress:
    """Listens to :func:`~.runner.run_suite` (``on_start``, ``on_result``)."""

    def __init__(self, console: Console, *, live: bool | None = None) -> None:
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.passed = 0
        self.judged = 0
        self.errored = 0
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> SuiteProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def on_start(self, total: int, skipped: int) -> None:
        if not self.live:
            self.console.print(f"suite: {total} runs, {skipped} already finished")
            return
        self._progress = Progress(
            TextColumn("[bold]suite"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._task = self._progress.add_task("runs", total=total, status="")
        self._progress.start()

    def on_result(self, record: RunRecord) -> None:
        if record.passed is not None:
            self.judged += 1
            self.passed += record.passed
        else:
            self.errored += 1
        if self._progress is None:
            if not record.skipped:
                self.console.print(f"run {record.run}: {_word(record)}", highlight=False)
            return
        rate = f"{self.passed / self.judged:.0%}" if self.judged else "-"
        status = f"passed {self.passed}  failed {self.judged - self.passed}  "
        status += f"errored {self.errored}  pass rate {rate}"
        self._progress.update(self._task, advance=1, status=status)
        if record.error:
            self._progress.console.print(f"[red]{record.run}[/]: {record.error}", highlight=False)


def _word(record: RunRecord) -> str:
    if record.passed is None:
        return f"ERROR {record.error}"
    return "passed" if record.passed else "failed"


def summary_table(records: list[RunRecord]) -> Table:
    """Per model: runs, passed, failed, errored, skipped (finished before), pass rate."""
    table = Table(title="suite run")
    for column in ("model", "runs", "passed", "failed", "errored", "resumed", "pass rate"):
        table.add_column(column, justify="left" if column == "model" else "right")
    counts: dict[str, Counter[str]] = {}
    for record in records:
        count = counts.setdefault(record.run.model, Counter())
        count["runs"] += 1
        count["skipped"] += record.skipped
        if record.passed is None:
            count["errored"] += 1
        else:
            count["passed" if record.passed else "failed"] += 1
    for model, count in counts.items():
        judged = count["passed"] + count["failed"]
        rate = f"{count['passed'] / judged:.0%}" if judged else "-"
        table.add_row(
            model,
            str(count["runs"]),
            str(count["passed"]),
            str(count["failed"]),
            str(count["errored"]),
            str(count["skipped"]),
            rate,
        )
    return table
