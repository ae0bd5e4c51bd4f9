from __future__ import annotations

import cua_replay


def test_all_lists_exactly_the_public_namespace() -> None:
    public = {name for name in dir(cua_replay) if not name.startswith("_")} | {"__version__"}
    modules = {name for name in public if type(getattr(cua_replay, name)).__name__ == "module"}
    assert sorted(cua_replay.__all__) == cua_replay.__all__
    assert set(cua_replay.__all__) == public - modules - {"annotations", "logging"}


def test_version_matches_pyproject() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert cua_replay.__version__ == pyproject["project"]["version"]


def test_cassette_all_lists_exactly_its_public_namespace() -> None:
    import types

    from cua_replay import cassette

    public = {
        name
        for name in dir(cassette)
        if not name.startswith("_") and not isinstance(getattr(cassette, name), types.ModuleType)
    }
    assert set(cassette.__all__) == public - {"annotations"}
