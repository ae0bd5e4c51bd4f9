"""Test doubles shared by several test folders: a request recorder and a fake credential."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from azure.core.credentials import AccessToken
from starlette.types import Receive, Scope, Send

from cua_replay.server import FakeResponsesApp


@dataclass(frozen=True)
class Arrival:
    """What reached the fake server, before its routing: its log keeps no query or headers."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


def record_arrivals(monkeypatch: pytest.MonkeyPatch) -> list[Arrival]:
    """Every HTTP request the fake servers receive while ``monkeypatch`` is in effect."""
    arrivals: list[Arrival] = []
    call = FakeResponsesApp.__call__

    async def recording(self: FakeResponsesApp, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            arrivals.append(Arrival(scope["method"], scope["path"], query, headers))
        await call(self, scope, receive, send)

    monkeypatch.setattr(FakeResponsesApp, "__call__", recording)
    return arrivals


class FakeCredential:
    """A ``TokenCredential`` that hands out one fixed token and records the scopes asked for."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        self.closed = True
