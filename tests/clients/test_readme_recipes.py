"""Every ```python block of the README's "Record your own agent", run as written.

The blocks run in order in one namespace (later ones use ``run``, ``SCREEN``,
``Driver`` from earlier ones), in a temporary directory, with
``OPENAI_BASE_URL`` pointing at a fresh fake server for each block and a fake
``OPENAI_API_KEY``. Each recording must then show its actions and self-diff
clean, so the recipes cannot rot.

The pytest block is a test file: it runs under pytest in a subprocess, beside
the ``my_agent.py`` it imports (the definitions of the blocks before it),
recorded with ``--cua-record-mode=once`` against a fake server per test, then
replayed with no key and no server.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("agents")
pytest.importorskip("vcr")

from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.integrations import vcr as cua_vcr
from cua_replay.server import FakeResponsesServer, load_scenario

from .checks import V1, scripted, shown, without_url_expectations

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### Record your own agent"


def blocks() -> list[str]:
    text = README.read_text("utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def is_pytest(block: str) -> bool:
    return "def test_" in block


def definitions(sources: list[str]) -> str:
    """``my_agent.py``: the imports, classes, functions and constants of ``sources``.

    What a user's module would hold; the statements that record a run are left out.
    """
    kept: list[ast.stmt] = []
    for source in sources:
        for node in ast.parse(source).body:
            plain = isinstance(node, ast.Assign) and not any(
                isinstance(part, ast.Call) for part in ast.walk(node.value)
            )
            if plain or isinstance(
                node, ast.Import | ast.ImportFrom | ast.ClassDef | ast.FunctionDef
            ):
                kept.append(node)
    return ast.unparse(ast.Module(body=kept, type_ignores=[])) + "\n"


def pytest_run(where: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    root = str(Path(__file__).resolve().parents[2])
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, environ.get("PYTHONPATH")]))
    environ.update(env, OPENAI_AGENTS_DISABLE_TRACING="1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=where, capture_output=True, text=True, env=environ, timeout=300
    )


def test_the_section_has_a_recipe_per_client() -> None:
    found = blocks()
    assert len(found) == 7
    for needle in ("previous_response_id", "replay_client", "set_tracing_disabled"):
        assert any(needle in block for block in found), needle
    assert any("ComputerToolset(Driver())" in block for block in found)
    assert any("pytest_recording_configure" in block for block in found)
    assert any("cua_async_openai" in block and "cua_openai" in block for block in found)


def test_every_recipe_runs_against_the_fake_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    scenario = without_url_expectations(load_scenario(V1))
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks():
        if is_pytest(block):
            continue
        with contextlib.ExitStack() as stack:
            if "replay_client" not in block:
                server = stack.enter_context(FakeResponsesServer(scenario))
                monkeypatch.setenv("OPENAI_BASE_URL", server.urls.openai_base_url)
            else:
                monkeypatch.setenv("OPENAI_BASE_URL", "http://replay.invalid/v1")
            exec(compile(block, "README.md", "exec"), namespace)
    for name in ("my-loop", "my-agent", "my-toolset", "my-vcr"):
        directory = tmp_path / "cassettes" / name
        actions = [action for row in shown(directory) for action in row["actions"]]
        assert actions == scripted(scenario), name
        result = CliRunner().invoke(app, ["diff", str(directory), str(directory)])
        assert result.exit_code == 0, result.output


def test_the_pytest_recipe_records_then_replays_offline(tmp_path: Path) -> None:
    found = blocks()
    [index] = [n for n, block in enumerate(found) if is_pytest(block)]
    (tmp_path / "my_agent.py").write_text(definitions(found[:index]))
    (tmp_path / "test_my_agent.py").write_text(found[index])
    scenario = without_url_expectations(load_scenario(V1))
    for test in ("test_toolset", "test_agent"):
        with FakeResponsesServer(scenario) as server:
            done = pytest_run(
                tmp_path,
                "--cua-record-mode=once",
                "-k",
                test,
                OPENAI_BASE_URL=server.urls.openai_base_url,
                OPENAI_API_KEY="sk-test",
            )
        assert done.returncode == 0, done.stdout + done.stderr
        directory = tmp_path / "cassettes" / "test_my_agent" / test
        actions = [action for row in shown(directory) for action in row["actions"]]
        assert actions == scripted(scenario), test
    replayed = pytest_run(tmp_path)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "2 passed" in replayed.stdout


def test_the_pytest_recording_recipe_is_the_adapters_tested_one() -> None:
    from tests.plugin.test_pytest_recording import recipe

    [conftest] = [block for block in blocks() if "pytest_recording_configure" in block]
    assert conftest.split() == recipe().split()
    assert cua_vcr.register is not None
