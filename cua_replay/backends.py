"""Model backends: where an agent loop sends its Responses API requests.

:class:`ModelBackend` is the plug point (``create`` a response, ``aclose``);
:class:`SDKBackend` sends through the OpenAI SDK's async client, and
:func:`backend_from_settings` builds one from :class:`~cua_replay.settings.Settings`:

* provider ``openai``: ``AsyncOpenAI(base_url=..., api_key=...)``, ``/v1/responses``;
* ``azure_endpoint`` + ``api_version``: ``AsyncAzureOpenAI(azure_endpoint=..., api_version=...)``,
  ``/openai/responses?api-version=...``;
* ``base_url`` + ``api_version``: ``AsyncAzureOpenAI(base_url=..., api_version=...)``,
  ``/openai/v1/responses?api-version=...``;
* ``base_url`` alone (Azure v1 GA): ``AsyncOpenAI(base_url=...)``, ``/openai/v1/responses``.

On Azure the credential is, in this order: Microsoft Entra ID when
``azure_ad`` is set (the ``credential`` passed in, else ``DefaultAzureCredential``,
asking for :data:`AZURE_SCOPE`; sent as ``Authorization: Bearer``), a static
``azure_ad_token`` (Bearer), or ``api_key`` (the ``api-key`` header, or Bearer on
the OpenAI client). Where, which credential and which API version are passed to
the client explicitly, so the SDK's own environment fallbacks never pick them
(it still reads ``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID`` when those are unset).

A request with ``stream=True`` is sent as a stream of server-sent events;
:meth:`SDKBackend.create` reads it to its terminal event and returns the
``Response`` that event carries, so callers always get a whole response.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from openai import AsyncAzureOpenAI, AsyncOpenAI, AsyncStream
from openai.types.responses import Response, ResponseStreamEvent

from .errors import BackendClosed, InvalidSetting, MissingSetting, ModelStreamError
from .settings import Settings
from .wire.sse import TERMINAL_EVENTS

if TYPE_CHECKING:
    import httpx2
    from azure.core.credentials import TokenCredential

logger = logging.getLogger(__name__)

AZURE_SCOPE: Final = "https://cognitiveservices.azure.com/.default"
"""The Microsoft Entra ID scope of Azure OpenAI."""
OPENAI_BASE_URL: Final = "https://api.openai.com/v1"


@runtime_checkable
class ModelBackend(Protocol):
    """The model seam: one whole Responses API response per request.

    Why a seam: the loop must not care whether the answer comes from the live
    API (:class:`SDKBackend`, OpenAI or Azure), a fake server or a recorded
    cassette, so the same loop records, replays and resumes a run.

    What the loop relies on:

    * ``create(request)`` takes the keyword arguments of ``responses.create``
      (the loop builds them; the backend must not rewrite them) and returns
      the *finished* :class:`~openai.types.responses.Response`, even when the
      request streams: reading a stream to its terminal event is the
      backend's job;
    * a response the model could not finish is still returned, with its
      ``status``; transport and API failures raise the SDK's ``APIError`` or
      :class:`~cua_replay.errors.ModelStreamError`, which stop the run as an
      error (anything else propagates);
    * ``aclose()`` releases connections and credentials; using the backend
      afterwards raises :class:`~cua_replay.errors.BackendClosed`.

    Structural: implement the two methods, no subclassing (``runtime_checkable``
    so :func:`cua_replay.run.run_task` and the pytest plugin can tell a backend
    from a factory of one).
    """

    async def create(self, request: dict[str, Any]) -> Response:
        """The response to ``request`` (the keyword arguments of ``responses.create``)."""
        ...

    async def aclose(self) -> None:
        """Release connections and credentials; the backend is unusable afterwards."""
        ...


class SDKBackend:
    """A :class:`ModelBackend` over the OpenAI SDK's async client (OpenAI or Azure OpenAI).

    ``on_close`` runs after the client closes (``backend_from_settings`` closes a
    ``DefaultAzureCredential`` it created this way). Use it as an async context
    manager, or call :meth:`aclose`.
    """

    def __init__(
        self, client: AsyncOpenAI, *, on_close: Callable[[], object] | None = None
    ) -> None:
        self._client = client
        self._on_close = on_close
        self._closed = False

    @property
    def client(self) -> AsyncOpenAI:
        return self._client

    async def create(self, request: dict[str, Any]) -> Response:
        """``client.responses.create(**request)``, on a copy of ``request``.

        With ``stream=True`` the events are read to the terminal one
        (``response.completed``, ``response.failed`` or ``response.incomplete``)
        and the ``Response`` it carries is returned, its status as the service
        set it; the stream is closed whatever happens. An ``error`` event, or a
        stream that ends without a terminal event, raises
        :class:`~cua_replay.errors.ModelStreamError`.
        """
        if self._closed:
            raise BackendClosed("This SDKBackend is closed (aclose() was called); build a new one.")
        response = await self._client.responses.create(**copy.deepcopy(request))
        if isinstance(response, AsyncStream):
            return await _final_response(response)
        if not isinstance(response, Response):  # pragma: no cover - the SDK's contract
            raise TypeError(f"Expected a Response, got {type(response).__name__}.")
        return response

    async def aclose(self) -> None:
        """Close the client (and ``on_close``); calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._client.close()
        finally:
            if self._on_close is not None:
                self._on_close()

    async def __aenter__(self) -> SDKBackend:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        client = type(self._client).__name__
        return f"SDKBackend({client}, base_url={self._client.base_url!s}, {state})"


