"""``cua-replay proxy``: record or replay any client's Responses API traffic by base URL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..proxy.app import DEFAULT_UPSTREAM, ForegroundServer, ProxyApp, ProxyMode
from ..replay.matchers import DEFAULT_THRESHOLD, MatchPolicy
from ..replay.options import ReplayOptions
from ..server.runner import ServerURLs, bind
from ._errors import reported


def proxy(
    cassette: Annotated[
        Path,
        typer.Option(help="The cassette directory to record into or replay from.", file_okay=False),
    ],
    record_mode: Annotated[
        ProxyMode,
        typer.Option(
            help="none: replay only (no upstream, no credentials); once: record a missing "
            "cassette, else replay; new: replay each conversation as far as it is recorded "
            "and record the rest (a request with no recorded step: a new task, a step past "
            "the recording's end; that conversation then stays upstream), the new steps "
            "added to the cassette on exit (DIR.recording until then); all: re-record. "
            "Any number of concurrent conversations are kept apart."
        ),
    ] = ProxyMode.NONE,
    upstream: Annotated[
        str,
        typer.Option(
            help="Where recording forwards to: the OpenAI service, an Azure endpoint "
            "(https://NAME.openai.azure.com) or any base URL.",
        ),
    ] = DEFAULT_UPSTREAM,
    match: Annotated[
        str,
        typer.Option(help="Replay: strict, structural (default) or sequential (warn, go on)."),
    ] = MatchPolicy.STRUCTURAL.value,
    threshold: Annotated[
        float,
        typer.Option(help="Replay: fraction of pixels a screenshot may differ by."),
    ] = DEFAULT_THRESHOLD,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
) -> None:
    """Record a client's traffic into a cassette, or replay one, for any client by base URL."""
    with reported():
        app = ProxyApp(
            cassette,
            record_mode,
            options=ReplayOptions(MatchPolicy.parse(match), threshold),
            upstream=upstream,
        )
        try:
            sock = bind(host, port)
        except OSError as exc:
            app.close()
            typer.echo(f"Cannot listen on {host}:{port}: {exc}. Try --port 0.", err=True)
            raise typer.Exit(code=1) from None
    urls = ServerURLs.for_address(host, sock.getsockname()[1])
    if app.replaying and app.recording:
        typer.echo(
            f"cua-replay proxy: replaying {str(cassette)!r}, recording the rest via {upstream}"
        )
    elif app.replaying:
        typer.echo(f"cua-replay proxy: replaying {str(cassette)!r} (no upstream, any API key)")
    else:
        typer.echo(f"cua-replay proxy: recording into {str(cassette)!r}, forwarding to {upstream}")
    typer.echo(f"  OpenAI      base_url={urls.openai_base_url}")
    typer.echo(f"  Azure       azure_endpoint={urls.azure_endpoint}  (api_version=any)")
    typer.echo(f"  Azure v1    base_url={urls.azure_v1_base_url}")
    typer.echo(f"  e.g.        export OPENAI_BASE_URL={urls.openai_base_url}")
    typer.echo("Press Ctrl+C to stop.", err=True)
    try:
        ForegroundServer(app).run(sockets=[sock])
    finally:
        app.close()
    if app.added:
        typer.echo(f"cua-replay proxy: added {app.added} new step(s) to {str(cassette)!r}")
