"""The base install runs without the extras; an integration without its extra says which.

Each check runs in a fresh interpreter whose import system refuses the extras'
packages (as if ``pip install cua-replay`` had been run without them), so what
this process already imported does not hide a dependency.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cua_replay

#: Top-level modules that only the extras (or the test suite) install.
EXTRAS_ONLY = ("pytest", "_pytest", "vcr", "hypothesis", "xdist", "pytest_socket")

BLOCKER = textwrap.dedent(
    """
    import sys

    class Missing:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {blocked!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Missing())
    """
)


def run_without(blocked: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    source = BLOCKER.format(blocked=set(blocked)) + textwrap.dedent(code)
    root = str(Path(cua_replay.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_package_imports_nothing_from_the_extras() -> None:
    done = run_without(
        EXTRAS_ONLY,
        """
        import importlib, pkgutil
        import cua_replay

        for module in pkgutil.walk_packages(cua_replay.__path__, "cua_replay."):
            if module.name.startswith("cua_replay.integrations.") or module.name.endswith(
                "__main__"
            ):
                continue
            importlib.import_module(module.name)
        print("imported")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


@pytest.mark.parametrize(
    ("module", "blocked", "message"),
    [
        ("vcr", ("vcr",), "vcrpy is not installed: pip install 'cua-replay[vcr]'"),
        (
            "pytest_plugin",
            ("pytest", "_pytest"),
            "pytest is not installed: pip install 'cua-replay[pytest]'",
        ),
    ],
)
def test_an_integration_without_its_extra_names_the_extra(
    module: str, blocked: tuple[str, ...], message: str
) -> None:
    done = run_without(
        blocked,
        f"""
        from cua_replay.errors import CuaReplayError

        try:
            import cua_replay.integrations.{module}
        except CuaReplayError as error:
            assert isinstance(error, ImportError)
            print(error)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == message