async def _final_response(stream: AsyncStream[ResponseStreamEvent]) -> Response:
    """The ``Response`` of ``stream``'s terminal event; the stream is closed on every path."""
    count = 0
    last: str | None = None
    async with stream:
        async for event in stream:
            count += 1
            last = event.type
            if event.type == "error":
                raise ModelStreamError(
                    f"The response stream sent an error event (code={event.code!r}, "
                    f"param={event.param!r}): {event.message} The response was not finished; "
                    "retry the request, or send it without stream=True.",
                    code=event.code,
                    events=count,
                )
            if event.type in TERMINAL_EVENTS:
                response = getattr(event, "response", None)
                if isinstance(response, Response):
                    return response
    raise ModelStreamError(
        f"The response stream ended after {count} event(s) (last: {last!r}) without "
        "response.completed, response.failed or response.incomplete: the connection was "
        "probably cut. Retry the request, or send it without stream=True.",
        events=count,
    )


def backend_from_settings(
    settings: Settings,
    *,
    credential: TokenCredential | None = None,
    http_client: httpx2.AsyncClient | None = None,
) -> SDKBackend:
    """The :class:`SDKBackend` the settings describe (see the module docstring).

    ``credential`` is the Azure credential for Microsoft Entra ID (``azure_ad``);
    without one, ``azure.identity.DefaultAzureCredential`` is created, and closed
    with the backend. Raises :class:`~cua_replay.errors.MissingSetting` naming the
    environment variable and flag that would supply what is missing, and
    :class:`~cua_replay.errors.InvalidSetting` for a ``credential`` the settings
    do not use.
    """
    if credential is not None and not (settings.provider == "azure" and settings.azure_ad):
        raise InvalidSetting(
            f"A credential was passed, but the settings do not use Microsoft Entra ID "
            f"(provider={settings.provider!r}, azure_ad={settings.azure_ad}). Use --provider "
            f"azure with --azure-ad, or do not pass a credential.",
            setting="azure_ad",
            source=settings.origin("azure_ad"),
        )
    if settings.provider == "openai":
        return SDKBackend(_openai_client(settings, http_client))
    return _azure_backend(settings, credential, http_client)


def _secret(settings: Settings, name: str) -> str | None:
    value = getattr(settings, name)
    return value.get_secret_value() or None if value is not None else None


def _openai_client(settings: Settings, http_client: httpx2.AsyncClient | None) -> AsyncOpenAI:
    key = _secret(settings, "api_key")
    if key is None:
        raise MissingSetting(
            "No API key: set OPENAI_API_KEY or pass --api-key.",
            setting="api_key",
            env=("OPENAI_API_KEY",),
            flags=("--api-key",),
        )
    base_url = settings.base_url or OPENAI_BASE_URL
    logger.debug(
        "Model backend: OpenAI at %s, API key from %s", base_url, settings.origin("api_key")
    )
    return AsyncOpenAI(
        api_key=key,
        base_url=base_url,
        organization=settings.organization,
        project=settings.project,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        http_client=http_client,
    )


