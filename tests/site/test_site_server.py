"""The fixture site over HTTP on loopback: the same answers as Playwright routing, nothing more.

Requests go out with ``http.client`` to ``127.0.0.1`` with an explicit ``Host``
header and the path bytes exactly as written (no client-side ``..``
normalisation), so each traversal attempt reaches the server as sent.
"""

from __future__ import annotations

import http.client
import inspect
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.site import FixtureSite, loopback_url
from cua_replay.site_server import FixtureSiteApp, FixtureSiteServer

SECRET = b"TOP-SECRET-OUTSIDE-THE-SITE"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    server: FixtureSiteServer, path: str, *, host: str | None, method: str = "GET"
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def get(server: FixtureSiteServer, path: str, fixture_host: str = "shop.example") -> Reply:
    return request(server, path, host=f"{fixture_host}.localhost:{server.port}")


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureSiteServer]:
    with FixtureSiteServer() as running:
        yield running


def build_jail(tmp_path: Path) -> Path:
    """A site root with a secret beside it and symlinks that point out of it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (outside / "index.html").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "site"
    shop = root / "shop.example"
    shop.mkdir(parents=True)
    (shop / "index.html").write_text("<p>shop</p>")
    (root / "bank.example").mkdir()
    (root / "bank.example" / "pay.html").write_text("<p>bank</p>")
    os.symlink(tmp_path / "secret.txt", shop / "leak.txt")
    os.symlink(outside, shop / "out")
    os.symlink(outside, root / "evil.example")  # a host folder that is a link out
    return root


@pytest.fixture
def jailed(tmp_path: Path) -> Iterator[FixtureSiteServer]:
    with FixtureSiteServer(FixtureSite(build_jail(tmp_path))) as running:
        yield running


def test_each_fixture_host_answers_by_its_host_header(server: FixtureSiteServer) -> None:
    site = server.app.site
    assert {"shop.example", "bank.example", "news.example"} <= site.hosts
    for host in site.hosts:
        reply = get(server, "/", host)
        assert reply.status == 200, host
        assert reply.headers["content-type"].startswith("text/html")
    assert b"Order form" in get(server, "/form.html").body
    assert b"MyBank" in get(server, "/pay.html", "bank.example").body
    assert server.origins()["shop.example"] == f"http://shop.example.localhost:{server.port}/"
    assert server.url("https://shop.example/form.html") == loopback_url(
        "https://shop.example/form.html", server.port
    )


def test_every_file_is_the_answer_playwright_routing_gives(server: FixtureSiteServer) -> None:
    """One implementation: each page's status, type, headers and bytes are FixtureSite.answer's,
    except that links to other fixture hosts point at this server."""
    site = server.app.site
    files = [p for p in site.root.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        host, *rest = path.relative_to(site.root).parts
        fixture = f"https://{host}/{'/'.join(rest)}"
        expected = site.answer(fixture)
        assert expected is not None and expected.status == 200
        reply = get(server, "/" + "/".join(rest), host)
        assert reply.status == 200, fixture
        assert reply.headers["content-type"].split(";")[0] == expected.content_type
        body = expected.body
        for other in site.hosts:
            body = body.replace(
                f"https://{other}".encode(), f"http://{other}.localhost:{server.port}".encode()
            )
        assert reply.body == body, fixture


def test_links_to_other_fixture_hosts_stay_on_this_server(server: FixtureSiteServer) -> None:
    checkout = get(server, "/checkout.html").body.decode()
    assert f'href="http://bank.example.localhost:{server.port}/pay.html"' in checkout
    assert "https://bank.example" not in checkout
    index = get(server, "/").body.decode()
    assert f'href="http://news.example.localhost:{server.port}/"' in index
    assert 'href="/form.html"' in index  # root-relative links are left as they are


def test_a_download_link_is_an_attachment(server: FixtureSiteServer) -> None:
    reply = get(server, "/file.txt?download")
    assert reply.status == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="file.txt"'
    assert "content-disposition" not in get(server, "/file.txt").headers
    routed = server.app.site.answer("https://shop.example/file.txt?download")
    assert routed is not None and routed.headers == {
        "Content-Disposition": 'attachment; filename="file.txt"'
    }


def test_head_answers_headers_only_and_other_methods_are_refused(
    server: FixtureSiteServer,
) -> None:
    head = request(
        server, "/form.html", host=f"shop.example.localhost:{server.port}", method="HEAD"
    )
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) == len(get(server, "/form.html").body)
    for method in ("POST", "PUT", "DELETE"):
        refused = request(
            server, "/form.html", host=f"shop.example.localhost:{server.port}", method=method
        )
        assert refused.status == 405, method
        assert refused.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path",
    [
        *("/missing.html", "/style.css/x", "/%00", "/index.html%00.txt", "/.."),
        *("*", "form.html", "http://evil.com/form.html", "/a#b"),  # targets that are no path
    ],
)
def test_an_unknown_path_is_a_404(server: FixtureSiteServer, path: str) -> None:
    assert get(server, path).status == 404


@pytest.mark.parametrize(
    "host",
    [
        "",
        "127.0.0.1",
        "127.0.0.1:{port}",
        "localhost:{port}",
        "shop.example",  # the fixture name itself, not its loopback form
        "shop.example:{port}",
        "nope.example.localhost:{port}",
        ".localhost:{port}",
        "evil.com:{port}",  # a DNS-rebinding page's own name
        "shop.example.localhost.evil.com",
        "shop.example.localhost:notaport",
        "[::1",
    ],
)
def test_an_unknown_host_is_a_404_that_lists_the_site(server: FixtureSiteServer, host: str) -> None:
    sent = host.format(port=server.port)
    reply = request(server, "/form.html", host=sent)
    assert reply.status == 404, sent
    assert b"Order form" not in reply.body
    assert f"http://shop.example.localhost:{server.port}/".encode() in reply.body


def test_a_request_without_host_is_refused(server: FixtureSiteServer) -> None:
    reply = request(server, "/form.html", host=None)
    assert reply.status == 400  # HTTP/1.1 requires Host: uvicorn refuses it first
    assert b"Order form" not in reply.body


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%2F..%2Fsecret.txt",
    "/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",  # encoded twice: decoded once, it is a file name
    "/..\\..\\secret.txt",
    "/....//secret.txt",
    "/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 dots
    "//secret.txt",
    "/../outside/secret.txt",
    "/../bank.example/pay.html",  # a sibling host's folder is out of this host too
    "/leak.txt",  # a symlink to a file outside the site
    "/out/secret.txt",  # through a symlinked folder
    "/out/",
    "/out",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_never_leave_the_host_folder(jailed: FixtureSiteServer, path: str) -> None:
    reply = get(jailed, path)
    assert reply.status == 404, path
    assert SECRET not in reply.body
    assert b"bank" not in reply.body


def test_a_host_folder_that_links_out_of_the_root_serves_nothing(
    jailed: FixtureSiteServer,
) -> None:
    assert "evil.example" in jailed.app.site.hosts
    for path in ("/", "/index.html", "/secret.txt"):
        reply = get(jailed, path, "evil.example")
        assert reply.status == 404, path
        assert SECRET not in reply.body
    assert get(jailed, "/").body == b"<p>shop</p>"  # the jail itself serves


def test_it_binds_loopback_by_default(server: FixtureSiteServer) -> None:
    assert server._socket.getsockname()[0] == "127.0.0.1"
    host = inspect.signature(FixtureSiteServer).parameters["host"].default
    assert host == "127.0.0.1"
    runner = CliRunner()
    for command in (["site", "--help"], ["serve", "--help"]):
        result = runner.invoke(app, command, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 0
        line = next(line for line in result.output.splitlines() if "--host" in line)
        assert "[default: 127.0.0.1]" in line, line


# -- any bytes in the path or the Host: never a 5xx, never a byte from outside the site ------

SEGMENTS = st.sampled_from(
    [
        *("..", ".", "%2e%2e", "%2E.", "%2f", "%5c", "%00", "%252e", "%c0%ae", "~", "\\", ""),
        *("leak.txt", "out", "secret.txt", "index.html"),
        *("shop.example", "bank.example", "evil.example"),
    ]
)


@given(
    segments=st.lists(SEGMENTS | st.text(max_size=6), max_size=6),
    query=st.sampled_from(["", "download", "download=1&x=..%2f"]),
    host=st.sampled_from(["shop.example", "bank.example", "evil.example", "news.example"]),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_path_answers_a_page_of_its_host_or_a_404(
    tmp_path_factory: pytest.TempPathFactory,
    segments: list[str],
    query: str,
    host: str,
) -> None:
    site = jail_site(tmp_path_factory)
    raw = "/" + "/".join(quote(s, safe="%/\\.~") for s in segments)
    scope = {
        "type": "http",
        "method": "GET",
        "path": unquote(raw),
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", f"{host}.localhost:8000".encode())],
        "server": ("127.0.0.1", 8000),
    }
    response = FixtureSiteApp(site).respond(Request(scope))
    assert response.status_code in (200, 404)
    assert SECRET not in response.body
    if response.status_code == 200:
        assert host == "shop.example" and response.body == b"<p>shop</p>"


_JAILS: dict[str, FixtureSite] = {}


def jail_site(factory: pytest.TempPathFactory) -> FixtureSite:
    """One jailed site for every example (built once: examples share it read-only)."""
    if "site" not in _JAILS:
        _JAILS["site"] = FixtureSite(build_jail(factory.mktemp("jail")))
    return _JAILS["site"]
