"""Hostile requests to the proxy in replay mode: never a 5xx of its own, always the envelope.

Any method, path, query and body bytes (and JSON objects shaped like a create
request): each answer is below 500 and, when an error, the OpenAI error
envelope. Afterwards the proxy still answers a recorded route.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cua_replay.cassette import load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.proxy import ProxyApp, ProxyServer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
CREATE_KEYS = st.sampled_from(
    ["model", "input", "tools", "previous_response_id", "stream", "store", "include", "truncation"]
)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(CREATE_KEYS, JSON, max_size=5).map(lambda value: json.dumps(value).encode()),
)
PATHS = st.one_of(
    st.sampled_from(
        [
            "/v1/responses",
            "/openai/responses",
            "/openai/v1/responses",
            "/v1/responses/resp_x",
            "/v1/responses/resp_x/input_items",
            "/v1/responses/resp_x/cancel",
            "/v1/models",
        ]
    ),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#?"), max_size=30
    ).map(lambda text: "/" + text),
)
QUERIES = st.sampled_from(
    ["", "?api-version=2025-03-01-preview", "?include=x&after=%ff", "?limit=abc"]
)


@pytest.fixture(scope="module")
def proxy(recorded: Path) -> Iterator[tuple[httpx2.Client, str]]:
    with ProxyServer(ProxyApp(recorded, "none")) as server, httpx2.Client() as client:
        yield client, f"http://127.0.0.1:{server.urls.openai_base_url.split(':')[2].split('/')[0]}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH"]),
    path=PATHS,
    query=QUERIES,
    body=BODIES,
)
def test_no_5xx_and_always_the_envelope(
    proxy: tuple[httpx2.Client, str], method: str, path: str, query: str, body: bytes
) -> None:
    client, origin = proxy
    answer = client.request(method, origin + path + query, content=body)
    assert answer.status_code < 500, (answer.status_code, answer.text)
    if answer.status_code >= 400:
        error: Any = answer.json()["error"]
        assert isinstance(error["message"], str) and error["message"]
        assert {"type", "param", "code"} <= set(error)


def test_the_proxy_is_alive_after(proxy: tuple[httpx2.Client, str], recorded: Path) -> None:
    """It still answers a real request (the hostile ones used the cursor up: exhausted is fine)."""
    client, origin = proxy
    request = expand(load_cassette(recorded).request(1), lambda ref, mime: b"")
    answer = client.post(f"{origin}/v1/responses", json=request)
    assert answer.status_code in (200, 400), answer.text
    body = answer.json()
    assert body.get("object") == "response" or body["error"]["code"] in (
        "cassette_mismatch",
        "cassette_exhausted",
    )
