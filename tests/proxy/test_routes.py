"""The other routes a computer-use client touches, through the proxy, recorded then replayed."""

from __future__ import annotations

from pathlib import Path

from openai import OpenAI

from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from tests.proxy.conftest import KEY, SCENARIO


def session(base_url: str) -> tuple[str, str, list[str], bool]:
    """Create, retrieve, list input items, delete: what each answered."""
    with OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        created = client.responses.create(
            model="gpt-5.4", tools=[{"type": "computer"}], input=SCENARIO.task
        )
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
