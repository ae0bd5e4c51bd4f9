"""A client we did not write, in another language: the official ``openai`` npm package.

Recorded through the proxy with ``cua-replay serve`` (a subprocess) upstream, replayed with it
gone, and a changed screenshot fails the replay at the first step that sends it.
The package is installed by ``tools/bootstrap.sh test`` (pinned in package.json).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cua_replay.proxy import ProxyApp, ProxyServer
from tests.proxy.conftest import KEY, SCENARIO
from tests.proxy.upstream import serve, verified_clean
from tests.server.images import png

NODE_DIR = Path(__file__).parent / "node"
INSTALL = f"cd {NODE_DIR} && npm install --no-audit --no-fund"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").is_dir(),
    reason=f"needs node and the openai npm package: {INSTALL}",
)


def node_loop(base_url: str, screen: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"screen-{len(screen)}.png"
    path.write_bytes(screen)
    return subprocess.run(
        ["node", str(NODE_DIR / "computer_loop.mjs"), base_url, SCENARIO.task, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "OPENAI_API_KEY": KEY},
    )


def result(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stdout + done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


@pytest.fixture(scope="module")
def node_recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("node")
    directory = tmp / "form"
    with (
        serve(SCENARIO.name, tmp) as upstream,
        ProxyServer(ProxyApp(directory, "once", upstream=upstream)) as proxy,
    ):
        live = result(node_loop(proxy.urls.openai_base_url, png(), tmp))
    assert live["output_text"] == SCENARIO.turns[-1].message
    assert live["actions"] > 0
    return directory


def test_the_node_recording_verifies_clean(node_recorded: Path) -> None:
    assert f"{len(SCENARIO.turns)} steps" in verified_clean(node_recorded, KEY)


def test_the_node_client_replays_to_the_end_offline(node_recorded: Path, tmp_path: Path) -> None:
    app = ProxyApp(node_recorded, "none")
    with ProxyServer(app) as proxy:
        replayed = result(node_loop(proxy.urls.openai_base_url, png(), tmp_path))
    assert replayed["output_text"] == SCENARIO.turns[-1].message
    assert app.replayer is not None and not app.replayer.failures


def test_another_screenshot_fails_the_node_replay_at_step_two(
    node_recorded: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "form"
    shutil.copytree(node_recorded, copy)
    with ProxyServer(ProxyApp(copy, "none")) as proxy:
        done = node_loop(proxy.urls.openai_base_url, png(64, 48), tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    failure = json.loads(done.stderr.strip().splitlines()[-1])
    assert failure["status"] == 400
    assert failure["error"]["code"] == "cassette_mismatch"
    assert "step 2" in failure["error"]["message"]
