"""Fixtures of the hostile corpus: a hostile cassette beside a canary tree, and a canary server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .corpus import DEMO, ENV, KINDS, LOOPBACK_HIT, plant_canary, snapshot


@dataclass
class Canary:
    """A loopback HTTP server that only counts what reaches it: nothing should."""

    hits: list[str] = field(default_factory=list)
    address: str = ""


@pytest.fixture(scope="session")
def canary_server() -> Iterator[Canary]:
    canary = Canary()

    class Count(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            canary.hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Count)
    canary.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield canary
    server.shutdown()
    server.server_close()


@dataclass
class Hostile:
    """One hostile cassette: where it is, the canary tree beside it and its snapshot."""

    kind: str
    cassette: Path
    outside: Path
    out: Path
    """Where a command may write (a report, a diff): the only place besides the cassette."""
    baseline: Path
    """An intact copy of the demo cassette, for diff."""
    before: dict[str, Any]
    canary: Canary

    def untouched(self) -> None:
        assert snapshot(self.outside) == self.before, "the canary tree changed"
        assert self.canary.hits == [], f"a request reached loopback: {self.canary.hits}"


@pytest.fixture
def hostile(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    canary_server: Canary,
) -> Hostile:
    kind: str = request.param
    cassette = tmp_path / "cassette"
    shutil.copytree(DEMO, cassette)
    outside = tmp_path / "outside"
    plant_canary(outside, cassette)
    baseline = Path(shutil.copytree(DEMO, tmp_path / "baseline"))
    (tmp_path / "out").mkdir()
    KINDS[kind](cassette, outside)
    run_json = cassette / "run.json"
    if run_json.is_file() and not run_json.is_symlink():
        text = run_json.read_text()
        run_json.write_text(text.replace(LOOPBACK_HIT, canary_server.address))
    for name, value in ENV.get(kind, {}).items():
        monkeypatch.setenv(name, value)
    return Hostile(
        kind, cassette, outside, tmp_path / "out", baseline, snapshot(outside), canary_server
    )
