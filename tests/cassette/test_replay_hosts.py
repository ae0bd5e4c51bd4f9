"""A browser replay reaches only the hosts its recording visited (issue 16, point 2).

A hostile cassette's start page (on a loopback server, replayed with
``--allow-local``) pulls a script, an image and a frame from a second loopback
server the recording never visited: in real Chromium that server receives
nothing, and one line names the origin and ``--allow-host``; with
``--allow-host`` it does receive them.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cli.main import app
from cua_replay.errors import InvalidSetting
from cua_replay.replay.hosts import ReplayPolicy, parse_allowed_host

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes" / "demo"


@dataclass
class Server:
    """A loopback HTTP server answering every GET with ``page``, recording each path."""

    page: bytes = b""
    hits: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    """The start page's server, and a second one the recording never visited."""
    made: list[tuple[Server, ThreadingHTTPServer]] = []
    for _ in range(2):
        server = Server()

        class Answer(BaseHTTPRequestHandler):
            served = server

            def do_GET(self) -> None:
                self.served.hits.append(self.path)
                body = self.served.page if self.path == "/" else b""
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        http = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        server.port = http.server_address[1]
        threading.Thread(target=http.serve_forever, daemon=True).start()
        made.append((server, http))
    start, other = made[0][0], made[1][0]
    start.page = (
        f'<html><body><h1>start</h1><script src="http://{other.origin}/script.js"></script>'
        f'<img src="http://{other.origin}/image.png">'
        f'<iframe src="http://{other.origin}/frame"></iframe></body></html>'
    ).encode()
    yield start, other
    for _, http in made:
        http.shutdown()
        http.server_close()


def hostile_cassette(tmp_path: Path, start: Server) -> Path:
    """The shipped demo cassette, its start page moved to ``start``'s loopback server."""
    copy = tmp_path / "cassette"
    shutil.copytree(SHIPPED, copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["start_url"] = f"http://{start.origin}/"
    (copy / "run.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.browser
def test_replay_never_reaches_a_host_the_recording_did_not_visit(
    tmp_path: Path, servers: tuple[Server, Server]
) -> None:
    start, other = servers
    cassette = hostile_cassette(tmp_path, start)
    result = CliRunner().invoke(app, ["replay", str(cassette), "--allow-local"])
    assert "Traceback" not in result.output, result.output
    assert start.hits, "the start page was not opened at all"
    assert other.hits == [], f"a request reached the unvisited host: {other.hits}"
    [line] = [line for line in result.output.splitlines() if "Replay blocked" in line]
    assert other.origin in line and f"--allow-host {other.origin}" in line, line
    assert result.exit_code == 1, result.output  # the page differs: a mismatch, not a crash


@pytest.mark.browser
def test_allow_host_lets_the_replay_reach_it(
    tmp_path: Path, servers: tuple[Server, Server]
) -> None:
    start, other = servers
    cassette = hostile_cassette(tmp_path, start)
    result = CliRunner().invoke(
        app, ["replay", str(cassette), "--allow-local", "--allow-host", other.origin]
    )
    assert "Traceback" not in result.output, result.output
    assert "Replay blocked" not in result.output, result.output
    assert {"/script.js", "/image.png", "/frame"} <= set(other.hits), other.hits


# -- the policy on its own -----------------------------------------------------------------------


def policy_for(tmp_path: Path, start_url: str, **kwargs: Any) -> ReplayPolicy:
    copy = tmp_path / "cassette"
    shutil.copytree(SHIPPED, copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["start_url"] = start_url
    (copy / "run.json").write_text(json.dumps(manifest))
    return ReplayPolicy.for_cassette(load_cassette(copy), **kwargs)


def test_policy_allows_the_visited_origins_fixture_hosts_and_named_hosts_only(
    tmp_path: Path,
) -> None:
    policy = policy_for(
        tmp_path,
        "https://docs.example.org/start",
        fixture_hosts={"bank.example"},
        allow_hosts=["cdn.example.net", "127.0.0.1:9000"],
    )
    assert policy.allows("https://docs.example.org/other?x=1")
    assert policy.allows("https://shop.example/cart")  # a step URL of the recording
    assert not policy.allows("http://docs.example.org:8080/")  # another port
    assert not policy.allows("https://sub.docs.example.org/")  # a host never visited
    assert policy.allows("https://bank.example:8443/")  # a fixture host, any port
    assert policy.allows("https://cdn.example.net:444/x.js")
    assert policy.allows("http://127.0.0.1:9000/")
    assert not policy.allows("http://127.0.0.1:9001/")
    assert not policy.allows("http://169.254.169.254/latest/meta-data/")
    assert policy.allows("data:text/html,x") and policy.allows("about:blank")
    line = policy.refusal("http://127.0.0.1:9001/secret?token=x")
    assert "127.0.0.1:9001" in line and "--allow-host 127.0.0.1:9001" in line
    assert "token" not in line


def test_a_visited_local_origin_needs_allow_local(tmp_path: Path) -> None:
    policy = policy_for(tmp_path, "https://docs.example.org/")
    copy = tmp_path / "cassette"
    steps = (copy / "steps.jsonl").read_text().replace("https://shop.example/", "http://10.0.0.8/")
    (copy / "steps.jsonl").write_text(steps)
    refused = ReplayPolicy.for_cassette(load_cassette(copy))
    assert not refused.allows("http://10.0.0.8/")
    assert "--allow-local" in refused.refusal("http://10.0.0.8/x")
    assert ReplayPolicy.for_cassette(load_cassette(copy), allow_local=True).allows(
        "http://10.0.0.8/"
    )
    assert policy.allows("https://docs.example.org/")


def test_the_recordings_own_domain_policy_still_applies(tmp_path: Path) -> None:
    copy = tmp_path / "cassette"
    shutil.copytree(SHIPPED, copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["settings"]["block_domains"] = ["shop.example"]
    (copy / "run.json").write_text(json.dumps(manifest))
    policy = ReplayPolicy.for_cassette(
        load_cassette(copy), fixture_hosts={"shop.example"}, allow_hosts=["shop.example"]
    )
    assert not policy.allows("https://shop.example/")
    assert "domain policy" in policy.refusal("https://shop.example/")


@pytest.mark.parametrize("text", ["", "http://x.example/", "x.example/path", "x:99999", "[::1"])
def test_a_bad_allow_host_is_one_line(text: str) -> None:
    with pytest.raises(InvalidSetting, match="--allow-host"):
        parse_allowed_host(text)
