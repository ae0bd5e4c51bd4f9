"""The fake Responses API as one ASGI app (Starlette): routes, auth, and the request cycle.

Starlette because the job is small and explicit: a handful of routes, raw
bodies, exact headers, a streaming response, and nothing else. The cycle of a
create request is one way: auth -> parse -> :class:`~.checker.ContractChecker`
-> :class:`~.brain.Brain` -> :func:`~.render.render` -> store -> JSON or SSE.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..wire import envelopes as e
from ..wire.envelopes import APIError, Flavour
from ..wire.items import ItemQuery, integer_param, listed, page
from ..wire.sse import encode, synthesize, words
from .brain import Brain, ScriptedBrain
from .contract import ContractChecker, CreateRequest
from .responses import Outcome, dumps, render
from .scenario import (
    DelayFault,
    DropFault,
    HttpFault,
    ResponseFault,
    Scenario,
    StreamErrorFault,
    load_scenario,
)
from .state import RequestRecord, ServerState, StoredResponse

logger = logging.getLogger(__name__)

Handler = Callable[[Flavour, str], Awaitable[Response]]
"""A route's work once authenticated: (flavour, request id) -> response."""

PREFIXES = ("/v1", "/openai", "/openai/v1")
RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29990000",
    "x-ratelimit-reset-tokens": "0s",
}


class ConnectionDropped(Exception):
    """Raised after the status line is sent, so the server closes the connection mid-response."""


