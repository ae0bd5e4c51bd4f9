"""Compare two models' runs of one suite: pass rates with uncertainty, a gate, and diffs.

Input: two model folders (``runs/<suite>/<model>``) of cassettes whose
manifests carry verdicts. Each cassette is read once, reduced to a
:class:`RunSummary` (verdict, steps, tokens, latency, cost) and dropped, so
memory grows with the number of runs, not with their screenshots.

The gate (exit status of ``cua-replay suite compare``): a task *regressed*
when the candidate's pass rate is lower than the baseline's by more than
``max_regression`` (a fraction, 0 by default) **and** Fisher's exact test
(two-sided) gives ``p < alpha`` (0.05 by default); the same rule on the pooled
runs of all tasks decides the overall verdict. Any regression fails the gate.
For every regressed task the comparison carries the diff (:mod:`cua_replay.diff`)
of a passing baseline trial against a failing candidate trial: the first of each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from ..cassette.format import MANIFEST_NAME
from ..cassette.store import load_cassette
from ..cassette.view import view
from ..diff.compare import diff_cassettes
from ..diff.model import DiffResult
from ..errors import CassetteNotFound, InvalidSetting
from .stats import Distribution, Rate, fisher_p, rate

__all__ = [
    "SCHEMA_VERSION",
    "Comparison",
    "Gate",
    "Price",
    "RunSummary",
    "SideSummary",
    "TaskComparison",
    "collect",
    "compare",
    "parse_price",
    "resolve_side",
]

SCHEMA_VERSION: Final = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1e6


def parse_price(text: str) -> tuple[str, Price]:
    """``gpt-5.4=1.25,10`` -> ("gpt-5.4", Price(1.25, 10))."""
    model, sep, numbers = text.partition("=")
    parts = numbers.split(",")
    try:
        if not sep or not model or len(parts) != 2:
            raise ValueError
        price = Price(float(parts[0]), float(parts[1]))
    except ValueError:
        raise InvalidSetting(
            f"--price {text!r} is not MODEL=INPUT,OUTPUT (dollars per million tokens), "
            "e.g. --price gpt-5.4=1.25,10.",
            setting="price",
        ) from None
    return model, price


class RunSummary(_Model):
    """One run, reduced to what the comparison needs."""

    task: str
    trial: int
    passed: bool | None
    """The verdict; None for a run that errored or was never judged."""
    reason: str = ""
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    cost: float | None = None
    path: str


class SideSummary(_Model):
    """One model's runs over the whole suite."""

    model: str
    folder: str
    rate: Rate
    unjudged: int
    steps: Distribution
    input_tokens: Distribution
    output_tokens: Distribution
    latency_ms: Distribution
    cost: Distribution | None = None
    flaky: list[str]
    """Tasks with both passing and failing runs of this model."""


class TaskComparison(_Model):
    task: str
    baseline: Rate
    candidate: Rate
    difference: float | None
    """Candidate pass rate minus baseline pass rate."""
    p_value: float | None
    regressed: bool
    improved: bool
    flaky_baseline: bool
    flaky_candidate: bool
    baseline_runs: list[RunSummary]
    candidate_runs: list[RunSummary]
    diff: DiffResult | None = None
    """For a regressed task: a passing baseline trial against a failing candidate trial."""


class Gate(_Model):
    alpha: float = Field(0.05, gt=0, lt=1)
    max_regression: float = Field(0.0, ge=0, le=1)


class Comparison(_Model):
    schema_version: int = SCHEMA_VERSION
    baseline: SideSummary
    candidate: SideSummary
    gate: Gate
    overall_difference: float | None
    overall_p_value: float | None
    overall_regressed: bool
    tasks: list[TaskComparison]
    only_in_baseline: list[str]
    only_in_candidate: list[str]
    regressed: list[str]
    """The regressed tasks, in suite folder order."""
    passed: bool
    """The gate's verdict: no regressed task and no overall regression (exit status 0)."""


def _runs(folder: Path) -> Iterator[Path]:
    for manifest in sorted(folder.glob(f"*/*/{MANIFEST_NAME}")):
        if manifest.parent.name.isdigit():
            yield manifest.parent


def collect(folder: Path, price: Price | None = None) -> list[RunSummary]:
    """Every run in a model folder (``<task>/<trial>/``), one cassette at a time."""
    advice = "A model folder holds <task>/<trial>/ runs: record them with `cua-replay suite run`."
    if not folder.is_dir():
        raise CassetteNotFound(folder, advice)
    summaries = []
    for directory in _runs(folder):
        cassette = load_cassette(directory)
        run = view(cassette)
        verdict = cassette.manifest.verdict
        input_tokens, output_tokens = run.tokens("input_tokens"), run.tokens("output_tokens")
        summaries.append(
            RunSummary(
                task=directory.parent.name,
                trial=int(directory.name),
                passed=verdict.passed if verdict is not None else None,
                reason=verdict.reason if verdict is not None else "not judged",
                steps=len(cassette.steps),
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                latency_ms=sum(step.latency_ms for step in cassette.steps),
                cost=price.cost(input_tokens, output_tokens) if price is not None else None,
                path=str(directory),
            )
        )
    if not summaries:
        raise CassetteNotFound(folder, advice)
    return sorted(summaries, key=lambda s: (s.task, s.trial))


