"""``cua-replay suite run | compare | replay``: a task suite across model versions.

``run`` records every task x model x trial under ``ROOT/<suite>/<model>/<task>/<trial>/``
and exits 0 when every run was judged (pass or fail), 1 when some run errored
(re-run the same command: finished runs are skipped), 2 on unusable input.
``compare`` is the gate (see its help); ``replay`` replays a suite's cassettes
offline, one ``--shard i/n`` per CI job.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ._errors import reported

app = typer.Typer(
    name="suite",
    help="Run a task suite across models and trials; compare two models with statistics.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def run(
    suite_file: Annotated[Path, typer.Argument(help="The suite file (YAML).", metavar="SUITE")],
    model: Annotated[
        list[str], typer.Option("--model", "-m", help="A model (repeat for several).")
    ],
    trials: Annotated[int, typer.Option(help="Runs of each task per model.")] = 1,
    workers: Annotated[int, typer.Option(help="Runs at once (one browser context each).")] = 1,
    fake: Annotated[
        bool, typer.Option("--fake", help="Fake models: the suite's scenarios play each model.")
    ] = False,
    root: Annotated[Path, typer.Option(help="Where the runs go: ROOT/<suite>/<model>/...")] = (
        Path("runs")
    ),
    tag: Annotated[
        list[str] | None, typer.Option(help="Only tasks with this tag (repeatable).")
    ] = None,
    browser_endpoint: Annotated[
        str | None,
        typer.Option(help="Connect to a Playwright browser server (ws://host:port/) instead."),
    ] = None,
    cdp_endpoint: Annotated[
        str | None, typer.Option(help="Attach to a Chromium over CDP (http://host:9222) instead.")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="The Responses API base URL (e.g. a `cua-replay proxy` in front)."),
    ] = None,
    provider: Annotated[str | None, typer.Option(help="openai or azure.")] = None,
    config: Annotated[Path | None, typer.Option(help="A cua-replay.toml to read.")] = None,
    headed: Annotated[bool, typer.Option(help="Show the browser.")] = False,
) -> None:
    """Run every task of SUITE with every --model, --trials times; skip finished runs."""
    from rich.console import Console

    from ..browser import BrowserSource
    from ..settings import Settings
    from ..suite.progress import SuiteProgress, summary_table
    from ..suite.runner import SuiteRunOptions, run_suite
    from ..suite.spec import load_suite

    with reported():
        suite = load_suite(suite_file)

        def settings(name: str) -> Settings:
            return Settings(_config_file=config, model=name, base_url=base_url, provider=provider)

        options = SuiteRunOptions(
            models=tuple(model),
            trials=trials,
            workers=workers,
            fake=fake,
            root=root,
            tags=tuple(tag or ()),
            browser=BrowserSource(endpoint=browser_endpoint, cdp=cdp_endpoint),
            headed=headed,
            settings=settings,
        )
        console = Console(stderr=True)
        with SuiteProgress(console) as progress:
            records = asyncio.run(
                run_suite(suite, options, on_start=progress.on_start, on_result=progress.on_result)
            )
    Console().print(summary_table(records))
    errored = [record for record in records if record.passed is None]
    for record in errored:
        typer.echo(f"errored: {record.run}: {record.error}", err=True)
    typer.echo(f"runs in {root / suite.name}")
    if errored:
        raise typer.Exit(code=1)


@app.command()
def compare(
    baseline: Annotated[
        str, typer.Argument(help="The baseline's runs: runs/<suite>/<model>, or a model name.")
    ],
    candidate: Annotated[str, typer.Argument(help="The candidate's runs, the same way.")],
    runs: Annotated[
        Path | None, typer.Option(help="The suite folder (runs/<suite>) model names are under.")
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="Significance level of Fisher's exact test (two-sided).")
    ] = 0.05,
    max_regression: Annotated[
        float,
        typer.Option(help="Drop in pass rate (a fraction) tolerated even when significant."),
    ] = 0.0,
    price: Annotated[
        list[str] | None,
        typer.Option(help="MODEL=INPUT,OUTPUT dollars per million tokens (repeatable)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the comparison as JSON here.")
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Write the HTML page here (run reports and diffs beside it)."),
    ] = None,
) -> None:
    """Compare two models' runs of a suite; exit 0 gate passed, 1 a regression, 2 error.

    A task regressed when the candidate's pass rate is lower by more than
    --max-regression and Fisher's exact test gives p < --alpha; the same rule on
    all runs pooled decides "overall". Any regression fails the gate.
    """
    from pydantic import ValidationError
    from rich.console import Console

    from ..errors import InvalidSetting
    from ..suite.compare import Gate, parse_price, resolve_side
    from ..suite.compare import compare as compare_runs
    from ..suite.render import render_json, render_terminal, write_html

    with reported():
        try:
            gate = Gate(alpha=alpha, max_regression=max_regression)
        except ValidationError:
            raise InvalidSetting(
                f"--alpha {alpha:g} must be in (0, 1) and --max-regression {max_regression:g} "
                "in [0, 1].",
                setting="alpha",
            ) from None
        prices = dict(parse_price(text) for text in price or ())
        result = compare_runs(
            resolve_side(baseline, runs), resolve_side(candidate, runs), gate=gate, prices=prices
        )
        Console(highlight=False).print(render_terminal(result))
        try:
            if json_out is not None:
                json_out.write_text(render_json(result), encoding="utf-8")
            if html_out is not None:
                write_html(result, html_out)
        except OSError as exc:
            raise InvalidSetting(
                f"Cannot write the output ({exc}); pick a writable path."
            ) from None
    raise typer.Exit(code=0 if result.passed else 1)


@app.command()
def replay(
    folder: Annotated[Path, typer.Argument(file_okay=False, help="A suite's runs: runs/<suite>.")],
    shard: Annotated[
        str | None,
        typer.Option(help="i/n: only the i-th of n disjoint shares (one per CI job)."),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this model's runs.")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="browser (re-execute in Chromium) or recorded (no browser).")
    ] = "browser",
    list_only: Annotated[
        bool, typer.Option("--list", help="Print the selected run folders; replay nothing.")
    ] = False,
) -> None:
    """Replay a suite's cassettes offline (a share of them with --shard i/n).

    Exit 0 when every selected run replays as recorded, 1 when one does not,
    2 when a cassette is unreadable. The shares are the runs sorted by model,
    task and trial, dealt round-robin: every job computes the same split.
    """
    from ..errors import InvalidCassette, InvalidSetting, ReplayMismatch
    from ..rerun import replay_cassette
    from ..suite.layout import parse_shard, runs_of
    from ..suite.layout import shard as share

    with reported():
        if executor not in ("browser", "recorded"):
            raise InvalidSetting(
                f"--executor {executor!r} is not browser or recorded.", setting="executor"
            )
        found = dict(runs_of(folder))
        if not found:
            raise InvalidCassette(
                f"{folder} holds no suite runs (<model>/<task>/<trial>/run.json); pass "
                "runs/<suite>."
            )
        keys = [key for key in found if not model or key.model in model]
        if shard is not None:
            keys = share(keys, *parse_shard(shard))
        if list_only:
            for key in keys:
                typer.echo(str(found[key]))
            return

        async def replay_all() -> list[str]:
            failed = []
            for key in keys:
                try:
                    await replay_cassette(found[key], executor=executor)  # type: ignore[arg-type]
                except ReplayMismatch as exc:
                    failed.append(f"{key}: {str(exc).splitlines()[0]}")
                    typer.echo(f"MISMATCH {key}", err=True)
                else:
                    typer.echo(f"ok {key}")
            return failed

        failed = asyncio.run(replay_all())
    for line in failed:
        typer.echo(f"ReplayMismatch: {line}", err=True)
    typer.echo(f"{len(keys) - len(failed)} of {len(keys)} runs replay as recorded")
    if failed:
        raise typer.Exit(code=1)
