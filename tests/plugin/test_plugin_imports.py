"""The pytest plugin costs nothing until a test uses its fixtures.

pytest loads the plugin (entry point ``pytest11``) in every pytest process,
each pytest-xdist worker included, whether or not a test uses ``cua_cassette``;
collection must not pull in the cassette, replay, recording or server code
either. Those import inside the fixtures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cua_replay

#: What the fixtures import when a test uses them, and never before.
HEAVY = (
    "cua_replay.cassette",
    "cua_replay.replay",
    "cua_replay.record",
    "cua_replay.server",
    "cua_replay.backends",
    "playwright",
    "starlette",
    "uvicorn",
    "PIL",
    "yaml",
    "vcr",
)

CONFTEST = textwrap.dedent(
    f"""
    import sys

    def pytest_collection_finish(session):
        assert "cua_replay.integrations.pytest_plugin" in sys.modules
        heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))
        print("HEAVY", heavy)
    """
)

USER_TEST = textwrap.dedent(
    """
    import pytest

    @pytest.mark.cua_cassette("mine")
    def test_replays(cua_cassette):
        pass

    def test_serves(fake_responses_server):
        pass
    """
)


def test_loading_the_plugin_and_collecting_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_user.py").write_text(USER_TEST)
    root = str(Path(cua_replay.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 tests collected" in done.stdout
    assert "HEAVY []" in done.stdout, done.stdout
