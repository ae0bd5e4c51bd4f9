"""Hostile requests: the fake server never answers 5xx, always in the error envelope.

One server for the module, one persistent HTTP connection (reopened when the
server closes it). The property sends at least 5,000 generated requests (more
under the ``thorough`` profile): each must get a status below 500, an
``x-request-id``, and either the OpenAI error envelope or, when the mutation
happened to leave the request valid, a well-formed success. Explicit examples
cover every category of the acceptance criterion on every run. Afterwards the
server must still play the demo scenario correctly.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from openai import OpenAI
from openai.types.responses import Response

from cua_replay.server import FakeResponsesServer

from .strategies_http import (
    CALL_ID,
    FIRST,
    FOLLOW_UP,
    GA_STREAM,
    GOOD_AUTH,
    JSON_TYPE,
    PLACEHOLDERS,
    PREVIOUS_ID,
    SHOT,
    TARGET_ID,
    HostileRequest,
    Raw,
    encode,
    hostile_requests,
    huge,
    post,
)

EXAMPLES = max(5_000, settings().max_examples)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class _OneWrite(http.client.HTTPConnection):
    """Writes a request's head and body at once.

    The server may answer before reading a body (a 401, a 404) and then close
    (``Connection: close``); a body still on its way would make the kernel reset
    the connection and drop the answer. One write leaves nothing in flight.
    """

    _pending: list[bytes] | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._pending = []
        try:
            super().request(*args, **kwargs)
        finally:
            pending, self._pending = self._pending, None
        super().send(b"".join(pending))

    def send(self, data: Any) -> None:
        if self._pending is None:
            super().send(data)
        else:
            self._pending.append(bytes(data))


class _Pairs:
    """Headers as ``http.client`` reads a mapping, but a name may repeat."""

    def __init__(self, pairs: tuple[tuple[str, str | bytes], ...]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.pairs)

    def items(self) -> list[tuple[str, str | bytes]]:
        return list(self.pairs)


class Client:
    """One keep-alive connection to the server, reopened when the server closes it.

    A request that fails on a reused connection is sent once more on a new one (the
    server may have closed the idle one); on a new connection a failure is the answer.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: _OneWrite | None = None

    def send(self, request: HostileRequest, ids: dict[str, str]) -> Answer:
        path, body = request.path, request.body
        for placeholder in PLACEHOLDERS:
            path = path.replace(placeholder, ids[placeholder])
            if body is not None:
                body = body.replace(placeholder.encode(), ids[placeholder].encode())
        payload: Any = body
        if request.chunked and body:
            payload = [body[i : i + 65_536] for i in range(0, len(body), 65_536)]
        while True:
            fresh = self.conn is None
            if self.conn is None:
                self.conn = _OneWrite("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(request.method, path, payload, _Pairs(request.headers))
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected):
                self.close()
                if fresh:
                    raise
                continue
            except BaseException:
                self.close()  # a half-sent request leaves the connection unusable
                raise
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
            if response.will_close:
                self.close()
            return answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Env:
    server: FakeResponsesServer
    client: Client
    ids: dict[str, str]
    """Placeholder -> the id the server made up."""
    bugs: list[logging.LogRecord] = field(default_factory=list)
    """Errors the server logged: exceptions it turned into a 500, or let escape."""

    def send(self, request: HostileRequest) -> Answer:
        return self.client.send(request, self.ids)


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with FakeResponsesServer("demo") as server:
        client = Client(urlsplit(server.urls.openai_base_url).port or 80)
        env = Env(server, client, {p: p for p in PLACEHOLDERS})
        first = _created(env.send(post(encode(FIRST), "setup")))
        env.ids[PREVIOUS_ID] = first["id"]
        env.ids[CALL_ID] = first["output"][-1]["call_id"]
        env.ids[TARGET_ID] = _created(env.send(post(encode(FIRST), "setup")))["id"]
        # The app logs what it turned into a 500; uvicorn what escaped the app entirely.
        handler = _Collect(env.bugs)
        loggers = [logging.getLogger(name) for name in ("cua_replay.server", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(handler)
        try:
            yield env
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
            client.close()


def _created(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, answer.body[:500]
    body: dict[str, Any] = json.loads(answer.body)
    return body


# -- what a sane answer is -------------------------------------------------------------------


def _envelope(answer: Answer) -> None:
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
    body = json.loads(answer.body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("message"), str) and error["message"], body


ECHOED = {"tools": [], "tool_choice": "auto", "text": {"format": {"type": "text"}}}


def _response(body: Any) -> Response:
    assert isinstance(body, dict) and body.get("object") == "response", body
    assert isinstance(body["id"], str) and body["id"].startswith("resp_"), body
    assert body["status"] == "completed" and isinstance(body["output"], list), body
    # What the server builds must be what the SDK parses. ``tools``, ``tool_choice`` and
    # ``text`` are echoed as sent and only type-checked, so a mutation may leave things
    # there the SDK has no model for: that is leniency, not a broken answer.
    return Response.model_validate({**body, **ECHOED})


def _events(answer: Answer) -> list[dict[str, Any]]:
    assert answer.headers["content-type"].startswith("text/event-stream"), answer.headers
    events = []
    for block in answer.body.decode().split("\n\n"):
        if block.strip():
            name, data = block.split("\n", 1)
            event = json.loads(data.removeprefix("data: "))
            assert name == f"event: {event['type']}", block
            events.append(event)
    numbers = [e["sequence_number"] for e in events]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))[: len(numbers)], numbers
    return events


def _success(request: HostileRequest, answer: Answer) -> None:
    """A 2xx: the object the route promises, whole."""
    assert answer.status == 200, (answer.status, answer.body[:500])
    route = request.path.split("?", 1)[0].rstrip("/")
    if answer.headers.get("content-type", "").startswith("text/event-stream"):
        events = _events(answer)
        if request.method == "POST" or events:  # a replay may start past the last event
            assert events[-1]["type"] == "response.completed", events[-1:]
            _response(events[-1]["response"])
    elif route.endswith("/input_items"):
        body = json.loads(answer.body)
        assert body["object"] == "list" and isinstance(body["data"], list), body
    elif request.method == "DELETE":
        body = json.loads(answer.body)
        assert body["object"] == "response.deleted" and body["deleted"] is True, body
    else:
        _response(json.loads(answer.body))


def check(env: Env, request: HostileRequest) -> None:
    env.bugs.clear()
    answer = env.send(request)
    assert answer.status < 500, (answer.status, answer.body[:1000])
    assert answer.headers.get("x-request-id", "").startswith("req_"), answer.headers
    if request.method == "HEAD":
        return
    if answer.status >= 400:
        _envelope(answer)
    else:
        _success(request, answer)
    assert not env.bugs, [r.getMessage() for r in env.bugs]


# -- the property ---------------------------------------------------------------------------

BEARER, API_KEY = GOOD_AUTH


def _with(template: dict[str, Any], *path: Any, value: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(template))
    target = body
    for step in path[:-1]:
        target = target[step]
    if isinstance(target, list) and path[-1] == len(target):
        target.append(value)
    else:
        target[path[-1]] = value
    return body


def _mutated(label: str, *path: Any, value: Any, template: dict[str, Any] = FIRST) -> Any:
    return post(encode(_with(template, *path, value=value)), label)


IMAGE = ("input", 0, "content", 1, "image_url")
SCREENSHOT = ("input", 0, "output", "image_url")

EXPLICIT = [
    # wrong types
    _mutated("model is a number", "model", value=5),
    _mutated("input is an object", "input", value={"role": "user"}),
    _mutated("tools is a string", "tools", value="computer_use_preview"),
    _mutated("content part is a list", "input", 0, "content", 0, value=[]),
    _mutated("text is null", "input", 0, "content", 0, "text", value=None),
    _mutated("stream is a string", "stream", value="yes", template=GA_STREAM),
    _mutated("metadata is a list", "metadata", value=["a"], template=GA_STREAM),
    _mutated("output is a string", "input", 0, "output", value=SHOT, template=FOLLOW_UP),
    _mutated(
        "checks hold a number",
        "input",
        0,
        "acknowledged_safety_checks",
        value=[1],
        template=FOLLOW_UP,
    ),
    # huge numbers
    _mutated("temperature 10**400", "temperature", value=10**400, template=GA_STREAM),
    _mutated("top_p 10**400", "top_p", value=-(10**400), template=GA_STREAM),
    _mutated("display_width 2**64", "tools", 0, "display_width", value=2**64),
    _mutated("max_output_tokens 10**400", "max_output_tokens", value=10**400, template=GA_STREAM),
    _mutated("5000-digit integer", "temperature", value=Raw("9" * 5_000), template=GA_STREAM),
    _mutated("display_height 1e308", "tools", 0, "display_height", value=1e308),
    _mutated("temperature -0.0", "temperature", value=-0.0, template=GA_STREAM),
    _mutated("temperature 1e400", "temperature", value=Raw("1e400"), template=GA_STREAM),
    # NaN / Infinity literals
    _mutated("temperature NaN", "temperature", value=Raw("NaN"), template=GA_STREAM),
    _mutated("top_p -Infinity", "top_p", value=Raw("-Infinity"), template=GA_STREAM),
    _mutated("NaN in text.format", "text", "format", "x", value=Raw("NaN"), template=GA_STREAM),
    _mutated(
        "Infinity in a function tool",
        "tools",
        1,
        value={"type": "function", "name": "f", "strict": Raw("Infinity")},
        template=GA_STREAM,
    ),
    _mutated(
        "NaN in tool_choice",
        "tool_choice",
        value={"type": "computer", "n": Raw("NaN")},
        template=GA_STREAM,
    ),
    # deep nesting
    _mutated("10,000-deep arrays", "input", 0, "content", value=Raw("[" * 10_000 + "]" * 10_000)),
    _mutated(
        "100,000-deep objects",
        "text",
        value=Raw('{"a":' * 100_000 + "1" + "}" * 100_000),
        template=GA_STREAM,
    ),
    _mutated(
        "990-deep text, streamed (past the cap: the stream used to break after its 200)",
        "text",
        "format",
        "schema",
        value=Raw('{"a":' * 990 + "1" + "}" * 990),
        template=GA_STREAM,
    ),
    _mutated(
        "120-deep text, streamed (under the cap)",
        "text",
        "format",
        "schema",
        value=Raw("[" * 120 + "]" * 120),
        template=GA_STREAM,
    ),
    _mutated(
        "600-deep tool_choice, streamed",
        "tool_choice",
        "x",
        value=Raw("[" * 600 + "]" * 600),
        template=GA_STREAM,
    ),
    _mutated(
        "deep function_call item",
        "input",
        1,
        value={"type": "function_call", "x": Raw("[" * 950 + "]" * 950)},
    ),
    post(b"[" * 10_000 + b"]" * 10_000, "10,000-deep body"),
    # invalid base64 and non-image data URLs
    _mutated("invalid base64", *IMAGE, value="data:image/png;base64,!!!!"),
    _mutated("base64 without padding", *IMAGE, value="data:image/png;base64,iVBORw0KGgo"),
    _mutated("non-image bytes", *IMAGE, value="data:image/png;base64,aGVsbG8gd29ybGQ="),
    _mutated("text MIME type", *IMAGE, value="data:text/plain;base64,aGVsbG8="),
    _mutated("not base64", *IMAGE, value="data:image/png,hello"),
    _mutated(
        "screenshot invalid base64",
        *SCREENSHOT,
        value="data:image/png;base64,@@",
        template=FOLLOW_UP,
    ),
    _mutated("non-ASCII base64", *IMAGE, value="data:image/png;base64,\u00e9\u00e9=="),
    # lone surrogates
    _mutated("lone surrogate task", "input", 0, "content", 0, "text", value="mug \ud800"),
    _mutated("lone surrogate instructions", "instructions", value="\udc00", template=GA_STREAM),
    _mutated("lone surrogate metadata", "metadata", value={"k": "\ud800"}, template=GA_STREAM),
    _mutated("lone surrogate model", "model", value="\ud800"),
    _mutated(
        "lone surrogate model, encrypted reasoning", "model", value="\ud800", template=GA_STREAM
    ),
    _mutated("raw CESU surrogate", "model", value=Raw('"\ud800"')),
    # 10 MB strings
    _mutated("10 MB task text", "input", 0, "content", 0, "text", value=huge("string", 10 << 20)),
    _mutated("10 MB data URL", *IMAGE, value=huge("data_url", 10 << 20)),
    _mutated("10 MB PNG data URL", *IMAGE, value=huge("png_url", 10 << 20)),
    _mutated("10 MB invalid base64", *IMAGE, value=huge("bad_base64", 10 << 20)),
    _mutated("10 MB model name", "model", value=huge("unicode", 10 << 20)),
    post(b'{"' + b"k" * (10 << 20) + b'": 1, "model": "gpt-5.4", "input": "hi"}', "10 MB key"),
    # raw non-UTF-8 bytes
    post(encode(FIRST).replace(b"blue", b"bl\xffe"), "\\xff in a string"),
    post(encode(FIRST).replace(b"blue", b"\xed\xa0\x80"), "encoded surrogate"),
    post(encode(FIRST).replace(b'"model"', b'"mod\xc0\xafel"'), "overlong in a key"),
    post(b"\xff\xfe\xfd", "bytes only"),
    post(encode(FIRST).decode().encode("utf-16"), "UTF-16 with BOM"),
    # wrong content type
    post(encode(FIRST), "text/plain", headers=(BEARER, ("Content-Type", "text/plain"))),
    post(
        b"model=gpt-5.4&input=hi",
        "form body",
        headers=(BEARER, ("Content-Type", "application/x-www-form-urlencoded")),
    ),
    post(encode(FIRST), "no content type", headers=(BEARER,)),
    post(
        b"--b\r\n\r\nx\r\n--b--",
        "multipart",
        headers=(API_KEY, ("Content-Type", "multipart/form-data; boundary=b")),
    ),
    # truncated bodies
    post(encode(FIRST)[:-1], "last byte cut"),
    post(encode(FIRST)[:1], "first byte only"),
    post(encode(FOLLOW_UP)[:100], "follow-up cut at 100"),
    post(encode(FIRST)[: len(encode(FIRST)) // 2], "cut in the data URL", chunked=True),
    # empty and non-object bodies
    post(b"", "empty body"),
    post(None, "no body"),
    post(b"null", "null body"),
    post(b"[]", "array body"),
    post(b'"x"', "string body"),
    # wrong methods and paths
    post(None, "GET create", method="GET"),
    post(encode(FIRST), "PUT create", method="PUT"),
    post(None, "HEAD create", method="HEAD"),
    post(encode(FIRST), "trailing slash", path="/v1/responses/"),
    post(encode(FIRST), "Azure trailing slash", path="/openai/v1/responses/"),
    post(encode(FIRST), "chat completions", path="/v1/chat/completions"),
    post(None, "GET unknown id", path="/v1/responses/resp_missing", method="GET"),
    post(None, "DELETE unknown id", path="/v1/responses/resp_missing", method="DELETE"),
    post(None, "bad limit", path=f"/v1/responses/{TARGET_ID}/input_items?limit=x", method="GET"),
    post(
        None,
        "stream from",
        path=f"/v1/responses/{TARGET_ID}?stream=true&starting_after=5",
        method="GET",
    ),
    post(None, "GET target", path=f"/openai/v1/responses/{TARGET_ID}", method="GET"),
    # missing and odd auth
    post(encode(FIRST), "no auth", headers=(JSON_TYPE,)),
    post(encode(FIRST), "Azure no auth", path="/openai/responses", headers=(JSON_TYPE,)),
    post(encode(FIRST), "empty bearer", headers=(("Authorization", "Bearer "), JSON_TYPE)),
    post(encode(FIRST), "basic auth", headers=(("Authorization", "Basic eDp4"), JSON_TYPE)),
    post(encode(FIRST), "empty api-key", headers=(("api-key", ""), JSON_TYPE)),
    post(encode(FIRST), "latin-1 key", headers=(("api-key", b"\xe9\xff"), JSON_TYPE)),
    # odd Host headers
    post(encode(FIRST), "Host [", headers=(BEARER, JSON_TYPE, ("Host", "["))),
    post(None, "Host [ on a wrong path", path="/nope", headers=(BEARER, ("Host", "[::1"))),
    # a role on an item that is not a message: the task is looked up in it
    _mutated(
        "user function_call without content",
        "input",
        0,
        value={"type": "function_call", "role": "user"},
    ),
    _mutated(
        "user function_call with bad content",
        "input",
        0,
        value={"type": "function_call", "role": "user", "content": [{"type": "input_text"}]},
    ),
]


def _examples(test: Any) -> Any:
    for request in reversed(EXPLICIT):
        test = example(request=request)(test)
    return test


@_examples
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(request=hostile_requests())
def test_hostile_requests_never_get_a_5xx(env: Env, request: HostileRequest) -> None:
    check(env, request)


def test_the_server_still_plays_the_demo_afterwards(env: Env) -> None:
    """A fresh conversation through the real SDK: turn 1's screenshot, then turn 2's click."""
    env.bugs.clear()
    with OpenAI(base_url=env.server.urls.openai_base_url, api_key="x", max_retries=0) as client:
        _two_turns(client)
    assert not env.bugs, [r.getMessage() for r in env.bugs]


def _two_turns(client: OpenAI) -> tuple[Response, Response]:
    first = client.responses.create(**FIRST)
    assert first.status == "completed"
    assert [item.type for item in first.output] == ["reasoning", "computer_call"]
    call = first.output[-1]
    assert call.type == "computer_call" and call.action.type == "screenshot"
    assert call.pending_safety_checks == []
    follow_up = json.loads(json.dumps(FOLLOW_UP))
    follow_up["previous_response_id"] = first.id
    follow_up["input"][0]["call_id"] = call.call_id
    second = client.responses.create(**follow_up)
    action = second.output[-1].action
    assert (action.type, action.x, action.y) == ("click", 100, 201)
    return first, second


def test_a_body_cut_off_by_the_client_leaves_the_server_working(env: Env) -> None:
    """Content-Length promises more than arrives, then the client hangs up."""
    env.bugs.clear()
    log = env.server.state.log
    before = len(log)
    with socket.create_connection(("127.0.0.1", env.client.port), timeout=10) as sock:
        head = (
            "POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + encode(FIRST)[:100])
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65_536):
            reply += chunk
    assert not reply.startswith(b"HTTP/1.1 5"), reply[:200]
    _until(lambda: len(log) > before)  # the app may notice the hang-up after the socket closed
    assert log[before].status < 500, log[before]
    assert not env.bugs, [r.getMessage() for r in env.bugs]  # a hang-up is no server bug
    check(env, post(encode({**FIRST, "store": False}), "valid after a cut body"))


def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for ``condition``, checking every few milliseconds, failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the server"
        tick.wait(0.005)


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"POST /v1/responses HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"POST /v1/r\xc3\xa9sponses HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["bad-length", "nul-header", "no-host", "garbage", "raw-utf8-path", "bad-chunk"],
)
def test_malformed_http_is_refused_without_a_5xx(env: Env, raw: bytes) -> None:
    """Not the app's to answer: uvicorn refuses it (400, plain text); the server lives on."""
    with socket.create_connection(("127.0.0.1", env.client.port), timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65_536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 4") or not reply, reply[:200]
    check(env, post(encode({**FIRST, "store": False}), "valid after malformed HTTP"))
