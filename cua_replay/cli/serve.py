"""``cua-replay serve`` and ``cua-replay scenarios``: the fake Responses API from the shell.

``serve`` answers from a scenario (the scripted model) or, with ``--cassette``, from a
recorded run (:class:`~cua_replay.server.cassette_brain.CassetteBrain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cassette.store import load_cassette
from ..errors import InvalidSetting
from ..replay.matchers import DEFAULT_THRESHOLD, MatchPolicy
from ..replay.options import ReplayOptions
from ..server.app import FakeResponsesApp
from ..server.brain import Brain, ScriptedBrain
from ..server.cassette_brain import CassetteBrain
from ..server.runner import ServerURLs, bind, uvicorn_server
from ..server.scenario import Scenario, builtin_scenarios, load_scenario
from ._errors import reported


def serve(
    scenario: Annotated[
        str | None,
        typer.Option(
            help="A built-in scenario name (see `cua-replay scenarios`) or a file. Default: demo."
        ),
    ] = None,
    cassette: Annotated[
        Path | None,
        typer.Option(
            help="Serve this recorded cassette instead of a scenario: request k of any "
            "conversation gets the recording's step k+1, with the server's own ids.",
            file_okay=False,
        ),
    ] = None,
    match: Annotated[
        str | None,
        typer.Option(
            help="With --cassette: how requests must match the recording: strict, "
            "structural (default) or sequential (warn and go on)."
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="With --cassette: fraction of pixels a screenshot may differ by "
            f"(structural match; default {DEFAULT_THRESHOLD})."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Accept only this key (Bearer or api-key). Default: any non-empty key.",
            envvar="CUA_REPLAY_FAKE_API_KEY",
        ),
    ] = None,
    seed: Annotated[
        str | None,
        typer.Option(help="Seed for ids (default: derived from the scenario or cassette)."),
    ] = None,
) -> None:
    """Serve a deterministic fake Responses API on loopback until interrupted."""
    with reported():
        brain, headline = _brain(scenario, cassette, match, threshold)
        if not 0 <= port <= 65535:  # checked first: bind() would leak the socket it made
            reason = "ports are 0-65535"
            typer.echo(f"Cannot listen on {host}:{port}: {reason}. Try --port 0.", err=True)
            raise typer.Exit(code=2)
        try:
            sock = bind(host, port)
        except OSError as exc:  # a busy port, an address not on this machine
            reason = str(exc).rstrip(".")
            typer.echo(f"Cannot listen on {host}:{port}: {reason}. Try --port 0.", err=True)
            raise typer.Exit(code=1) from None
    app = FakeResponsesApp(brain, api_key=api_key, seed=seed)
    urls = ServerURLs.for_address(host, sock.getsockname()[1])
    typer.echo(f"cua-replay fake Responses API: {headline}")
    typer.echo(f"  OpenAI      base_url={urls.openai_base_url}")
    typer.echo(f"  Azure       azure_endpoint={urls.azure_endpoint}  (api_version=any)")
    typer.echo(f"  Azure v1    base_url={urls.azure_v1_base_url}")
    typer.echo(f"  e.g.        export OPENAI_BASE_URL={urls.openai_base_url} OPENAI_API_KEY=sk-x")
    typer.echo("Press Ctrl+C to stop.", err=True)
    uvicorn_server(app).run(sockets=[sock])


def _brain(
    scenario: str | None, cassette: Path | None, match: str | None, threshold: float | None
) -> tuple[Brain, str]:
    """The brain the options ask for, and the line that names it."""
    if cassette is None:
        for name, value in (("--match", match), ("--threshold", threshold)):
            if value is not None:
                raise InvalidSetting(
                    f"{name} applies to a recorded cassette only; add --cassette DIR, or drop "
                    f"{name} to serve the scenario.",
                    setting=name.lstrip("-"),
                )
        loaded = load_scenario(scenario or "demo")
        return ScriptedBrain(loaded), f"scenario '{loaded.name}' ({loaded.task!r})"
    if scenario is not None:
        raise InvalidSetting(
            f"--cassette and --scenario are exclusive: the fake model answers either from the "
            f"recording in {cassette} or from scenario {scenario!r}. Pass only one.",
            setting="cassette",
        )
    recording = load_cassette(cassette)
    brain = CassetteBrain(
        recording,
        ReplayOptions(
            MatchPolicy.parse(match or MatchPolicy.STRUCTURAL),
            DEFAULT_THRESHOLD if threshold is None else threshold,
        ),
    )
    steps = len(recording)
    task = recording.manifest.task
    about = f", task {task!r}" if task else ""
    return brain, (
        f"cassette {str(recording.directory)!r} ({steps} {'step' if steps == 1 else 'steps'}"
        f"{about}; {brain.match.value} match)"
    )


def scenarios() -> None:
    """List the built-in scenarios of the fake model."""
    with reported():
        for path in builtin_scenarios():
            loaded = Scenario.from_file(path)
            turns = len(loaded.turns)
            where = f"{loaded.start_url:<34}"
            typer.echo(f"{loaded.name:<12} {turns:>2} turns  {where} {loaded.description}")
