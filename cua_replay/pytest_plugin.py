"""pytest plugin (entry point ``pytest11``): the ``fake_responses_server`` fixture.

The fixture starts the fake Responses API in-process on an ephemeral loopback
port for one test and yields the :class:`~cua_replay.server.FakeResponsesServer`
(``.urls`` holds the base URLs, ``.state.log`` the handled requests). Pick the
scenario with a marker, a built-in name, a file or an inline ``Scenario``::

    @pytest.mark.fake_scenario("form", api_key="sk-test")
    def test_form(fake_responses_server):
        client = OpenAI(base_url=fake_responses_server.urls.openai_base_url, api_key="sk-test")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import FakeResponsesServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_scenario(scenario, *, api_key=None, seed=None): the scenario (built-in name, file "
        "path or Scenario) the fake_responses_server fixture serves; default 'demo'",
    )


@pytest.fixture
def fake_responses_server(request: pytest.FixtureRequest) -> Iterator[FakeResponsesServer]:
    """The fake Responses API on ``127.0.0.1:<free port>`` for this test."""
    from .server import FakeResponsesServer

    marker = request.node.get_closest_marker("fake_scenario")
    scenario = marker.args[0] if marker and marker.args else getattr(request, "param", "demo")
    options = dict(marker.kwargs) if marker else {}
    with FakeResponsesServer(scenario, **options) as server:
        yield server
