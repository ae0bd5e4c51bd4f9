"""Each way ``backend_from_settings`` builds a client reaches the fake server, credential included.

Every test runs the ``form`` scenario's first request (it answers with a
``computer_call``) and then checks, in the server's log and in the headers that
reached it, that the request took the construction style's path and carried
the credential the way that style sends it. Entra ID runs on a fake
``TokenCredential``: no test ever talks to Microsoft Entra ID.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from openai.types.responses import Response

from cua_replay.backends import (
    AZURE_SCOPE,
    ModelBackend,
    SDKBackend,
    backend_from_settings,
)
from cua_replay.errors import BackendClosed, ModelStreamError
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from cua_replay.settings import Settings
from tests.fakes import Arrival, record_arrivals
from tests.fakes import FakeCredential as SharedCredential

REQUEST: dict[str, Any] = {
    "model": "computer-use-preview",
    "tools": [
        {
            "type": "computer_use_preview",
            "display_width": 1024,
            "display_height": 768,
            "environment": "browser",
        }
    ],
    "truncation": "auto",
    "input": "Order a blue mug for Grace Hopper",
}
KEY = "sk-right"
ENTRA_TOKEN = "entra-token-from-the-fake-credential"
API_VERSION = "2025-03-01-preview"


@pytest.fixture(autouse=True)
def _no_model_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION", "OPENAI_ORG_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("OPENAI_PROJECT_ID", "CUA_REPLAY_PROVIDER", "CUA_REPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Arrival]:
    """Every HTTP request the fake servers of this test receive."""
    return record_arrivals(monkeypatch)


class FakeCredential(SharedCredential):
    """The shared fake credential, handing out this file's token by default."""

    def __init__(self, token: str = ENTRA_TOKEN) -> None:
        super().__init__(token)


def run(backend: SDKBackend) -> Response:
    """Create one response, then close the backend."""

    async def go() -> Response:
        async with backend:
            return await backend.create(REQUEST)

    return asyncio.run(go())


def settings(tmp_path: Path, **explicit: Any) -> Settings:
    return Settings(_environ={}, _cwd=tmp_path, max_retries=0, **explicit)


def assert_computer_call(response: Response, server: FakeResponsesServer, path: str) -> None:
    assert [item.type for item in response.output][-1] == "computer_call"
    assert [(r.method, r.path, r.status) for r in server.state.log] == [("POST", path, 200)]


# -- each construction style ---------------------------------------------------------------


def test_openai_sends_a_bearer_key_to_v1(tmp_path: Path, sent: list[Arrival]) -> None:
    with FakeResponsesServer("form", api_key=KEY) as server:
        backend = backend_from_settings(
            settings(tmp_path, base_url=server.urls.openai_base_url, api_key=KEY)
        )
        assert type(backend.client) is AsyncOpenAI
        response = run(backend)
    assert_computer_call(response, server, "/v1/responses")
    (arrival,) = sent
    assert arrival.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in arrival.headers
    assert arrival.query == {}


def test_azure_endpoint_sends_api_key_header_and_version(
    tmp_path: Path, sent: list[Arrival]
) -> None:
    with FakeResponsesServer("form", api_key=KEY) as server:
        backend = backend_from_settings(
            settings(
                tmp_path,
                provider="azure",
                azure_endpoint=server.urls.azure_endpoint,
                api_version=API_VERSION,
                api_key=KEY,
            )
        )
        assert type(backend.client) is AsyncAzureOpenAI
        response = run(backend)
    assert_computer_call(response, server, "/openai/responses")
    (arrival,) = sent
    assert arrival.query == {"api-version": [API_VERSION]}
    assert arrival.headers["api-key"] == KEY
    assert "authorization" not in arrival.headers
    assert arrival.headers["user-agent"].startswith("AsyncAzureOpenAI/Python")


