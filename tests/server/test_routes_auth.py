"""Routes and authentication of the fake server (docs/api-contract.md §1, §3.3, §5.2, §9.1-9.2).

Each client construction the SDK offers must reach the same responses: the
OpenAI ``/v1`` routes, Azure's ``/openai`` routes with ``api-version``, and the
Azure v1 routes with or without it. Credentials go the way each client sends
them; what the SDK cannot send (no credential at all) goes over plain HTTP.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest
from openai import AzureOpenAI, OpenAI
from openai.types.responses import Response

from cua_replay.server import FakeResponsesServer, Scenario

SCENARIO = Scenario.model_validate(
    {"name": "routes", "task": "Say hello.", "turns": [{"message": "Hello."}]}
)
pytestmark = pytest.mark.fake_scenario(SCENARIO)

MODEL = "gpt-5.4"
KEY = "sk-right"
WRONG_KEY = "sk-wrong-0123456789abcdef"
OPENAI_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username. You can obtain an API key from https://platform.openai.com/account/api-keys."
)
AZURE_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when "
    "making requests to an API."
)
AZURE_BAD_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


@dataclass(frozen=True)
class Construction:
    """One way to build a client against the fake, and the route prefix it must land on."""

    name: str
    build: Callable[[FakeResponsesServer, str], OpenAI]
    prefix: str


CONSTRUCTIONS = [
    Construction(
        "openai",
        lambda s, key: OpenAI(base_url=s.urls.openai_base_url, api_key=key, max_retries=0),
        "/v1/responses",
    ),
    Construction(
        "azure-endpoint",
        lambda s, key: AzureOpenAI(
            azure_endpoint=s.urls.azure_endpoint,
            api_key=key,
            api_version="2025-03-01-preview",
            max_retries=0,
        ),
        "/openai/responses",
    ),
    Construction(
        "azure-deployment",
        lambda s, key: AzureOpenAI(
            azure_endpoint=s.urls.azure_endpoint,
            azure_deployment="cua-deployment",
            api_key=key,
            api_version="2025-03-01-preview",
            max_retries=0,
        ),
        "/openai/responses",
    ),
    Construction(
        "azure-v1",
        lambda s, key: AzureOpenAI(
            base_url=s.urls.azure_v1_base_url, api_key=key, api_version="preview", max_retries=0
        ),
        "/openai/v1/responses",
    ),
    Construction(
        "openai-on-azure-v1",
        lambda s, key: OpenAI(base_url=s.urls.azure_v1_base_url, api_key=key, max_retries=0),
        "/openai/v1/responses",
    ),
]


@pytest.fixture(params=CONSTRUCTIONS, ids=[c.name for c in CONSTRUCTIONS])
def construction(request: pytest.FixtureRequest) -> Construction:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(fake_responses_server: FakeResponsesServer) -> Iterator[OpenAI]:
    with OpenAI(
        base_url=fake_responses_server.urls.openai_base_url, api_key="sk-test", max_retries=0
    ) as sdk:
        yield sdk


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def raw(
    server: FakeResponsesServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> Reply:
    """One request over plain HTTP, for what the SDK will not send."""
    origin = server.urls.azure_endpoint
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(origin + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, found, content = reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        with error:  # the error holds the connection: close it, or it leaks to a later test
            status, found, content = error.code, dict(error.headers), error.read()
    lowered = {k.lower(): v for k, v in found.items()}
    return Reply(status, lowered, json.loads(content) if content else None)


def openai_envelope(message: str, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


# -- routes --------------------------------------------------------------------------------


def test_each_construction_reaches_its_routes(
    construction: Construction, fake_responses_server: FakeResponsesServer
) -> None:
    """Create, retrieve, list input items, delete; then the response is gone (404)."""
    with construction.build(fake_responses_server, "key-for-this-test") as sdk:
        created = sdk.responses.create(model=MODEL, input="Say hello.")
        assert created.output_text == "Hello."
        assert sdk.responses.retrieve(created.id) == created
        items = list(sdk.responses.input_items.list(created.id))
        assert [item.type for item in items] == ["message"]
        deleted = sdk.responses.with_raw_response.delete(created.id)
        assert json.loads(deleted.content) == {
            "id": created.id,
            "object": "response.deleted",
            "deleted": True,
        }
        with pytest.raises(openai.NotFoundError) as caught:
            sdk.responses.retrieve(created.id)

    assert caught.value.status_code == 404
    assert caught.value.body == {
        "message": f"No response found with id '{created.id}'.",
        "type": "invalid_request_error",
        "param": "response_id",
        "code": "response_not_found",
    }
    base = construction.prefix
    assert [(r.method, r.path, r.status) for r in fake_responses_server.state.log] == [
        ("POST", base, 200),
        ("GET", f"{base}/{created.id}", 200),
        ("GET", f"{base}/{created.id}/input_items", 200),
        ("DELETE", f"{base}/{created.id}", 200),
        ("GET", f"{base}/{created.id}", 404),
    ]


def test_deleted_response_cannot_be_deleted_again_or_chained(client: OpenAI) -> None:
    created = client.responses.create(model=MODEL, input="Say hello.")
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Again.", previous_response_id=created.id)
    assert caught.value.code == "previous_response_not_found"


@pytest.mark.parametrize(
    "query",
    ["", "?api-version=2025-03-01-preview", "?api-version=preview", "?beta=true"],
    ids=["absent", "dated", "preview", "beta"],
)
@pytest.mark.parametrize("prefix", ["/v1", "/openai", "/openai/v1"])
def test_api_version_is_accepted_or_absent(
    fake_responses_server: FakeResponsesServer, prefix: str, query: str
) -> None:
    reply = raw(
        fake_responses_server,
        "POST",
        f"{prefix}/responses{query}",
        {"api-key": "k"},
        {"model": MODEL, "input": "Say hello."},
    )
    assert reply.status == 200, reply.body
    assert reply.body["object"] == "response"


def three_messages(sdk: OpenAI) -> Response:
    return sdk.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "one"},
            {"role": "user", "content": [{"type": "input_text", "text": "two"}]},
            {"type": "message", "role": "user", "content": "three"},
        ],
    )


def texts(items: Any) -> list[str]:
    return [item.content[0].text for item in items]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (None, ["three", "two", "one"]),
        ("desc", ["three", "two", "one"]),
        ("asc", ["one", "two", "three"]),
    ],
)
def test_input_items_pages_with_a_cursor(
    client: OpenAI,
    fake_responses_server: FakeResponsesServer,
    order: str | None,
    expected: list[str],
) -> None:
    """limit=1 makes the SDK follow ``after`` page by page; newest first unless asked."""
    created = three_messages(client)
    extra: dict[str, Any] = {} if order is None else {"order": order}
    listed = list(client.responses.input_items.list(created.id, limit=1, **extra))
    assert texts(listed) == expected
    assert all(re.fullmatch(r"msg_[0-9a-f]+", item.id) for item in listed)
    assert len({item.id for item in listed}) == 3
    pages = [r for r in fake_responses_server.state.log if r.path.endswith("/input_items")]
    assert len(pages) == 3


def test_input_items_page_fields(client: OpenAI) -> None:
    """The list body of §3.3: ``object``, ``data``, ``first_id``, ``last_id``, ``has_more``."""
    created = three_messages(client)
    raw_page = client.responses.input_items.with_raw_response.list(created.id, limit=2)
    body = json.loads(raw_page.content)
    assert body.keys() == {"object", "data", "first_id", "last_id", "has_more"}
    assert body["object"] == "list"
    assert body["has_more"] is True
    assert body["first_id"] == body["data"][0]["id"]
    assert body["last_id"] == body["data"][-1]["id"]
    assert body["data"][0] == {
        "id": body["first_id"],
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": "three"}],
    }
    page = raw_page.parse()
    assert texts(page.data) == ["three", "two"]
    rest = client.responses.input_items.list(created.id, limit=2, after=body["last_id"])
    assert texts(rest.data) == ["one"]
    assert rest.has_more is False


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
        ("GET", "/v2/responses"),
        ("POST", "/openai/deployments/dep/chat/completions"),
        ("PUT", "/v1/responses"),
        ("POST", "/openai/v1/responses/resp_1/input_items"),
    ],
)
def test_unknown_route_is_404_in_the_openai_envelope(
    fake_responses_server: FakeResponsesServer, method: str, path: str
) -> None:
    """An unknown path, or a method a path does not take, is ``Invalid URL`` (§5.2)."""
    reply = raw(fake_responses_server, method, path, {"Authorization": "Bearer sk-test"})
    assert reply.status == 404
    assert reply.body == openai_envelope(f"Invalid URL ({method} {path})")
    assert re.fullmatch(r"req_[0-9a-f]{32}", reply.headers["x-request-id"])


def test_unknown_route_through_the_sdk(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.get("/models", cast_to=object)
    assert caught.value.body == {
        "message": "Invalid URL (GET /v1/models)",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


# -- authentication ------------------------------------------------------------------------


def token_provider(calls: list[str]) -> Callable[[], str]:
    def provide() -> str:
        calls.append(KEY)
        return KEY

    return provide


@pytest.mark.fake_scenario(SCENARIO, api_key=KEY)
@pytest.mark.parametrize(
    "style", ["bearer", "api-key", "azure-ad-token", "azure-ad-token-provider", "azure-v1-bearer"]
)
def test_each_credential_style_is_accepted(
    fake_responses_server: FakeResponsesServer, style: str
) -> None:
    urls = fake_responses_server.urls
    calls: list[str] = []
    azure: dict[str, Any] = {
        "azure_endpoint": urls.azure_endpoint,
        "api_version": "2025-03-01-preview",
        "max_retries": 0,
    }
    sdk: OpenAI
    if style == "bearer":
        sdk = OpenAI(base_url=urls.openai_base_url, api_key=KEY, max_retries=0)
    elif style == "api-key":
        sdk = AzureOpenAI(api_key=KEY, **azure)
    elif style == "azure-ad-token":
        sdk = AzureOpenAI(azure_ad_token=KEY, **azure)
    elif style == "azure-ad-token-provider":
        sdk = AzureOpenAI(azure_ad_token_provider=token_provider(calls), **azure)
    else:
        sdk = OpenAI(base_url=urls.azure_v1_base_url, api_key=KEY, max_retries=0)
    with sdk:
        created = sdk.responses.create(model=MODEL, input="Say hello.")
        assert sdk.responses.retrieve(created.id).id == created.id
    assert [r.status for r in fake_responses_server.state.log] == [200, 200]
    if style == "azure-ad-token-provider":
        assert calls, "the provider's token is what the server accepted"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic c2stdGVzdDo="}, {"api-key": ""}],
    ids=["none", "empty-bearer", "basic", "empty-api-key"],
)
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/responses", openai_envelope(OPENAI_MISSING_KEY)),
        ("GET", "/v1/responses/resp_1", openai_envelope(OPENAI_MISSING_KEY)),
        ("POST", "/openai/responses", {"error": {"code": "401", "message": AZURE_MISSING_KEY}}),
        (
            "DELETE",
            "/openai/responses/resp_1?api-version=2025-03-01-preview",
            {"error": {"code": "401", "message": AZURE_MISSING_KEY}},
        ),
        (
            "GET",
            "/openai/v1/responses/resp_1/input_items",
            {"error": {"code": "401", "message": AZURE_MISSING_KEY}},
        ),
    ],
)
def test_missing_credential_is_401_in_the_flavours_envelope(
    fake_responses_server: FakeResponsesServer,
    headers: dict[str, str],
    method: str,
    path: str,
    expected: dict[str, Any],
) -> None:
    body = {"model": MODEL, "input": "Say hello."} if method == "POST" else None
    reply = raw(fake_responses_server, method, path, headers, body)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/json"
    assert reply.body == expected
    assert [r.status for r in fake_responses_server.state.log] == [401]


@pytest.mark.fake_scenario(SCENARIO, api_key=KEY)
def test_wrong_key_on_openai_routes(fake_responses_server: FakeResponsesServer) -> None:
    """401 ``invalid_api_key``, with the key masked: a secret must not reach a log."""
    with (
        OpenAI(
            base_url=fake_responses_server.urls.openai_base_url, api_key=WRONG_KEY, max_retries=0
        ) as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        sdk.responses.create(model=MODEL, input="Say hello.")
    exc = caught.value
    assert exc.status_code == 401
    assert isinstance(exc.body, dict)
    assert exc.body["type"] == "invalid_request_error"
    assert exc.body["param"] is None
    assert exc.body["code"] == "invalid_api_key"
    assert re.fullmatch(
        r"Incorrect API key provided: sk-\*+cdef\. You can find your API key at "
        r"https://platform\.openai\.com/account/api-keys\.",
        exc.body["message"],
    )
    assert WRONG_KEY not in str(exc)
    assert WRONG_KEY not in json.dumps(exc.body)


@pytest.mark.fake_scenario(SCENARIO, api_key=KEY)
@pytest.mark.parametrize("name", ["azure-endpoint", "azure-v1", "openai-on-azure-v1"])
def test_wrong_key_on_azure_routes(fake_responses_server: FakeResponsesServer, name: str) -> None:
    construction = next(c for c in CONSTRUCTIONS if c.name == name)
    with (
        construction.build(fake_responses_server, WRONG_KEY) as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        sdk.responses.create(model=MODEL, input="Say hello.")
    exc = caught.value
    assert exc.status_code == 401
    assert exc.body == {"code": "401", "message": AZURE_BAD_KEY}
    assert exc.code == "401"
    assert WRONG_KEY not in str(exc)


@pytest.mark.fake_scenario(SCENARIO, api_key=KEY)
def test_right_key_in_either_azure_header(fake_responses_server: FakeResponsesServer) -> None:
    """Azure v1 takes the key as ``api-key`` or as ``Authorization: Bearer`` (§1.2)."""
    for headers in ({"api-key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        reply = raw(
            fake_responses_server,
            "POST",
            "/openai/v1/responses",
            headers,
            {"model": MODEL, "input": "Say hello."},
        )
        assert reply.status == 200, reply.body