class _DropResponse(Response):
    error_code = "connection_dropped"
    """What ``state.log`` records: the client sees no status at all."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id": "resp_', "more_body": True})
        raise ConnectionDropped("scripted fault: connection dropped mid-response")


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class FakeResponsesApp:
    """ASGI app. ``brain`` decides outputs; ``api_key`` (if set) is the only key accepted."""

    def __init__(
        self,
        brain: Brain | Scenario | str = "demo",
        *,
        api_key: str | None = None,
        seed: str | None = None,
    ) -> None:
        if isinstance(brain, str):
            brain = load_scenario(brain)
        if isinstance(brain, Scenario):
            brain = ScriptedBrain(brain)
        self.brain: Brain = brain
        self.api_key = api_key
        self.state = ServerState(seed if seed is not None else f"cua-replay:{brain.name}")
        self.checker = ContractChecker(self.state)
        self._attempts: dict[bytes, int] = {}
        routes: list[Route] = []
        for prefix in PREFIXES:
            base = f"{prefix}/responses"
            routes += [
                Route(base, self._create, methods=["POST"]),
                Route(base + "/{response_id}", self._retrieve, methods=["GET"]),
                Route(base + "/{response_id}", self._delete, methods=["DELETE"]),
                Route(base + "/{response_id}/input_items", self._input_items, methods=["GET"]),
            ]
        self._app = Starlette(
            routes=routes,
            exception_handlers={404: self._no_route, 405: self._no_route},
        )
        # A trailing slash is a wrong URL (404 in the envelope), not a bare 307 to follow.
        self._app.router.redirect_slashes = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    # -- handlers -------------------------------------------------------------------------

    async def _create(self, request: Request) -> Response:
        async def handle(flavour: Flavour, request_id: str) -> Response:
            raw = await request.body()
            checked = self.checker.check(self.checker.parse(raw), flavour)
            decision = self.brain.decide(checked)
            fault = decision.fault
            if fault is not None:
                # Hashing a screenshot-sized body costs as much as parsing it: only for faults.
                digest = hashlib.sha256(raw).digest()
                attempt = self._attempts[digest] = self._attempts.get(digest, 0) + 1
                if attempt > fault.times:
                    fault = None
            outcome = Outcome()
            stream_error: str | None = None
            if isinstance(fault, HttpFault):
                raise _http_fault(fault, request_id)
            if isinstance(fault, DropFault):
                return _DropResponse()
            if isinstance(fault, DelayFault):
                # A scripted latency the client asked to be tested against, not a settle wait.
                await anyio.sleep(fault.seconds)
            if isinstance(fault, ResponseFault):
                outcome = _outcome(fault)
            if isinstance(fault, StreamErrorFault):
                if not checked.stream:
                    raise e.server_error(request_id)
                stream_error = fault.message
            return self._respond(checked, decision.reply, outcome, request_id, stream_error)

        return await self._guard(request, handle)

    def _respond(
        self,
        checked: CreateRequest,
        reply: Any,
        outcome: Outcome,
        request_id: str,
        stream_error: str | None,
    ) -> Response:
        state = self.state
        conversation = checked.conversation or state.new_conversation(checked.task)
        body = render(checked, reply, conversation, state, outcome)
        raw = dumps(body)
        inputs = [_with_id(item, conversation, state) for item in checked.input_items]
        output = body["output"]
        usage = body["usage"]
        stored = StoredResponse(
            id=body["id"],
            body=body,
            raw=raw,
            input_items=(),
            conversation=conversation,
            progress=checked.progress + sum(1 for o in output if o["type"] == "message"),
            context_tokens=usage["input_tokens"] + usage["output_tokens"],
            stored=checked.store,
            pending_calls={o["call_id"]: o for o in output if o["type"] == "computer_call"},
        )
        if stream_error is None:
            state.save(stored, inputs)
            state.remember_output(output, conversation)
            if reply.final and outcome.status == "completed":
                state.finished.append(body["id"])
        response: Response
        if checked.stream:
            options = checked.body.get("stream_options") or {}
            obfuscate = options.get("include_obfuscation") is not False
            response = self._sse(body, obfuscate, request_id, stream_error)
        else:
            response = Response(
                raw, media_type="application/json", headers=self._headers(request_id)
            )
        response.response_id = body["id"]  # type: ignore[attr-defined]
        return response

    def _sse(
        self, body: dict[str, Any], obfuscate: bool, request_id: str, error: str | None
    ) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for event in self._events(body, obfuscate, error):
                yield encode(event["type"], event)

        headers = self._headers(request_id)
        return StreamingResponse(
            chunks(), media_type="text/event-stream; charset=utf-8", headers=headers
        )

    def _events(
        self, body: dict[str, Any], obfuscate: bool, error: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The response's stream, its deltas word by word and padded as the service pads them."""
        ids, response_id = self.state.ids, body["id"]

        def obfuscation(sequence: int) -> str:
            return ids.obfuscation(response_id, sequence)

        return synthesize(
            body, deltas=words, obfuscation=obfuscation if obfuscate else None, error=error
        )

    async def _retrieve(self, request: Request) -> Response:
        async def handle(flavour: Flavour, request_id: str) -> Response:
            stored = self._stored(request)
            if request.query_params.get("stream") == "true":
                after = integer_param(request.query_params, "starting_after", -1, -1, 1_000_000)
                obfuscate = request.query_params.get("include_obfuscation") != "false"
                selected = [
                    ev
                    for ev in self._events(stored.body, obfuscate)
                    if ev["sequence_number"] > after
                ]

                async def chunks() -> AsyncIterator[bytes]:
                    for event in selected:
                        yield encode(event["type"], event)

                return StreamingResponse(
                    chunks(),
                    media_type="text/event-stream; charset=utf-8",
                    headers=self._headers(request_id),
                )
            return Response(
                stored.raw, media_type="application/json", headers=self._headers(request_id)
            )

        return await self._guard(request, handle)

    async def _delete(self, request: Request) -> Response:
        async def handle(flavour: Flavour, request_id: str) -> Response:
            stored = self._stored(request)
            self.state.forget(stored)
            body = {"id": stored.id, "object": "response.deleted", "deleted": True}
            return Response(
                dumps(body), media_type="application/json", headers=self._headers(request_id)
            )

        return await self._guard(request, handle)

    async def _input_items(self, request: Request) -> Response:
        async def handle(flavour: Flavour, request_id: str) -> Response:
            stored = self._stored(request)
            params = request.query_params
            include = params.getlist("include") + params.getlist("include[]")
            query = ItemQuery.parse(params, include)
            listed_items = [listed(item, query.include) for item in stored.input_items]
            return Response(
                dumps(dict(page(listed_items, query))),
                media_type="application/json",
                headers=self._headers(request_id),
            )

        return await self._guard(request, handle)

    async def _no_route(self, request: Request, exc: Exception) -> Response:
        flavour = Flavour.of_path(request.url.path)
        error = e.invalid_url(request.method, request.url.path)
        request_id = self.state.next_request_id()
        self.state.log.append(RequestRecord(request.method, request.url.path, 404, None))
        return Response(
            error.body(flavour),
            status_code=error.status,
            media_type="application/json",
            headers=self._headers(request_id),
        )

    # -- the shared cycle -----------------------------------------------------------------

    async def _guard(self, request: Request, handle: Handler) -> Response:
        """Auth, then ``handle``; every failure becomes an error in the flavour's envelope."""
        started = time.perf_counter()
        request_id = self.state.next_request_id()
        flavour = Flavour.of_path(request.url.path)
        try:
            self._authenticate(request, flavour)
            response: Response = await handle(flavour, request_id)
        except APIError as exc:
            response = self._error(exc, flavour, request_id)
        except ClientDisconnect:
            # The client hung up before its body arrived: no one to answer, and no bug here.
            gone = APIError(400, "The client closed the connection mid-body.", code="client_closed")
            response = self._error(gone, flavour, request_id)
        except Exception:
            logger.exception("fake server bug answering %s %s", request.method, request.url.path)
            response = self._error(e.server_error(request_id), flavour, request_id)
        response.headers["openai-processing-ms"] = str(int((time.perf_counter() - started) * 1000))
        code = getattr(response, "error_code", None)
        response_id = getattr(response, "response_id", None) or request.path_params.get(
            "response_id"
        )
        self.state.log.append(
            RequestRecord(request.method, request.url.path, response.status_code, code, response_id)
        )
        return response

    def _authenticate(self, request: Request, flavour: Flavour) -> None:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        key = request.headers.get("api-key") or (token if scheme.lower() == "bearer" else "")
        if not key.strip():
            raise e.missing_key(flavour)
        if self.api_key is not None and key != self.api_key:
            raise e.bad_key(flavour, key)

    def _error(self, error: APIError, flavour: Flavour, request_id: str) -> Response:
        response = Response(
            error.body(flavour),
            status_code=error.status,
            media_type="application/json",
            headers={**self._headers(request_id), **error.headers},
        )
        response.error_code = error.code  # type: ignore[attr-defined]
        return response

    def _headers(self, request_id: str) -> dict[str, str]:
        return {
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-organization": "cua-replay-fake",
            **RATE_LIMIT_HEADERS,
        }

    def _stored(self, request: Request) -> StoredResponse:
        response_id = request.path_params["response_id"]
        stored = self.state.retrievable(response_id)
        if stored is None:
            raise e.response_not_found(response_id)
        return stored


