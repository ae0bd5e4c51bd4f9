"""The manifest's typed run settings and redaction: v1 files read and write back unchanged."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from cua_replay.cassette.format import Manifest, RunSettings
from cua_replay.run import RunOptions

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes"


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
def test_a_shipped_manifest_reads_typed_and_writes_back_unchanged(name: str) -> None:
    raw = json.loads((SHIPPED / name / "run.json").read_text())
    manifest = Manifest.model_validate(raw)
    assert isinstance(manifest.settings, RunSettings)
    assert manifest.model_dump(mode="json") == raw


def test_absent_keys_stay_absent_and_unknown_keys_are_kept() -> None:
    manifest = Manifest.model_validate(
        {"settings": {"test": "t.py::x", "vcrpy": {"interactions": []}}, "redaction": {}}
    )
    assert manifest.settings.recorded() == {}
    assert manifest.settings.history == "chain"
    dumped = manifest.model_dump(mode="json")
    assert dumped["settings"] == {"test": "t.py::x", "vcrpy": {"interactions": []}}
    assert dumped["redaction"] == {}


def test_null_reads_as_the_default() -> None:
    settings = RunSettings.model_validate({"on_blocked": None, "allow_domains": None})
    assert settings.on_blocked == "stop" and settings.allow_domains == ()


def test_run_settings_are_the_run_options_of_the_same_name() -> None:
    """Same names, same defaults: ``watched`` is ``headed``, ``test`` is the pytest plugin's."""
    defaults = {f.name: f.default for f in dataclasses.fields(RunOptions)}
    for name, field in RunSettings.model_fields.items():
        if name in {"watched", "test"}:
            continue
        assert name in defaults, name
        assert field.default == defaults[name], name


def test_options_round_trip_through_the_manifest() -> None:
    options = RunOptions(
        max_steps=7, history="full", allow_domains=("shop.example",), headed=True, stream=True
    )
    recorded = Manifest(settings=options.recorded_settings())
    again = Manifest.model_validate_json(recorded.model_dump_json())
    assert again.settings.watched is True
    back = RunOptions().with_recorded(again.settings)
    assert (back.max_steps, back.history, back.allow_domains, back.stream) == (
        7,
        "full",
        ("shop.example",),
        True,
    )
    assert RunOptions().with_recorded(again.settings, keep=["max_steps"]).max_steps == 20
