"""The other routes a computer-use client touches, through the proxy, recorded then replayed."""

from __future__ import annotations

from pathlib import Path

from openai import AzureOpenAI, OpenAI
from openai.lib.computer import ComputerToolset

from cua_replay.cassette.verify import verify
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from tests.proxy.conftest import KEY, SCENARIO, Driver


def session(base_url: str, task: str = SCENARIO.task) -> tuple[str, str, list[str], bool]:
    """Create, retrieve, list input items, delete: what each answered."""
    with OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        created = client.responses.create(model="gpt-5.4", tools=[{"type": "computer"}], input=task)
        again = client.responses.retrieve(created.id)
        items = client.responses.input_items.list(created.id)
        client.responses.delete(created.id)
        return created.id, again.id, [item.type for item in items.data], True


def test_retrieve_input_items_and_delete_record_and_replay(tmp_path: Path) -> None:
    directory = tmp_path / "routes"
    with (
        FakeResponsesServer(SCENARIO) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream.urls.openai_base_url)) as proxy,
    ):
        live = session(proxy.urls.openai_base_url)
    assert live[0] == live[1]
    assert live[2] == ["message"]
    with ProxyServer(ProxyApp(directory, "none")) as proxy:
        replayed = session(proxy.urls.azure_v1_base_url)
    assert replayed == live


def test_an_azure_classic_client_records_and_replays(tmp_path: Path) -> None:
    """``/openai/responses?api-version=...`` to an upstream given as an origin (as Azure's)."""
    directory = tmp_path / "azure"

    def run(endpoint: str) -> str:
        with AzureOpenAI(
            azure_endpoint=endpoint, api_key=KEY, api_version="2025-03-01-preview", max_retries=0
        ) as client:
            response = ComputerToolset(Driver()).run(
                client, {"model": "gpt-5.4", "input": SCENARIO.task, "store": False}
            )
            return response.output_text

    with FakeResponsesServer(SCENARIO) as upstream:
        origin = upstream.urls.azure_endpoint
        with ProxyServer(ProxyApp(directory, "once", upstream=origin)) as proxy:
            live = run(proxy.urls.azure_endpoint)
    assert live == SCENARIO.turns[-1].message
    with ProxyServer(ProxyApp(directory, "none")) as proxy:
        assert run(proxy.urls.azure_endpoint) == live
    assert verify(directory, environ={}, secrets=[KEY]).ok
