"""The fake server bounds what a client may make it wait for or hold (issue 16, point 4).

Real servers on loopback, raw sockets for the hostile clients: slowloris headers,
short bodies, oversized bodies. Each test sets small bounds through
:class:`~cua_replay.server.limits.Limits`; nothing here measures time, the
assertion is that every hostile connection ends (closed, or answered), and the
test's pytest-timeout is what bounds the wait. Meanwhile a well-behaved client
(the real SDK) is answered.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import openai
import pytest
from openai import OpenAI

from cua_replay.errors import InvalidSetting
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer, Scenario
from cua_replay.server.limits import BoundedH11Protocol, Limits
from cua_replay.server.runner import BackgroundServer, uvicorn_config

CLI = [sys.executable, "-m", "cua_replay"]
SCENARIO = Scenario.model_validate(
    {"name": "bounds", "task": "hi", "turns": [{"message": "Hello."}]}
)
"""Every conversation is one answer, so each well-behaved request is a whole one."""
TIGHT = Limits(header_timeout=0.3, body_timeout=0.3, max_body_bytes=4096)
HEAD = "POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer sk-x\r\n"


def port_of(server: BackgroundServer) -> int:
    return urlsplit(server.urls.openai_base_url).port or 80


def well_behaved(sdk: OpenAI) -> str:
    """One create request as the SDK sends it; the response's id."""
    created = sdk.responses.create(model="gpt-5.4", tools=[{"type": "computer"}], input="hi")
    assert created.status == "completed"
    return created.id


def endless_headers() -> Iterator[bytes]:
    """A request head that never ends: one more header line forever, one byte at a time."""
    yield from (bytes([b]) for b in HEAD.encode())
    for number in count():
        yield from (bytes([b]) for b in f"x-pad-{number}: y\r\n".encode())


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def wait_until_all_closed(
    socks: list[socket.socket], trickle: dict[socket.socket, Iterator[bytes]], sdk: OpenAI
) -> list[bytes]:
    """Trickle each socket's bytes until the server closes it; between rounds, the SDK
    completes a request. Returns what each socket received before it was closed."""
    received = {sock: b"" for sock in socks}
    open_ = set(socks)
    answered = 0
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        while open_:
            for sock in list(open_):
                feed = trickle.get(sock)
                if feed is None:
                    continue
                try:
                    sock.send(next(feed))
                except (BrokenPipeError, ConnectionResetError):
                    selector.unregister(sock)
                    open_.discard(sock)
            for key, _ in selector.select(timeout=0.02):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                received[sock] += data
                if not data:
                    selector.unregister(sock)
                    open_.discard(sock)
            if answered < 3:  # the server stays responsive while the hostile clients wait
                well_behaved(sdk)
                answered += 1
    for sock in socks:
        sock.close()
    return [received[sock] for sock in socks]


@pytest.mark.timeout(60)
def test_fifty_slowloris_connections_are_all_closed_while_the_sdk_is_answered() -> None:
    with FakeResponsesServer(SCENARIO, limits=TIGHT) as server:
        port = port_of(server)
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-x", max_retries=0)
        socks = [connect(port) for _ in range(50)]
        # Half trickle a head that never ends; half open and send nothing at all.
        trickle = {sock: endless_headers() for sock in socks[:25]}
        received = wait_until_all_closed(socks, trickle, sdk)
    assert received == [b""] * 50  # closed by the deadline, not answered (h11's 400)


@pytest.mark.timeout(60)
def test_forty_short_bodies_are_all_closed_and_logged_as_client_closed() -> None:
    with FakeResponsesServer(SCENARIO, limits=TIGHT) as server:
        port = port_of(server)
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-x", max_retries=0)
        socks = [connect(port) for _ in range(40)]
        for sock in socks:
            sock.sendall(f'{HEAD}content-length: 1000\r\n\r\n{{"model": '.encode())
        # Half stop there; half keep trickling body bytes, which must not buy more time.
        trickle = {sock: iter(lambda: b" ", None) for sock in socks[:20]}
        received = wait_until_all_closed(socks, trickle, sdk)
    assert received == [b""] * 40
    # Each request's task saw the disconnect (the server's stop lets running tasks end).
    assert sum(r.code == "client_closed" for r in server.state.log) == 40


def outlast(port: int, phase: str) -> None:
    """Return once a deadline of ``phase`` armed now has passed, with no fixed sleep: a
    probe connection that stalls in that phase is closed by its own deadline, so any
    deadline armed before it (on the connection under test) would have fired first."""
    with socket.create_connection(("127.0.0.1", port)) as probe:
        if phase == "body":
            probe.sendall(f"{HEAD}content-length: 1\r\n\r\n".encode())
        assert probe.recv(1) == b""