def _rate(runs: list[RunSummary]) -> Rate:
    judged = [r for r in runs if r.passed is not None]
    return rate(sum(1 for r in judged if r.passed), len(judged))


def _flaky(runs: list[RunSummary]) -> bool:
    return len({r.passed for r in runs if r.passed is not None}) == 2


def _regressed(base: Rate, cand: Rate, p: float | None, gate: Gate) -> bool:
    if p is None or base.rate is None or cand.rate is None:
        return False
    return base.rate - cand.rate > gate.max_regression and p < gate.alpha


def _side(model: str, folder: Path, runs: list[RunSummary]) -> SideSummary:
    by_task = _by_task(runs)
    costs = [r.cost for r in runs if r.cost is not None]
    return SideSummary(
        model=model,
        folder=str(folder),
        rate=_rate(runs),
        unjudged=sum(1 for r in runs if r.passed is None),
        steps=Distribution.of([r.steps for r in runs]),
        input_tokens=Distribution.of([r.input_tokens for r in runs]),
        output_tokens=Distribution.of([r.output_tokens for r in runs]),
        latency_ms=Distribution.of([r.latency_ms for r in runs]),
        cost=Distribution.of(costs) if costs else None,
        flaky=[task for task, task_runs in by_task.items() if _flaky(task_runs)],
    )


def _by_task(runs: list[RunSummary]) -> dict[str, list[RunSummary]]:
    grouped: dict[str, list[RunSummary]] = {}
    for run in runs:
        grouped.setdefault(run.task, []).append(run)
    return grouped


def _representative_diff(base: list[RunSummary], cand: list[RunSummary]) -> DiffResult | None:
    passing = next((r for r in base if r.passed), None)
    failing = next((r for r in cand if r.passed is False), None)
    if passing is None or failing is None:
        return None
    return diff_cassettes(load_cassette(passing.path), load_cassette(failing.path))


def compare(
    baseline: Path,
    candidate: Path,
    *,
    gate: Gate | None = None,
    prices: Mapping[str, Price] | None = None,
) -> Comparison:
    """Compare the runs in two model folders (``runs/<suite>/<model>``)."""
    gate = gate or Gate()
    prices = prices or {}
    base_runs = collect(baseline, prices.get(baseline.name))
    cand_runs = collect(candidate, prices.get(candidate.name))
    base_tasks, cand_tasks = _by_task(base_runs), _by_task(cand_runs)
    tasks = []
    for task in sorted(base_tasks.keys() & cand_tasks.keys()):
        b, c = base_tasks[task], cand_tasks[task]
        b_rate, c_rate = _rate(b), _rate(c)
        p = fisher_p(b_rate, c_rate)
        regressed = _regressed(b_rate, c_rate, p, gate)
        improved = _regressed(c_rate, b_rate, p, gate)
        tasks.append(
            TaskComparison(
                task=task,
                baseline=b_rate,
                candidate=c_rate,
                difference=_difference(b_rate, c_rate),
                p_value=p,
                regressed=regressed,
                improved=improved,
                flaky_baseline=_flaky(b),
                flaky_candidate=_flaky(c),
                baseline_runs=b,
                candidate_runs=c,
                diff=_representative_diff(b, c) if regressed else None,
            )
        )
    shared = (
        [r for t in tasks for r in t.baseline_runs],
        [r for t in tasks for r in t.candidate_runs],
    )
    overall_b, overall_c = _rate(shared[0]), _rate(shared[1])
    overall_p = fisher_p(overall_b, overall_c)
    overall_regressed = _regressed(overall_b, overall_c, overall_p, gate)
    names = [t.task for t in tasks if t.regressed]
    return Comparison(
        baseline=_side(baseline.name, baseline, base_runs),
        candidate=_side(candidate.name, candidate, cand_runs),
        gate=gate,
        overall_difference=_difference(overall_b, overall_c),
        overall_p_value=overall_p,
        overall_regressed=overall_regressed,
        tasks=tasks,
        only_in_baseline=sorted(base_tasks.keys() - cand_tasks.keys()),
        only_in_candidate=sorted(cand_tasks.keys() - base_tasks.keys()),
        regressed=names,
        passed=not names and not overall_regressed,
    )


def _difference(base: Rate, cand: Rate) -> float | None:
    if base.rate is None or cand.rate is None:
        return None
    return cand.rate - base.rate


def resolve_side(text: str, runs: Path | None) -> Path:
    """A model folder given as a path, or as a model name under ``runs`` (a suite folder)."""
    path = Path(text)
    if path.is_dir():
        return path
    if runs is not None and (runs / text).is_dir():
        return runs / text
    where = f" (nor under --runs {runs})" if runs is not None else ""
    raise InvalidSetting(
        f"No model folder {text!r}{where}: pass runs/<suite>/<model>, or a model name with "
        "--runs runs/<suite>.",
        setting="baseline",
    )
