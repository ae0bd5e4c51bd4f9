"""The package's layers, checked from the source: no import cycles, and who may import whom.

The graph is built from the AST of every module: every import counts, those
inside functions too (a lazy import is still a dependency; it only moves the
cost), except those under ``if TYPE_CHECKING:`` (annotations only). Modules
collapse to their top-level package or module (``cua_replay.replay``,
``cua_replay.run`` ...), which is the level the layering is designed at.
"""

from __future__ import annotations

import ast
import graphlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import cua_replay

PACKAGE = Path(cua_replay.__file__).resolve().parent
ROOT = "cua_replay"

Edge = tuple[str, str]

LAYERS: dict[str, frozenset[str]] = {
    # unit -> units it must not import
    "cassette": frozenset(
        {
            "record",
            "replay",
            "server",
            "run",
            "rerun",
            "loop",
            "executors",
            "integrations",
            "cli",
            "diff",
            "report",
        }
    ),
    "replay": frozenset({"server", "run", "rerun", "cli", "integrations"}),
    "server": frozenset({"cli", "run", "rerun", "integrations"}),
}
"""Data flows one way: cassette (data only) <- record/replay <- server, run <- cli."""

WIRE_MAY_IMPORT = frozenset({"wire", "errors"})
"""The Responses wire format is pure: it knows nothing of cua_replay but its errors."""

KNOWN_VIOLATIONS: frozenset[Edge] = frozenset()
"""Edges that break the rules today (none): the test fails on a new one, and on an entry
that no longer happens, so this list only ever shrinks."""


def _dotted(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_dotted(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit(module: str) -> str:
    """``cua_replay.replay.http`` -> ``replay``; ``cua_replay.run`` -> ``run``; root -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith(
        "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, but not the bodies of ``if TYPE_CHECKING:`` (their ``else`` does count)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            stack.append(node.test)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str) -> set[str]:
    """The cua_replay modules ``module`` imports at run time (resolved, absolute)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
    return {name for name in found if name == ROOT or name.startswith(ROOT + ".")}


def unit_edges() -> dict[Edge, list[str]]:
    """Import edges between units, each with the module-level imports behind it."""
    edges: dict[Edge, list[str]] = {}
    for module in MODULES:
        for target in imports_of(module):
            a, b = unit(module), unit(target)
            if a != b and b:  # b == "": the root package (``__version__``), above every layer
                edges.setdefault((a, b), []).append(f"{module} -> {target}")
    return edges


def test_units_import_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for a, b in unit_edges():
        if (a, b) not in KNOWN_VIOLATIONS:
            graph.setdefault(a, set()).add(b)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        # graphlib lists each node before the nodes that depend on (import) it
        cycle: list[str] = list(reversed(exc.args[1]))
        edges = unit_edges()
        steps = [
            f"  {a} imports {b}: {', '.join(sorted(edges[(a, b)])[:3])}"
            for a, b in itertools.pairwise(cycle)
        ]
        raise AssertionError(
            "import cycle between units: " + " -> ".join(cycle) + "\n" + "\n".join(steps)
        ) from None


def layering_violations() -> dict[Edge, list[str]]:
    bad: dict[Edge, list[str]] = {}
    for (a, b), where in unit_edges().items():
        forbidden = LAYERS.get(a, frozenset())
        if b in forbidden or (a == "wire" and b not in WIRE_MAY_IMPORT):
            bad[(a, b)] = where
    return bad


def test_layers_import_only_downwards() -> None:
    bad = layering_violations()
    unexpected = {edge: where for edge, where in bad.items() if edge not in KNOWN_VIOLATIONS}
    assert not unexpected, "layering violations:\n" + "\n".join(
        f"  {a} must not import {b}: {', '.join(sorted(where))}"
        for (a, b), where in sorted(unexpected.items())
    )
    fixed = KNOWN_VIOLATIONS - set(bad)
    assert not fixed, f"fixed, so remove from KNOWN_VIOLATIONS: {sorted(fixed)}"


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones() -> None:
    """The checker itself: a function-level import counts; a TYPE_CHECKING one does not."""
    # diff/compare.py imports cua_replay.images inside a function
    assert "cua_replay.images" in imports_of("cua_replay.diff.compare")
    # replay/session.py imports cua_replay.loop only under TYPE_CHECKING
    assert "cua_replay.loop" not in imports_of("cua_replay.replay.session")
    # the root package imports its public names lazily, by string, or for type checkers
    assert imports_of("cua_replay") == set()
    assert ("cassette", "errors") in unit_edges()