def read_reply(reply: BinaryIO) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the next answer on a connection."""
    status = int(reply.readline().split()[1])
    length = 0
    while (line := reply.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, json.loads(reply.read(length))


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, Any], socket.socket]:
    """Send ``request`` on a new connection; the status and JSON body of the answer."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(request)
    return (*read_reply(sock.makefile("rb")), sock)


@pytest.mark.timeout(60)
def test_a_head_over_16_kib_is_refused_at_once() -> None:
    """h11's own bound on a request's line and headers (uvicorn's default), kept."""
    with (
        FakeResponsesServer(SCENARIO) as server,
        socket.create_connection(("127.0.0.1", port_of(server))) as sock,
    ):
        sock.sendall(f"{HEAD}x-big: {'y' * 17_000}\r\n\r\n".encode())
        assert sock.makefile("rb").readline().split()[1] == b"400"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["/v1/responses", "/openai/v1/responses"])
def test_a_declared_oversized_body_is_answered_413_in_the_envelope_before_it_is_sent(
    path: str,
) -> None:
    with FakeResponsesServer(SCENARIO, limits=TIGHT) as server:
        port = port_of(server)
        head = f"POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-x\r\n"
        status, body, sock = raw_exchange(port, f"{head}content-length: 5000\r\n\r\n".encode())
        assert status == 413
        assert body["error"]["code"] == "request_too_large"
        assert "at most 4,096 bytes" in body["error"]["message"]
        assert "CUA_REPLAY_SERVER_MAX_BODY_BYTES" in body["error"]["message"]
        # The rest of the body is read and dropped; the connection then serves requests,
        # even after idling past the body deadline that the early answer left running.
        get = f"GET {path}/resp_nope HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-x\r\n\r\n"
        sock.sendall(b"x" * 5000)
        outlast(port, "body")
        reply = sock.makefile("rb")
        for _ in range(2):
            sock.sendall(get.encode())
            assert read_reply(reply)[0] == 404
        sock.close()
        assert server.state.log[-1].code == "response_not_found"


@pytest.mark.timeout(60)
def test_a_chunked_body_over_the_bound_is_answered_413_and_one_at_the_bound_is_read() -> None:
    limits = Limits(max_body_bytes=4096)
    with FakeResponsesServer(SCENARIO, limits=limits) as server:
        port = port_of(server)
        chunk = b"x" * 3000
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        status, body, sock = raw_exchange(
            port, f"{HEAD}transfer-encoding: chunked\r\n\r\n".encode() + framed * 2 + b"0\r\n\r\n"
        )
        sock.close()
        assert (status, body["error"]["code"]) == (413, "request_too_large")
        at_bound = b"x" * 4096
        status, body, sock = raw_exchange(
            port, f"{HEAD}content-length: 4096\r\n\r\n".encode() + at_bound
        )
        sock.close()
    assert status == 400  # read and parsed by the app: not JSON
    assert body["error"]["message"].startswith("We could not parse the JSON body")


@pytest.mark.timeout(60)
def test_the_sdk_sees_413_as_an_api_status_error_naming_the_bound() -> None:
    with FakeResponsesServer(SCENARIO, limits=Limits(max_body_bytes=10_000)) as server:
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            sdk.responses.create(
                model="gpt-5.4", tools=[{"type": "computer"}], input="hi " + "x" * 20_000
            )
        well_behaved(sdk)
    assert caught.value.status_code == 413
    assert caught.value.code == "request_too_large"
    assert "at most 10,000 bytes" in caught.value.message


@pytest.mark.timeout(60)
def test_the_proxy_is_bounded_by_the_same_mechanism_set_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUA_REPLAY_SERVER_HEADER_TIMEOUT", "0.3")
    monkeypatch.setenv("CUA_REPLAY_SERVER_MAX_BODY_BYTES", "4096")
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        ProxyServer(
            ProxyApp(tmp_path / "c", "once", upstream=upstream.urls.openai_base_url)
        ) as proxy,
    ):
        port = port_of(proxy)
        sdk = OpenAI(base_url=proxy.urls.openai_base_url, api_key="sk-x", max_retries=0)
        socks = [connect(port) for _ in range(5)]
        received = wait_until_all_closed(socks, {s: endless_headers() for s in socks}, sdk)
        status, body, sock = raw_exchange(port, f"{HEAD}content-length: 5000\r\n\r\n".encode())
        sock.close()
    assert received == [b""] * 5
    assert (status, body["error"]["code"]) == (413, "request_too_large")


