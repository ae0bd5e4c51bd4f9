from __future__ import annotations

import ast
import inspect
import types
import typing
from pathlib import Path

import cua_replay
from cua_replay import errors

INIT = Path(cua_replay.__file__)


def _public(module: types.ModuleType) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_") and not isinstance(getattr(module, name), types.ModuleType)
    }


def test_all_lists_exactly_the_public_namespace() -> None:
    assert sorted(cua_replay.__all__) == cua_replay.__all__
    for name in cua_replay.__all__:  # every name resolves (imports it, lazily)
        assert getattr(cua_replay, name) is not None, name
    assert set(cua_replay.__all__) == (_public(cua_replay) - {"annotations"}) | {"__version__"}


def test_lazy_exports_match_what_type_checkers_see() -> None:
    """``_EXPORTS`` (runtime) and the ``if TYPE_CHECKING:`` imports (mypy, IDEs) agree."""
    seen: dict[str, str] = {}
    for node in ast.walk(ast.parse(INIT.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if ast.unparse(node.test).startswith("not"):
                continue
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    seen[alias.asname or alias.name] = "." * statement.level + (
                        statement.module or ""
                    )
    exports = cua_replay._EXPORTS  # type: ignore[attr-defined]
    assert seen == exports
    assert set(exports) == set(cua_replay.__all__) - {"__version__"}


def test_unknown_names_raise_attribute_error() -> None:
    try:
        cua_replay.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_every_error_raised_on_purpose_is_in_the_tree_and_exported() -> None:
    """Every exception class of cua_replay derives from CuaReplayError and is exported.

    Two are outside on purpose: ``wire.envelopes.APIError`` is an HTTP answer the
    fake server sends (never raised to users) and ``server.app.ConnectionDropped``
    only makes the fake server drop a connection mid-response.
    """
    outside = {"cua_replay.wire.envelopes.APIError", "cua_replay.server.app.ConnectionDropped"}
    root = cua_replay.CuaReplayError
    found: set[str] = set()
    package = INIT.parent
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        dotted = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        dotted = dotted.removesuffix(".__init__")
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found.add(f"{dotted}.{node.name}")
    exceptions: set[type[BaseException]] = set()
    for qualified in sorted(found):
        module_name, _, name = qualified.rpartition(".")
        module = __import__(module_name, fromlist=[name])
        value = getattr(module, name)
        if inspect.isclass(value) and issubclass(value, BaseException):
            if qualified in outside:
                continue
            exceptions.add(value)
    assert exceptions, "found no exception classes at all"
    for exc in exceptions:
        assert issubclass(exc, root), f"{exc.__module__}.{exc.__qualname__} is not a CuaReplayError"
        assert getattr(cua_replay, exc.__name__) is exc, f"{exc.__name__} is not exported"


def test_error_tree_docstring_names_every_error() -> None:
    for name in cua_replay.__all__:
        value = getattr(cua_replay, name)
        if inspect.isclass(value) and issubclass(value, cua_replay.CuaReplayError):
            assert value is cua_replay.CuaReplayError or name in (errors.__doc__ or ""), name


def test_the_seams_are_documented_protocols() -> None:
    for seam in (cua_replay.ModelBackend, cua_replay.Executor, cua_replay.SafetyGate):
        assert getattr(seam, "_is_protocol", False), f"{seam.__name__} is not a typing.Protocol"
        assert typing.Protocol in seam.__mro__
        doc = inspect.getdoc(seam) or ""
        assert "What the loop relies on" in doc, seam.__name__


def test_version_matches_pyproject() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert cua_replay.__version__ == pyproject["project"]["version"]


def test_cassette_all_lists_exactly_its_public_namespace() -> None:
    from cua_replay import cassette

    assert set(cassette.__all__) == _public(cassette) - {"annotations"}
