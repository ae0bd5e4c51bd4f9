"""``cua-replay serve`` and ``cua-replay scenarios``: the fake Responses API from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from ..server.app import FakeResponsesApp
from ..server.runner import ServerURLs, bind, uvicorn_server
from ..server.scenario import Scenario, builtin_scenarios, load_scenario
from ._errors import reported


def serve(
    scenario: Annotated[
        str,
        typer.Option(help="A built-in scenario name (see `cua-replay scenarios`) or a file."),
    ] = "demo",
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
        str | None, typer.Option(help="Seed for ids (default: derived from the scenario).")
    ] = None,
) -> None:
    """Serve a deterministic fake Responses API on loopback until interrupted."""
    with reported():
        loaded = load_scenario(scenario)
        try:
            sock = bind(host, port)
        except OSError as exc:
            typer.echo(f"Cannot listen on {host}:{port}: {exc}. Try --port 0.", err=True)
            raise typer.Exit(code=1) from None
    app = FakeResponsesApp(loaded, api_key=api_key, seed=seed)
    urls = ServerURLs.for_address(host, sock.getsockname()[1])
    typer.echo(f"cua-replay fake Responses API: scenario '{loaded.name}' ({loaded.task!r})")
    typer.echo(f"  OpenAI      base_url={urls.openai_base_url}")
    typer.echo(f"  Azure       azure_endpoint={urls.azure_endpoint}  (api_version=any)")
    typer.echo(f"  Azure v1    base_url={urls.azure_v1_base_url}")
    typer.echo(f"  e.g.        export OPENAI_BASE_URL={urls.openai_base_url} OPENAI_API_KEY=sk-x")
    typer.echo("Press Ctrl+C to stop.", err=True)
    uvicorn_server(app).run(sockets=[sock])


def scenarios() -> None:
    """List the built-in scenarios of the fake model."""
    with reported():
        for path in builtin_scenarios():
            loaded = Scenario.from_file(path)
            turns = len(loaded.turns)
            where = f"{loaded.start_url:<34}"
            typer.echo(f"{loaded.name:<12} {turns:>2} turns  {where} {loaded.description}")
