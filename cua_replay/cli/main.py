"""``cua-replay``: compose the commands; catch only our own errors at the edge."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from . import cassette, demo, diff, doctor, run, serve
from . import replay as replay_cmd
from . import report as report_cmd

app = typer.Typer(
    name="cua-replay",
    help="Record, replay and diff computer-use agent runs (OpenAI / Azure OpenAI Responses API).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cua-replay {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Record, replay and diff computer-use agent runs."""


app.command(name="demo")(demo.demo)
app.command(name="doctor")(doctor.doctor)
app.command(name="run")(run.run)
app.command(name="serve")(serve.serve)
app.command(name="scenarios")(serve.scenarios)
app.command(name="replay")(replay_cmd.replay)
app.command(name="diff")(diff.diff)
app.command(name="report")(report_cmd.report)
app.command(name="show")(cassette.show)
app.command(name="verify")(cassette.verify)
app.command(name="gc")(cassette.gc)
