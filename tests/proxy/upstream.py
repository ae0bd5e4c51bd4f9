"""A real ``cua-replay serve`` as the proxy's upstream, and the checks every recording passes.

The upstream is the CLI in a subprocess (``python -m cua_replay serve``), on a
free port it picks itself: the proxy forwards to another process over real
HTTP, as it would to the service, and the test stops it before replaying, so
a replay that still needed it would fail.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from cua_replay.cli.main import app
from cua_replay.server import Scenario

_BASE_URL = re.compile(r"OpenAI\s+base_url=(http://127\.0\.0\.1:\d+)/v1")


@contextmanager
def serve(scenario: str | Path | Scenario, tmp: Path) -> Iterator[str]:
    """``cua-replay serve --scenario ...`` in a subprocess; yields its origin (no base path).

    A :class:`Scenario` object is written to a file first (``serve`` reads one).
    The origin is printed once the socket listens, so the first request is
    never refused. Ctrl+C stops it, as a user would.
    """
    if isinstance(scenario, Scenario):
        path = tmp / f"{scenario.name}.json"
        path.write_text(scenario.model_dump_json(exclude_none=True), encoding="utf-8")
        scenario = path
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cua_replay", "serve", "--scenario", str(scenario)]
    with subprocess.Popen(
        [*command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2)]
            found = _BASE_URL.search("".join(lines))
            assert found, "".join(lines) + (process.stderr.read() if process.stderr else "")
            yield found.group(1)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)


def verified_clean(directory: Path, key: str) -> str:
    """``cua-replay verify DIR --secret KEY``: exit 0, the key nowhere in the cassette."""
    result = CliRunner().invoke(app, ["verify", str(directory), "--secret", key])
    assert result.exit_code == 0, result.output
    for path in directory.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    return result.output