def _http_fault(fault: HttpFault, request_id: str) -> APIError:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    if fault.should_retry is not None:
        headers["x-should-retry"] = "true" if fault.should_retry else "false"
    if fault.status == 429:
        message = fault.message or (
            "Rate limit reached for computer-use-preview in organization org-cua-replay-fake on "
            "requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20ms. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        return APIError(429, message, type="requests", code="rate_limit_exceeded", headers=headers)
    if fault.status >= 500:
        error = e.server_error(request_id)
        if fault.status == 503:
            error.message = (
                "That model is currently overloaded with other requests. You can retry your "
                "request, or contact us through our help center at help.openai.com if the error "
                f"persists. (Please include the request ID {request_id} in your message.)"
            )
        error.status = fault.status
        error.message = fault.message or error.message
        error.headers = headers
        return error
    return APIError(fault.status, fault.message or "Scripted error.", headers=headers)


def _outcome(fault: ResponseFault) -> Outcome:
    if fault.kind == "failed":
        return Outcome("failed", error={"code": fault.code, "message": fault.message})
    return Outcome("incomplete", incomplete_reason=fault.reason)


def _with_id(item: dict[str, Any], conversation: Any, state: ServerState) -> dict[str, Any]:
    if isinstance(item.get("id"), str):
        return item
    prefix = {"message": "msg_", "computer_call_output": "cuo_"}.get(
        item.get("type") or "message", "item_"
    )
    return {**item, "id": state.ids.hex(prefix, conversation.number, conversation.tick())}