@pytest.mark.timeout(60)
def test_the_deadlines_bound_a_requests_arrival_not_the_connection_or_the_answer() -> None:
    """A kept-alive connection idle between requests for longer than the header deadline
    (uvicorn's keep-alive bound, 5 s, is the one for idling), and an answer slower than
    both deadlines (a scripted delay), are never cut."""
    slow = Scenario.model_validate(
        {
            "name": "slow",
            "task": "hi",
            "turns": [{"message": "Hello.", "fault": {"kind": "delay", "seconds": 0.8}}],
        }
    )
    with FakeResponsesServer(slow, limits=TIGHT) as server:
        port = port_of(server)
        body = json.dumps({"model": "gpt-5.4", "input": "hi"}).encode()
        request = f"{HEAD}content-length: {len(body)}\r\n\r\n".encode() + body
        with socket.create_connection(("127.0.0.1", port)) as sock:
            reply = sock.makefile("rb")
            answers = []
            for _ in range(2):
                sock.sendall(request)
                answers.append(read_reply(reply))
                outlast(port, "headers")  # idle past the header deadline
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1]["output"][0]["content"][0]["text"] == "Hello."


def test_bad_bounds_are_one_line_errors_naming_the_setting() -> None:
    with pytest.raises(InvalidSetting, match=r"max_body_bytes=0 is not above 0 .*--max-body"):
        Limits(max_body_bytes=0)
    with pytest.raises(InvalidSetting, match="CUA_REPLAY_SERVER_HEADER_TIMEOUT='soon'"):
        Limits.from_env({"CUA_REPLAY_SERVER_HEADER_TIMEOUT": "soon"})
    assert Limits.from_env({"CUA_REPLAY_SERVER_BODY_TIMEOUT": "2.5"}, body_timeout=None) == (
        Limits(body_timeout=2.5)
    )
    assert Limits.from_env({"CUA_REPLAY_SERVER_BODY_TIMEOUT": "2.5"}, body_timeout=4) == (
        Limits(body_timeout=4)
    )


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--header-timeout", "0"], {}, "header_timeout=0.0 is not above 0"),
        (["--max-body-bytes", "-1"], {}, "max_body_bytes=-1 is not above 0"),
        ([], {"CUA_REPLAY_SERVER_MAX_BODY_BYTES": "1e9"}, "CUA_REPLAY_SERVER_MAX_BODY_BYTES='1e9'"),
    ],
)
def test_serve_refuses_bad_bounds_with_one_line_and_exit_2(
    args: list[str], env: dict[str, str], needle: str
) -> None:
    done = subprocess.run(
        [*CLI, "serve", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert done.returncode == 2
    assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.timeout(60)
def test_serve_is_bounded_by_its_options() -> None:
    command = [*CLI, "serve", "--header-timeout", "0.3", "--max-body-bytes", "100"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            head = "".join(process.stdout.readline() for _ in range(2))
            found = re.search(r"base_url=http://127\.0\.0\.1:(\d+)/v1", head)
            assert found, head
            port = int(found.group(1))
            with socket.create_connection(("127.0.0.1", port)) as silent:
                assert silent.recv(1) == b""  # closed by the header deadline
            status, body, sock = raw_exchange(port, f"{HEAD}content-length: 101\r\n\r\n".encode())
            sock.close()
            assert (status, body["error"]["code"]) == (413, "request_too_large")
        finally:
            process.terminate()
            process.wait(timeout=30)
    config = uvicorn_config(lambda *a: None, Limits(header_timeout=1.5))  # type: ignore[arg-type]
    config.load()
    assert config.http_protocol_class is BoundedH11Protocol


def test_a_delete_that_forgets_screenshots_gives_their_memory_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The RSS figure is tools/bench_server_memory.py --delete --distinct; here, that a
    DELETE forgetting an image (and only such a one) hands the freed memory back."""
    from cua_replay.server import state
    from tests.server.images import data_url, png

    given_back: list[int] = []
    monkeypatch.setattr(state, "give_back_memory", lambda: given_back.append(len(images)))
    with FakeResponsesServer(SCENARIO) as server:
        images = server.state.images
        sdk = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-x", max_retries=0)
        shot = data_url(png(1, 1))
        content = [
            {"type": "input_text", "text": "hi"},
            {"type": "input_image", "image_url": shot, "detail": "auto"},
        ]
        ids = [
            sdk.responses.create(model="gpt-5.4", input=[{"role": "user", "content": content}]).id
            for _ in range(2)
        ]
        plain = well_behaved(sdk)
        listed = sdk.responses.input_items.list(ids[0])
        assert listed.data[0].content[1].image_url == shot  # type: ignore[union-attr]
        assert len(images) == 1  # one screenshot, kept once for both responses
        sdk.responses.delete(plain)
        sdk.responses.delete(ids[0])
        assert given_back == [] and len(images) == 1  # the other response still lists it
        sdk.responses.delete(ids[1])
    assert given_back == [0]
    assert state._malloc_trim() is not None  # glibc here; elsewhere a no-op
