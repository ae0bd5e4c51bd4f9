"""Recordings made through the proxy, shared by the proxy's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from openai.lib.computer import ComputerToolset

from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import Scenario
from cua_replay.server.scenario import load_scenario
from tests.proxy.upstream import serve
from tests.server.images import data_url, png

KEY = "sk-proxy-canary-5f3a9c0e7b1d4a6e"
"""The client's key: forwarded upstream, never stored."""

SCENARIO: Scenario = load_scenario("form")


class Driver:
    """A ``ComputerDriver`` that notes each action and always shows the same screen."""

    def __init__(self, screen: bytes | None = None) -> None:
        self.actions: list[dict[str, Any]] = []
        self.screen = data_url(screen or png())

    def _do(self, action: Any) -> None:
        self.actions.append(action.model_dump(exclude_none=True))

    click = double_click = drag = keypress = move = scroll = type = wait = _do

    def screenshot(self) -> dict[str, str]:
        return {"type": "computer_screenshot", "image_url": self.screen}


def run_toolset(base_url: str, driver: Driver, task: str = SCENARIO.task) -> Any:
    """The SDK's ``ComputerToolset`` against ``base_url``, as a client we did not write."""
    with OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        params = {"model": "gpt-5.4", "input": task, "store": False}
        return ComputerToolset(driver).run(client, params)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toolset recorded through the proxy (``once``) from ``cua-replay serve``, now gone."""
    tmp = tmp_path_factory.mktemp("proxy")
    directory = tmp / "form"
    with (
        serve(SCENARIO.name, tmp) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream)) as proxy,
    ):
        response = run_toolset(proxy.urls.openai_base_url, Driver())
    assert response.output_text == SCENARIO.turns[-1].message
    return directory
