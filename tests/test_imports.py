"""Start-up stays cheap: what ``import cua_replay`` and the CLI leave out of ``sys.modules``.

Each statement runs in a fresh interpreter (this process has imported
everything already). No timing: which modules load is what decides start-up,
and it does not flake on a busy machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("openai.types.responses", "playwright", "uvicorn", "vcr", "hypothesis", "starlette")
"""Never needed just to import the package or to parse a command line."""


def loaded_after(statement: str, *names: str) -> list[str]:
    """Which of ``names`` are in ``sys.modules`` after ``statement`` runs in a fresh Python."""
    code = (
        "import sys\n"
        f"{statement}\n"
        "import json\n"
        f"print(json.dumps([name for name in {list(names)!r} if name in sys.modules]))\n"
    )
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_import_cua_replay_imports_nothing_heavy() -> None:
    assert loaded_after("import cua_replay", *HEAVY, "pydantic", "typer", "rich", "PIL") == []


def test_import_the_cli_imports_nothing_heavy() -> None:
    assert loaded_after("import cua_replay.cli.main", *HEAVY, "pydantic", "rich", "PIL") == []


def test_version_imports_nothing_heavy() -> None:
    run_version = (
        "from cua_replay.cli.main import app\n"
        "try:\n"
        "    app(['--version'], prog_name='cua-replay')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )
    assert loaded_after(run_version, *HEAVY, "pydantic", "rich", "PIL") == []


def test_diff_imports_only_what_diffing_needs() -> None:
    """``cua-replay diff A B`` of two cassettes: no SDK, browser, server or report."""
    run_diff = (
        "from cua_replay.cli.main import app\n"
        "try:\n"
        f"    app(['diff', {str(ROOT / 'cassettes' / 'model-v1')!r}, "
        f"{str(ROOT / 'cassettes' / 'model-v2')!r}, '--format', 'json'], prog_name='cua-replay')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, 1), exc.code\n"
    )
    assert loaded_after(run_diff, *HEAVY, "openai", "cua_replay.report", "rich") == []


@pytest.mark.parametrize(
    "name",
    ["Action", "parse_call", "Viewport", "load_cassette", "CuaReplayError", "ScenarioError"],
)
def test_light_public_names_stay_light(name: str) -> None:
    """Using a pure name (actions, cassettes, errors) does not start the SDK's server side."""
    statement = f"from cua_replay import {name}"
    assert loaded_after(statement, "playwright", "uvicorn", "starlette") == []


def test_parse_call_validates_with_the_sdk_models_on_first_use() -> None:
    statement = (
        "from cua_replay import Viewport, parse_call\n"
        "assert 'openai.types.responses' not in sys.modules\n"
        "parse_call({'call_id': 'c', 'action': {'type': 'wait'}}, Viewport(800, 600))\n"
    )
    assert loaded_after(statement, "openai.types.responses") == ["openai.types.responses"]


def test_every_command_is_registered_by_name_and_resolves() -> None:
    """The lazy table names real functions, and ``--help`` lists them in the table's order."""
    from typer.testing import CliRunner

    from cua_replay.cli.main import COMMANDS, app, command_function

    for name in COMMANDS:
        assert callable(command_function(name)), name
    help_text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    commands = help_text.split("Commands", 1)[1].splitlines()
    listed = [line.split()[1] for line in commands if line.startswith("│ ") and line[2] != " "]
    assert listed == list(COMMANDS)
