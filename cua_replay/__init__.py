"""cua-replay: record, replay and diff computer-use agents on the Responses API."""

from __future__ import annotations

import logging

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
from .browser import ChromiumLocation, find_chromium
from .errors import (
    CassetteNotFound,
    ChromiumNotFound,
    CuaReplayError,
    ExecutorError,
    FixtureSiteError,
    InvalidAction,
    InvalidCassette,
    InvalidViewport,
    ReplayMismatch,
    UnknownKey,
)
from .geometry import Position, Viewport
from .keys import chord, map_keys

__version__ = "0.1.0"

__all__ = [
    "Action",
    "CassetteNotFound",
    "ChromiumLocation",
    "ChromiumNotFound",
    "Click",
    "CuaReplayError",
    "DoubleClick",
    "Drag",
    "ExecutorError",
    "FixtureSiteError",
    "InvalidAction",
    "InvalidCassette",
    "InvalidViewport",
    "Keypress",
    "Move",
    "Position",
    "ReplayMismatch",
    "Screenshot",
    "Scroll",
    "Type",
    "UnknownKey",
    "Viewport",
    "Wait",
    "__version__",
    "chord",
    "find_chromium",
    "map_keys",
    "parse_call",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
