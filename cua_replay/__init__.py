"""cua-replay: record, replay and diff computer-use agents on the Responses API.

The public API is importable from here, but nothing behind it is imported
until a name is first used (PEP 562 ``__getattr__``): ``import cua_replay``
must stay cheap, because the OpenAI SDK's response types, Playwright, uvicorn
and Starlette take the best part of a second to import, and a command such as
``cua-replay diff`` or ``--version`` needs none of them. :data:`_EXPORTS` says
where each public name lives; the ``TYPE_CHECKING`` imports below say the same
for type checkers and IDEs (``tests/test_exports.py`` keeps the two equal).
"""

from __future__ import annotations

import importlib as _importlib
import logging as _logging
import typing as _typing

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # actions, keys, geometry, browser: the vocabulary of a run
    "Action": ".actions",
    "Click": ".actions",
    "DoubleClick": ".actions",
    "Drag": ".actions",
    "Keypress": ".actions",
    "Move": ".actions",
    "Screenshot": ".actions",
    "Scroll": ".actions",
    "Type": ".actions",
    "Wait": ".actions",
    "parse_call": ".actions",
    "KeyStroke": ".keys",
    "chord": ".keys",
    "map_keys": ".keys",
    "Position": ".geometry",
    "Viewport": ".geometry",
    "ChromiumLocation": ".browser",
    "find_chromium": ".browser",
    # the three seams
    "ModelBackend": ".backends",
    "Executor": ".executors.base",
    "SafetyGate": ".safety",
    "Verdict": ".safety",
    # run, record, replay, diff
    "RunOptions": ".run",
    "TaskOutcome": ".run",
    "run_task": ".run",
    "Recorder": ".record",
    "async_recording_client": ".record",
    "new_manifest": ".record",
    "recording_client": ".record",
    "Cassette": ".cassette",
    "load_cassette": ".cassette",
    "verify": ".cassette",
    "replay_cassette": ".rerun",
    "async_replay_client": ".replay",
    "replay_client": ".replay",
    "MatchPolicy": ".replay",
    "ReplayOptions": ".replay",
    "FakeResponsesServer": ".server",
    "Scenario": ".server",
    "load_scenario": ".server",
    "DiffOptions": ".diff",
    "DiffResult": ".diff",
    "diff_cassettes": ".diff",
    "diff_dirs": ".diff",
    # every error raised on purpose (cua_replay.errors draws the tree)
    "BackendClosed": ".errors",
    "CassetteNotFound": ".errors",
    "CassetteNotWritable": ".errors",
    "ChromiumNotFound": ".errors",
    "CuaReplayError": ".errors",
    "ExecutorError": ".errors",
    "FixtureSiteError": ".errors",
    "InvalidAction": ".errors",
    "InvalidCassette": ".errors",
    "MissingExtra": ".errors",
    "InvalidDomainEntry": ".errors",
    "InvalidImage": ".errors",
    "InvalidSafetyPolicy": ".errors",
    "InvalidSetting": ".errors",
    "InvalidViewport": ".errors",
    "MissingSetting": ".errors",
    "ModelStreamError": ".errors",
    "NetworkBlocked": ".errors",
    "NotReplayable": ".replay.http",
    "ReplayMismatch": ".errors",
    "ScenarioError": ".errors",
    "UnknownKey": ".errors",
}
"""Public name -> the module (relative to this package) that defines or re-exports it."""

if _typing.TYPE_CHECKING:
    from .actions import (
        Action,
        Click,
        DoubleClick,
        Drag,
        Keypress,
        Move,
        Screenshot,
        Scroll,
        Type,
        Wait,
        parse_call,
    )
    from .backends import ModelBackend
    from .browser import ChromiumLocation, find_chromium
    from .cassette import Cassette, load_cassette, verify
    from .diff import DiffOptions, DiffResult, diff_cassettes, diff_dirs
    from .errors import (
        BackendClosed,
        CassetteNotFound,
        CassetteNotWritable,
        ChromiumNotFound,
        CuaReplayError,
        ExecutorError,
        FixtureSiteError,
        InvalidAction,
        InvalidCassette,
        InvalidDomainEntry,
        InvalidImage,
        InvalidSafetyPolicy,
        InvalidSetting,
        InvalidViewport,
        MissingExtra,
        MissingSetting,
        ModelStreamError,
        NetworkBlocked,
        ReplayMismatch,
        ScenarioError,
        UnknownKey,
    )
    from .executors.base import Executor
    from .geometry import Position, Viewport
    from .keys import KeyStroke, chord, map_keys
    from .record import Recorder, async_recording_client, new_manifest, recording_client
    from .replay import MatchPolicy, ReplayOptions, async_replay_client, replay_client
    from .replay.http import NotReplayable
    from .rerun import replay_cassette
    from .run import RunOptions, TaskOutcome, run_task
    from .safety import SafetyGate, Verdict
    from .server import FakeResponsesServer, Scenario, load_scenario

__all__ = [
    "Action",
    "BackendClosed",
    "Cassette",
    "CassetteNotFound",
    "CassetteNotWritable",
    "ChromiumLocation",
    "ChromiumNotFound",
    "Click",
    "CuaReplayError",
    "DiffOptions",
    "DiffResult",
    "DoubleClick",
    "Drag",
    "Executor",
    "ExecutorError",
    "FakeResponsesServer",
    "FixtureSiteError",
    "InvalidAction",
    "InvalidCassette",
    "InvalidDomainEntry",
    "InvalidImage",
    "InvalidSafetyPolicy",
    "InvalidSetting",
    "InvalidViewport",
    "KeyStroke",
    "Keypress",
    "MatchPolicy",
    "MissingExtra",
    "MissingSetting",
    "ModelBackend",
    "ModelStreamError",
    "Move",
    "NetworkBlocked",
    "NotReplayable",
    "Position",
    "Recorder",
    "ReplayMismatch",
    "ReplayOptions",
    "RunOptions",
    "SafetyGate",
    "Scenario",
    "ScenarioError",
    "Screenshot",
    "Scroll",
    "TaskOutcome",
    "Type",
    "UnknownKey",
    "Verdict",
    "Viewport",
    "Wait",
    "__version__",
    "async_recording_client",
    "async_replay_client",
    "chord",
    "diff_cassettes",
    "diff_dirs",
    "find_chromium",
    "load_cassette",
    "load_scenario",
    "map_keys",
    "new_manifest",
    "parse_call",
    "recording_client",
    "replay_cassette",
    "replay_client",
    "run_task",
    "verify",
]


if not _typing.TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is still an error

    def __getattr__(name: str) -> object:
        """Import the module behind a public name on first use, then cache the name here."""
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_logging.getLogger(__name__).addHandler(_logging.NullHandler())
