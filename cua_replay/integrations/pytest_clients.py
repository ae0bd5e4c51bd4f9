"""The plugin's client fixtures: SDK and ``httpx2`` clients over one test's cassette.

Part of the pytest plugin (:mod:`.pytest_plugin` re-exports the fixtures, which
is how pytest finds them); the module docstring there says how to use them.
Each fixture asks ``cua_cassette`` for its ``httpx2`` client (which records, or
answers from the cassette, or under ``new`` both:
:class:`~cua_replay.record.rest.RecordRestTransport`)
and builds the SDK client on it from ``cua_client_options``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    import httpx2
    from openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI

    from .pytest_plugin import CassetteFixture

__all__ = [
    "cua_async_azure_openai",
    "cua_async_http_client",
    "cua_async_openai",
    "cua_azure_openai",
    "cua_client_options",
    "cua_http_client",
    "cua_openai",
]


@pytest.fixture
def cua_client_options() -> dict[str, Any]:
    """Keyword arguments for the SDK client fixtures (``base_url``, ``api_key``, ...).

    Empty by default: the SDK reads the environment. Override it in a
    ``conftest.py`` or a test module, as pytest-recording's ``vcr_config``.
    """
    return {}


@pytest.fixture
def cua_http_client(cua_cassette: CassetteFixture) -> Iterator[httpx2.Client]:
    """A sync ``httpx2`` client recording into, or replaying, this test's cassette."""
    with _http(cua_cassette) as client:
        yield client


@pytest.fixture
def cua_async_http_client(cua_cassette: CassetteFixture) -> httpx2.AsyncClient:
    """An async ``httpx2`` client recording into, or replaying, this test's cassette."""
    return _async_http(cua_cassette)


@pytest.fixture
def cua_openai(
    cua_cassette: CassetteFixture, cua_client_options: dict[str, Any]
) -> Iterator[OpenAI]:
    """An ``OpenAI`` client over this test's cassette (see the module docstring)."""
    from openai import OpenAI

    with _sdk_client(OpenAI, _http(cua_cassette), cua_cassette, cua_client_options) as c:
        yield c


@pytest.fixture
def cua_async_openai(
    cua_cassette: CassetteFixture, cua_client_options: dict[str, Any]
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client over this test's cassette; close it in your event loop."""
    from openai import AsyncOpenAI

    http = _async_http(cua_cassette)
    return _sdk_client(AsyncOpenAI, http, cua_cassette, cua_client_options)


@pytest.fixture
def cua_azure_openai(
    cua_cassette: CassetteFixture, cua_client_options: dict[str, Any]
) -> Iterator[AzureOpenAI]:
    """An ``AzureOpenAI`` client over this test's cassette."""
    from openai import AzureOpenAI

    http = _http(cua_cassette)
    with _sdk_client(AzureOpenAI, http, cua_cassette, cua_client_options) as client:
        yield client


@pytest.fixture
def cua_async_azure_openai(
    cua_cassette: CassetteFixture, cua_client_options: dict[str, Any]
) -> AsyncAzureOpenAI:
    """An ``AsyncAzureOpenAI`` client over this test's cassette; close it in your event loop."""
    from openai import AsyncAzureOpenAI

    http = _async_http(cua_cassette)
    return _sdk_client(AsyncAzureOpenAI, http, cua_cassette, cua_client_options)


def _http(cassette: CassetteFixture) -> httpx2.Client:
    """The cassette's sync client; a setting it cannot honour fails the test in one line."""
    from ..errors import CuaReplayError

    try:
        return cassette.http_client()
    except CuaReplayError as error:
        pytest.fail(str(error), pytrace=False)


def _async_http(cassette: CassetteFixture) -> httpx2.AsyncClient:
    from ..errors import CuaReplayError

    try:
        return cassette.async_http_client()
    except CuaReplayError as error:
        pytest.fail(str(error), pytrace=False)


C = TypeVar("C")

_REPLAY_PLACEHOLDERS: dict[str, tuple[str, str]] = {
    # client keyword: (the environment variable the SDK reads it from, the stand-in)
    "api_key": ("OPENAI_API_KEY", "sk-replay"),
}
_AZURE_PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "api_key": ("AZURE_OPENAI_API_KEY", "replay"),
    "api_version": ("OPENAI_API_VERSION", "preview"),
    "azure_endpoint": ("AZURE_OPENAI_ENDPOINT", "https://replay.invalid"),
}
_AZURE_CREDENTIALS = ("api_key", "azure_ad_token", "azure_ad_token_provider")


def _sdk_client(
    cls: Callable[..., C],
    http_client: Any,
    cassette: CassetteFixture,
    options: dict[str, Any],
    environ: Mapping[str, str] = os.environ,
) -> C:
    """``cls(**options, http_client=...)``; replaying, stand-ins for missing credentials.

    A replay sends nothing anywhere, so CI needs no key, endpoint or API
    version: whatever neither ``options`` nor the environment gives gets a
    placeholder the SDK accepts. Under ``new`` the rest goes to the service,
    so the real credentials are needed as when recording.
    """
    kwargs = dict(options)
    if cassette.offline:
        azure = "Azure" in getattr(cls, "__name__", "")
        given = set(kwargs)
        if azure and given & set(_AZURE_CREDENTIALS):
            given.add("api_key")
        if "base_url" in given:
            given.add("azure_endpoint")
        placeholders = _AZURE_PLACEHOLDERS if azure else _REPLAY_PLACEHOLDERS
        for name, (variable, stand_in) in placeholders.items():
            if name not in given and not environ.get(variable):
                kwargs[name] = stand_in
    return cls(**kwargs, http_client=http_client)
