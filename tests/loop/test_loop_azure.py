"""Every Azure construction style runs a whole scenario through the loop against the fake.

Key or Microsoft Entra ID (a fake ``TokenCredential``: no network), the
``azure_endpoint`` + ``api_version`` style and both v1 ``base_url`` styles; the
server, started with that one key or token, would refuse anything else.
"""

from __future__ import annotations

from typing import Any

import pytest

from cua_replay.backends import AZURE_SCOPE, backend_from_settings
from cua_replay.events import StopReason
from cua_replay.server import FakeResponsesServer, load_scenario
from cua_replay.settings import Settings
from tests.conftest import BrowserHarness
from tests.fakes import FakeCredential
from tests.loop.harness import run_scenario

KEY = "azure-key-for-the-fake"
TOKEN = "entra-token-for-the-fake"


STYLES: dict[str, dict[str, Any]] = {
    "endpoint+key": {"api_version": "2025-03-01-preview", "api_key": KEY},
    "endpoint+entra": {"api_version": "2025-03-01-preview", "azure_ad": True},
    "v1+api_version+key": {"api_version": "preview", "api_key": KEY, "v1": True},
    "v1+entra": {"api_version": "preview", "azure_ad": True, "v1": True},
    "v1-ga+key": {"api_key": KEY, "v1": True},
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_azure_style_runs_a_scenario(browser: BrowserHarness, style: str) -> None:
    options = dict(STYLES[style])
    v1 = options.pop("v1", False)
    entra = options.get("azure_ad", False)
    scenario = load_scenario("drag")
    with FakeResponsesServer(scenario, api_key=TOKEN if entra else KEY) as server:
        where = (
            {"base_url": server.urls.azure_v1_base_url}
            if v1
            else {"azure_endpoint": server.urls.azure_endpoint}
        )
        settings = Settings(
            _environ={}, provider="azure", model="cua-deployment", **options, **where
        )
        credential = FakeCredential(TOKEN) if entra else None
        backend = backend_from_settings(settings, credential=credential)
        outcome = run_scenario(browser, scenario, backend=backend, server=server)
        paths = {record.path for record in server.state.log}
    assert outcome.result.stop.reason is StopReason.COMPLETED, outcome.result.stop.detail
    assert "dropped!" in outcome.done_text["#target"]
    assert paths == {"/openai/v1/responses" if v1 else "/openai/responses"}
    if credential is not None:
        assert credential.scopes and all(s == (AZURE_SCOPE,) for s in credential.scopes)