def test_azure_v1_base_url_with_version_uses_the_azure_client(
    tmp_path: Path, sent: list[Arrival]
) -> None:
    with FakeResponsesServer("form", api_key=KEY) as server:
        backend = backend_from_settings(
            settings(
                tmp_path,
                provider="azure",
                base_url=server.urls.azure_v1_base_url,
                api_version="preview",
                api_key=KEY,
            )
        )
        assert type(backend.client) is AsyncAzureOpenAI
        response = run(backend)
    assert_computer_call(response, server, "/openai/v1/responses")
    (arrival,) = sent
    assert arrival.query == {"api-version": ["preview"]}
    assert arrival.headers["api-key"] == KEY


def test_azure_v1_base_url_without_version_uses_the_openai_client(
    tmp_path: Path, sent: list[Arrival]
) -> None:
    with FakeResponsesServer("form", api_key=KEY) as server:
        backend = backend_from_settings(
            settings(
                tmp_path, provider="azure", base_url=server.urls.azure_v1_base_url, api_key=KEY
            )
        )
        assert type(backend.client) is AsyncOpenAI
        response = run(backend)
    assert_computer_call(response, server, "/openai/v1/responses")
    (arrival,) = sent
    assert arrival.query == {}
    assert arrival.headers["authorization"] == f"Bearer {KEY}"  # the Azure key, as a bearer
    assert arrival.headers["user-agent"].startswith("AsyncOpenAI/Python")


@pytest.mark.parametrize(
    ("style", "path", "query"),
    [
        ("azure_endpoint", "/openai/responses", {"api-version": [API_VERSION]}),
        ("v1+version", "/openai/v1/responses", {"api-version": ["preview"]}),
        ("v1", "/openai/v1/responses", {}),
    ],
)
def test_entra_id_bearer_token_reaches_the_server(
    tmp_path: Path, sent: list[Arrival], style: str, path: str, query: dict[str, list[str]]
) -> None:
    credential = FakeCredential()
    # The server accepts only the token: the request succeeds only if it arrived.
    with FakeResponsesServer("form", api_key=ENTRA_TOKEN) as server:
        where: dict[str, Any] = {
            "azure_endpoint": {
                "azure_endpoint": server.urls.azure_endpoint,
                "api_version": API_VERSION,
            },
            "v1+version": {"base_url": server.urls.azure_v1_base_url, "api_version": "preview"},
            "v1": {"base_url": server.urls.azure_v1_base_url},
        }[style]
        backend = backend_from_settings(
            settings(tmp_path, provider="azure", azure_ad=True, **where), credential=credential
        )
        response = run(backend)
    assert_computer_call(response, server, path)
    (arrival,) = sent
    assert arrival.query == query
    assert arrival.headers["authorization"] == f"Bearer {ENTRA_TOKEN}"
    assert "api-key" not in arrival.headers
    assert credential.scopes == [(AZURE_SCOPE,)]
    assert AZURE_SCOPE == "https://cognitiveservices.azure.com/.default"
    assert credential.closed is False  # the caller's credential: the caller closes it


def test_entra_id_without_a_credential_uses_and_closes_default_azure_credential(
    tmp_path: Path, sent: list[Arrival], monkeypatch: pytest.MonkeyPatch
) -> None:
    import azure.identity

    made: list[FakeCredential] = []

    def default_azure_credential() -> FakeCredential:
        made.append(FakeCredential())
        return made[-1]

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", default_azure_credential)
    with FakeResponsesServer("form", api_key=ENTRA_TOKEN) as server:
        backend = backend_from_settings(
            settings(
                tmp_path, provider="azure", azure_ad=True, base_url=server.urls.azure_v1_base_url
            )
        )
        response = run(backend)
    assert_computer_call(response, server, "/openai/v1/responses")
    (credential,) = made
    assert credential.scopes == [(AZURE_SCOPE,)]
    assert credential.closed is True
    assert sent[0].headers["authorization"] == f"Bearer {ENTRA_TOKEN}"


