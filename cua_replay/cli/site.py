"""``cua-replay site``: the fixture site over HTTP on loopback, for browsers we do not launch.

``cua-replay serve --site`` serves it beside the fake Responses API; this serves
it alone (e.g. beside a real model, or a ``proxy``). Both print the same lines.
"""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from ..server.runner import bind, uvicorn_server
from ..server.scenario import load_scenario
from ..site import FixtureSite, loopback_url
from ..site_server import FixtureSiteApp
from ._errors import reported

SITE_HELP = (
    "Also serve the fixture site over HTTP on loopback for a browser we do not launch: "
    "https://shop.example/x answers at http://shop.example.localhost:PORT/x (browsers and "
    "curl resolve *.localhost themselves); prints the scenario's start_url there. The "
    "scenario's URL checks accept those loopback URLs."
)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or exit with the one line that says why.

    A port out of range is bad usage (exit 2), checked first since ``bind`` would
    leak the socket it made; a busy port or an address not on this machine exits 1.
    """
    if not 0 <= port <= 65535:
        typer.echo(f"Cannot listen on {host}:{port}: ports are 0-65535. Try --port 0.", err=True)
        raise typer.Exit(code=2)
    try:
        return bind(host, port)
    except OSError as exc:
        reason = str(exc).rstrip(".")
        typer.echo(f"Cannot listen on {host}:{port}: {reason}. Try --port 0.", err=True)
        raise typer.Exit(code=1) from None


def echo_site(port: int, hosts: frozenset[str], start_url: str | None) -> None:
    """Print where each fixture host answers, and the start page an outside client opens."""
    typer.echo("Fixture site on loopback (browsers and curl resolve *.localhost themselves):")
    for host in sorted(hosts):
        typer.echo(f"  {host:<14}{loopback_url(f'https://{host}/', port)}")
    if start_url is not None:
        typer.echo(f"  Start page    start_url={loopback_url(start_url, port)}")


def site(
    scenario: Annotated[
        str | None,
        typer.Option(help="Print this scenario's start page on the loopback site."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
) -> None:
    """Serve the fixture site over HTTP on loopback until interrupted.

    Each fixture host answers by its Host header at http://HOST.localhost:PORT/
    (https://shop.example/form.html is http://shop.example.localhost:PORT/form.html).
    Any other Host gets a 404; paths never leave the site's folders.
    """
    with reported():
        start_url = load_scenario(scenario).start_url if scenario is not None else None
        app = FixtureSiteApp(FixtureSite())
        sock = listen(host, port)
    echo_site(sock.getsockname()[1], app.site.hosts, start_url)
    typer.echo("Press Ctrl+C to stop.", err=True)
    uvicorn_server(app).run(sockets=[sock])
