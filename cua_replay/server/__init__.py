"""A deterministic fake of the OpenAI / Azure OpenAI Responses API for computer use.

``FakeResponsesServer`` serves it on loopback; ``FakeResponsesApp`` is the ASGI
app; ``Scenario`` scripts the mock model; ``Brain`` is the interface another
decision-maker implements; ``CassetteBrain`` answers with a recorded cassette.
"""

from ..wire.envelopes import APIError, Flavour
from .app import FakeResponsesApp
from .brain import Brain, Decision, Reply, ScriptedBrain
from .cassette_brain import CassetteBrain
from .runner import FakeResponsesServer, ServerURLs
from .scenario import Scenario, ScenarioError, Turn, builtin_scenarios, load_scenario

__all__ = [
    "APIError",
    "Brain",
    "CassetteBrain",
    "Decision",
    "FakeResponsesApp",
    "FakeResponsesServer",
    "Flavour",
    "Reply",
    "Scenario",
    "ScenarioError",
    "ScriptedBrain",
    "ServerURLs",
    "Turn",
    "builtin_scenarios",
    "load_scenario",
]