def test_static_entra_token_from_the_environment_is_sent_as_bearer(
    tmp_path: Path, sent: list[Arrival]
) -> None:
    with FakeResponsesServer("form", api_key=ENTRA_TOKEN) as server:
        env = {
            "CUA_REPLAY_PROVIDER": "azure",
            "AZURE_OPENAI_ENDPOINT": server.urls.azure_endpoint,
            "OPENAI_API_VERSION": API_VERSION,
            "AZURE_OPENAI_AD_TOKEN": ENTRA_TOKEN,
            "AZURE_OPENAI_API_KEY": "loses-to-the-token",
        }
        response = run(backend_from_settings(Settings(_environ=env, _cwd=tmp_path)))
    assert_computer_call(response, server, "/openai/responses")
    assert sent[0].headers["authorization"] == f"Bearer {ENTRA_TOKEN}"
    assert "api-key" not in sent[0].headers


# -- configured from the real environment --------------------------------------------------


def test_openai_configured_from_os_environ(
    tmp_path: Path, sent: list[Arrival], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeResponsesServer("form", api_key=KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.urls.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
        monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
        response = run(backend_from_settings(Settings(max_retries=0)))
    assert_computer_call(response, server, "/v1/responses")
    headers = sent[0].headers
    assert (headers["openai-organization"], headers["openai-project"]) == ("org-env", "proj-env")


def test_azure_configured_from_os_environ_and_config_file(
    tmp_path: Path, sent: list[Arrival], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cua-replay.toml").write_text(
        f'[model]\nprovider = "azure"\napi_version = "{API_VERSION}"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    with FakeResponsesServer("form", api_key=KEY) as server:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.urls.azure_endpoint)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_API_KEY", "the-openai-key-is-not-read-for-azure")
        response = run(backend_from_settings(Settings()))
    assert_computer_call(response, server, "/openai/responses")
    assert sent[0].headers["api-key"] == KEY


# -- wrong credentials ---------------------------------------------------------------------


@pytest.mark.parametrize("style", ["openai", "azure_endpoint", "v1"])
def test_wrong_key_raises_authentication_error(tmp_path: Path, style: str) -> None:
    with FakeResponsesServer("form", api_key=KEY) as server:
        where: dict[str, Any] = {
            "openai": {"base_url": server.urls.openai_base_url},
            "azure_endpoint": {
                "provider": "azure",
                "azure_endpoint": server.urls.azure_endpoint,
                "api_version": API_VERSION,
            },
            "v1": {"provider": "azure", "base_url": server.urls.azure_v1_base_url},
        }[style]
        backend = backend_from_settings(settings(tmp_path, api_key="sk-wrong", **where))
        with pytest.raises(openai.AuthenticationError) as caught:
            run(backend)
    assert caught.value.status_code == 401
    assert [(r.method, r.status) for r in server.state.log] == [("POST", 401)]


def test_wrong_entra_token_raises_authentication_error(tmp_path: Path) -> None:
    with FakeResponsesServer("form", api_key=ENTRA_TOKEN) as server:
        backend = backend_from_settings(
            settings(
                tmp_path, provider="azure", azure_ad=True, base_url=server.urls.azure_v1_base_url
            ),
            credential=FakeCredential("a-different-token"),
        )
        with pytest.raises(openai.AuthenticationError):
            run(backend)


# -- the backend itself --------------------------------------------------------------------


def test_backend_passes_timeout_and_retries_to_the_client(tmp_path: Path) -> None:
    backend = backend_from_settings(
        Settings(_environ={}, _cwd=tmp_path, api_key=KEY, timeout=12.5, max_retries=5)
    )
    assert isinstance(backend, ModelBackend)
    assert (backend.client.timeout, backend.client.max_retries) == (12.5, 5)
    assert str(backend.client.base_url) == "https://api.openai.com/v1/"
    assert KEY not in repr(backend)
    asyncio.run(backend.aclose())


def test_backend_does_not_change_the_request(tmp_path: Path) -> None:
    with FakeResponsesServer("form") as server:
        backend = backend_from_settings(
            settings(tmp_path, base_url=server.urls.openai_base_url, api_key=KEY)
        )
        request = {**REQUEST, "tools": [dict(REQUEST["tools"][0])]}
        before = repr(request)

        async def go() -> None:
            async with backend:
                await backend.create(request)

        asyncio.run(go())
    assert repr(request) == before


def test_closed_backend_raises_and_closing_twice_is_harmless(tmp_path: Path) -> None:
    backend = backend_from_settings(settings(tmp_path, api_key=KEY))

    async def go() -> None:
        await backend.aclose()
        await backend.aclose()
        with pytest.raises(BackendClosed, match="aclose"):
            await backend.create(REQUEST)

    asyncio.run(go())
    assert "closed" in repr(backend)


# -- streaming: read to the terminal event, closed on every path --------------------------


def test_streamed_request_returns_the_response_a_plain_one_gets(tmp_path: Path) -> None:
    responses: list[Response] = []
    for stream in (False, True):
        with FakeResponsesServer("form", api_key=KEY, seed="stream-or-not") as server:
            backend = backend_from_settings(
                settings(tmp_path, base_url=server.urls.openai_base_url, api_key=KEY)
            )

            async def go(backend: SDKBackend = backend, stream: bool = stream) -> Response:
                async with backend:
                    return await backend.create({**REQUEST, "stream": stream})

            responses.append(asyncio.run(go()))
        assert_computer_call(responses[-1], server, "/v1/responses")
    plain, streamed = responses
    assert type(streamed) is Response
    assert streamed.model_dump() == plain.model_dump()


def test_stream_error_event_raises_naming_its_code_and_message(tmp_path: Path) -> None:
    broken = Scenario.model_validate(
        {
            **load_scenario("form").model_dump(mode="json"),
            "turns": [
                {
                    "actions": [{"type": "wait"}],
                    "fault": {"kind": "stream_error", "message": "Cut."},
                },
                {"message": "Done."},
            ],
        }
    )
    with FakeResponsesServer(broken, api_key=KEY) as server:
        backend = backend_from_settings(
            settings(tmp_path, base_url=server.urls.openai_base_url, api_key=KEY)
        )

        async def go() -> ModelStreamError:
            async with backend:
                with pytest.raises(ModelStreamError) as caught:
                    await backend.create({**REQUEST, "stream": True})
                return caught.value

        error = asyncio.run(go())
    assert error.code == "server_error" and error.events == 3
    assert "error event (code='server_error'" in str(error) and "Cut." in str(error)
    assert "without stream=True" in str(error)


class TrackedBody(httpx2.AsyncByteStream):
    """An SSE body that records whether the client closed it."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.chunks = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def canned_stream(events: list[dict[str, Any]]) -> tuple[SDKBackend, TrackedBody]:
    """A backend whose every request is answered with ``events`` as server-sent events."""
    body = TrackedBody(events)

    def answer(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, stream=body)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    return SDKBackend(AsyncOpenAI(api_key=KEY, http_client=client, max_retries=0)), body


CREATED: dict[str, Any] = {
    "type": "response.created",
    "sequence_number": 0,
    "response": {"id": "resp_cut", "object": "response", "status": "in_progress", "output": []},
}


@pytest.mark.parametrize(
    ("events", "match"),
    [
        ([CREATED], r"ended after 1 event\(s\) \(last: 'response.created'\) without"),
        (
            [CREATED, {"type": "error", "sequence_number": 1, "code": None, "message": "Boom."}],
            r"error event \(code=None, param=None\): Boom\.",
        ),
    ],
    ids=["no-terminal-event", "error-event"],
)
def test_a_broken_stream_raises_and_is_closed(events: list[dict[str, Any]], match: str) -> None:
    backend, body = canned_stream(events)

    async def go() -> None:
        async with backend:
            with pytest.raises(ModelStreamError, match=match):
                await backend.create({**REQUEST, "stream": True})
            assert body.closed

    asyncio.run(go())


def test_a_completed_stream_is_closed_once_the_response_arrives() -> None:
    completed = {**CREATED, "response": {**CREATED["response"], "status": "completed"}}
    backend, body = canned_stream([CREATED, {**completed, "type": "response.completed"}])

    async def go() -> Response:
        async with backend:
            response = await backend.create({**REQUEST, "stream": True})
            assert body.closed
            return response

    response = asyncio.run(go())
    assert (response.id, response.status) == ("resp_cut", "completed")
