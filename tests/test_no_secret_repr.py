"""No secret in any repr or str: a canary key put into every type that can hold a credential.

The types are found, not listed: every pydantic model and dataclass in
``cua_replay`` with a field named like a credential (key, token, secret,
password), plus the objects built from such settings. A new type holding a
credential is covered the day it is added; one the test cannot build fails it
until it gets an entry in :data:`BUILD`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import cua_replay
from cua_replay.cassette.redact import RedactionPolicy, Redactor
from cua_replay.run import RunOptions
from cua_replay.server.app import FakeResponsesApp
from cua_replay.server.runner import FakeResponsesServer
from cua_replay.settings import Settings

CANARY = "sk-canary-0123456789abcdefCANARY"
CREDENTIAL = re.compile(r"(^|_)(key|token|secrets?|password|credential)($|_)", re.IGNORECASE)
NOT_CREDENTIALS = frozenset({"secret_env"})
"""Fields named like a credential that hold none: environment-variable *name* patterns."""
KEYBOARD = frozenset({"cua_replay.keys.KeyStroke", "cua_replay.diff.compare._Item"})
"""Types whose ``key`` is a keyboard key or a diff key, not a credential."""


def _modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(cua_replay.__path__, "cua_replay."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # an optional extra (vcrpy, ...) that is not installed
            continue


def _fields(cls: type) -> list[str]:
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return []


def credential_types() -> dict[type, list[str]]:
    """Every model and dataclass of ``cua_replay`` with a field named like a credential."""
    found: dict[type, list[str]] = {}
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            name = f"{cls.__module__}.{cls.__qualname__}"
            if not cls.__module__.startswith("cua_replay") or name in KEYBOARD:
                continue
            names = [n for n in _fields(cls) if CREDENTIAL.search(n) and n not in NOT_CREDENTIALS]
            if names:
                found[cls] = names
    return found


BUILD: dict[type, Callable[[], object]] = {
    Settings: lambda: Settings(api_key=CANARY, _environ={}),
    Redactor: lambda: Redactor(RedactionPolicy(), {CANARY}),
}
"""How to build a credential type with the canary in it, where ``cls(field=CANARY)`` won't do."""


def holders() -> list[object]:
    """One object of each type that can hold a credential, the canary in every such field."""
    objects: list[object] = []
    for cls, names in credential_types().items():
        make = BUILD.get(cls) or (lambda cls=cls, names=names: cls(**dict.fromkeys(names, CANARY)))
        objects.append(make())
    azure = Settings(
        provider="azure",
        azure_endpoint="https://res.openai.azure.com",
        api_version="2025-03-01-preview",
        azure_ad_token=CANARY,
        _environ={},
    )
    objects += [
        azure,
        RunOptions(settings=Settings(api_key=CANARY, _environ={})),
        RunOptions(settings=azure),
        Settings(_environ={"OPENAI_API_KEY": CANARY}),
        Settings(_environ={}).replace("test", api_key=CANARY),
        FakeResponsesApp("demo", api_key=CANARY),
    ]
    return objects


HOLDERS = holders()


def test_the_credential_types_are_found() -> None:
    """The search finds the known holders, so an empty search cannot pass silently."""
    assert Settings in credential_types()
    assert Redactor in credential_types()


@pytest.mark.parametrize("holder", HOLDERS, ids=lambda holder: type(holder).__name__)
def test_no_canary_in_repr_or_str(holder: object) -> None:
    assert CANARY not in repr(holder)
    assert CANARY not in str(holder)
    assert CANARY not in f"{holder}"


@pytest.mark.parametrize("holder", HOLDERS, ids=lambda holder: type(holder).__name__)
def test_no_canary_when_saved(holder: object) -> None:
    """What a settings object writes (JSON) keeps the secret masked too."""
    if isinstance(holder, BaseModel):
        assert CANARY not in holder.model_dump_json()


def test_the_fake_server_holds_the_key_out_of_sight() -> None:
    with FakeResponsesServer("demo", api_key=CANARY) as server:
        assert CANARY not in repr(server)
        assert CANARY not in str(server)