def _azure_backend(
    settings: Settings,
    credential: TokenCredential | None,
    http_client: httpx2.AsyncClient | None,
) -> SDKBackend:
    endpoint, base_url, version = settings.azure_endpoint, settings.base_url, settings.api_version
    if endpoint is None and base_url is None:
        raise MissingSetting(
            "No Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT or pass --azure-endpoint "
            "(https://RESOURCE.openai.azure.com), or pass --base-url for the v1 API "
            "(https://RESOURCE.openai.azure.com/openai/v1/).",
            setting="azure_endpoint",
            env=("AZURE_OPENAI_ENDPOINT",),
            flags=("--azure-endpoint", "--base-url"),
        )
    if endpoint is not None and base_url is not None:
        raise InvalidSetting(
            f"azure_endpoint (from {settings.origin('azure_endpoint')}) and base_url (from "
            f"{settings.origin('base_url')}) are alternatives; set only one of them.",
            setting="azure_endpoint",
        )
    if endpoint is not None and version is None:
        raise MissingSetting(
            f"No API version for azure_endpoint={endpoint!r}: set OPENAI_API_VERSION or pass "
            f"--api-version (e.g. 2025-03-01-preview), or use the v1 API with --base-url "
            f"{endpoint.rstrip('/')}/openai/v1/ which needs none.",
            setting="api_version",
            env=("OPENAI_API_VERSION",),
            flags=("--api-version",),
        )
    key, token, provider, on_close, how = _azure_credential(settings, credential)
    common: dict[str, Any] = {
        "organization": settings.organization,
        "project": settings.project,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
        "http_client": http_client,
    }
    client: AsyncOpenAI
    if endpoint is not None:
        client = AsyncAzureOpenAI(
            azure_endpoint=endpoint,
            api_version=version,
            api_key=key,
            azure_ad_token=token,
            azure_ad_token_provider=provider,
            **common,
        )
    elif version is not None:
        client = AsyncAzureOpenAI(
            base_url=str(base_url),
            api_version=version,
            api_key=key,
            azure_ad_token=token,
            azure_ad_token_provider=provider,
            **common,
        )
    else:  # Azure v1 GA: the plain OpenAI client, every credential sent as a bearer token
        bearer: str | Callable[[], Awaitable[str]] | None = key or token or provider
        client = AsyncOpenAI(api_key=bearer, base_url=base_url, **common)
    logger.debug("Model backend: %s at %s, %s", type(client).__name__, client.base_url, how)
    return SDKBackend(client, on_close=on_close)


_AzureCredential = tuple[
    str | None,
    str | None,
    Callable[[], Awaitable[str]] | None,
    Callable[[], object] | None,
    str,
]


def _azure_credential(settings: Settings, credential: TokenCredential | None) -> _AzureCredential:
    """``(api_key, azure_ad_token, token_provider, on_close, description)``: exactly one set."""
    if settings.azure_ad:
        on_close: Callable[[], object] | None = None
        if credential is None:
            from azure.identity import DefaultAzureCredential

            default = DefaultAzureCredential()
            credential, on_close = default, default.close
        return None, None, _token_provider(credential), on_close, "Microsoft Entra ID"
    token = _secret(settings, "azure_ad_token")
    if token is not None:
        return None, token, None, None, f"Entra ID token from {settings.origin('azure_ad_token')}"
    key = _secret(settings, "api_key")
    if key is not None:
        return key, None, None, None, f"API key from {settings.origin('api_key')}"
    raise MissingSetting(
        "No Azure OpenAI credential: set AZURE_OPENAI_API_KEY, pass --api-key, or use "
        "--azure-ad for Microsoft Entra ID (or set AZURE_OPENAI_AD_TOKEN to a token).",
        setting="api_key",
        env=("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"),
        flags=("--api-key", "--azure-ad"),
    )


def _token_provider(credential: TokenCredential) -> Callable[[], Awaitable[str]]:
    """An async bearer-token provider over a sync credential, off the event loop.

    ``get_bearer_token_provider`` caches the token and refreshes it before it
    expires; a refresh may block (a subprocess, an HTTP call), so it runs in a
    worker thread rather than stalling the agent loop.
    """
    from azure.identity import get_bearer_token_provider

    fetch = get_bearer_token_provider(credential, AZURE_SCOPE)

    async def provider() -> str:
        return await asyncio.to_thread(fetch)

    return provider
