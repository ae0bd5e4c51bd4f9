"""The vcrpy adapter under the real pytest-recording plugin: the documented recipe, unmodified.

A user's project gets the ``conftest.py`` from ``cua_replay.integrations.vcr``'s
docstring and a test that drives the SDK's ``ComputerToolset`` against a base
URL. pytest runs it in a subprocess with ``--record-mode=once`` while the fake
server answers on loopback, then with ``--record-mode=none --block-network``
after the server is gone: the second run replays from the cassette, which is an
ordinary cassette that ``verify``, ``show`` and ``diff`` read.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.integrations import vcr as cua_vcr
from cua_replay.server import FakeResponsesServer, load_scenario
from tests.plugin.test_cassette_plugin import pytest_run
from tests.server.images import data_url, png

FORM = load_scenario("form")


def recipe() -> str:
    """The conftest.py of the adapter's docstring, exactly as documented."""
    doc = cua_vcr.__doc__ or ""
    start = doc.index("pytest-recording (``conftest.py``)::")
    block = doc[start:].split("::", 1)[1]
    lines: list[str] = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip() + "\n"


USER_TEST = textwrap.dedent(
    '''
    import os

    import pytest
    from openai import OpenAI
    from openai.lib.computer import ComputerToolset


    class Driver:
        """A computer that does nothing and shows one tiny screen."""

        def screenshot(self):
            return {"type": "computer_screenshot", "image_url": os.environ["SCREEN"]}

        def __getattr__(self, name):
            return lambda *args, **kwargs: None


    @pytest.mark.vcr
    def test_checkout():
        client = OpenAI(base_url=os.environ["FAKE_BASE_URL"], api_key=os.environ["FAKE_KEY"])
        response = ComputerToolset(Driver()).run(
            client, {"model": "gpt-5.4", "input": os.environ["TASK"], "store": False}
        )
        assert response.output_text == os.environ["FINAL"]
    '''
)


def test_the_documented_recipe_records_then_replays_under_pytest_recording(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(recipe())
    (project / "test_checkout.py").write_text(USER_TEST)
    key = "sk-canary-vcr-0123456789abcdef"
    env = {
        "SCREEN": data_url(png()),
        "TASK": FORM.task,
        "FINAL": FORM.turns[-1].message or "",
        "FAKE_KEY": key,
    }
    with FakeResponsesServer(FORM) as server:
        env["FAKE_BASE_URL"] = server.urls.openai_base_url
        recorded = pytest_run(project, "--record-mode=once", env=env)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    [cassette] = [p.parent for p in project.rglob("run.json")]
    assert key not in "".join(
        p.read_text(errors="replace") for p in cassette.rglob("*") if p.is_file()
    )

    replayed = pytest_run(project, "--record-mode=none", "--block-network", env=env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 passed" in replayed.stdout

    runner = CliRunner()
    verified = runner.invoke(app, ["verify", str(cassette)])
    assert verified.exit_code == 0, verified.output
    shown = runner.invoke(app, ["show", str(cassette), "--json"])
    rows = [json.loads(line) for line in shown.output.splitlines() if line.strip()]
    assert rows and rows[0]["actions"], shown.output
    assert runner.invoke(app, ["diff", str(cassette), str(cassette)]).exit_code == 0


def test_the_recipe_is_what_the_docstring_says() -> None:
    text = recipe()
    assert "def pytest_recording_configure(config, vcr):" in text
    assert "return cua_vcr.vcr_config()" in text
    pytest.importorskip("pytest_recording")
