"""Every hostile cassette of the corpus through every command: refused in one line, safely.

For each kind of :mod:`.corpus` and each command (verify, show, report, diff,
replay offline and, where it is cheap, in the browser, gc, and serve --cassette
with one request), in process through typer's runner: no traceback, exit 1
(checked and found wrong) or 2 (could not read), one line on stderr for 2,
nothing outside the cassette read, written or deleted (the canary tree beside
it is byte-for-byte the same, its secret appears in no output), no request to
loopback, and no hang (pytest-timeout bounds each).

A few commands may succeed on the kinds whose log and manifest are well-formed
(:data:`.corpus.LOADS`), when they never read the hostile part: see
:data:`MAY_PASS`.
"""

from __future__ import annotations

import base64

import httpx2
import pytest
from typer.testing import CliRunner

from cua_replay.cassette.store import load_cassette
from cua_replay.cli.main import app
from cua_replay.cli.serve import _brain
from cua_replay.errors import CuaReplayError
from cua_replay.server import FakeResponsesServer

from .conftest import Hostile
from .corpus import CANARY_PNG, CANARY_TEXT, KINDS, LOADS

COMMANDS: dict[str, list[str]] = {
    "verify": ["verify", "{c}"],
    "show": ["show", "{c}"],
    "show-json": ["show", "--json", "{c}"],
    "report": ["report", "{c}", "-o", "{out}/report.html"],
    "diff": ["diff", "{b}", "{c}"],
    "diff-html": ["diff", "-f", "html", "{b}", "{c}", "-o", "{out}/diff.html"],
    "replay-recorded": ["replay", "--executor", "recorded", "{c}"],
    "replay-browser": ["replay", "{c}"],
    "gc": ["gc", "--force", "{c}"],
    "gc-dry-run": ["gc", "--dry-run", "--force", "{c}"],
}

START_URL_KINDS = frozenset(kind for kind in KINDS if kind.startswith("start-"))
MAY_PASS: dict[str, frozenset[str]] = {
    # A start page is opened only by the browser replay, which refuses it; the rest never
    # open it (show prints the steps, gc collects blobs, the offline replay runs no browser).
    **{
        kind: frozenset(
            {"verify", "show", "show-json", "report", "diff", "diff-html", "gc", "gc-dry-run"}
            | {"replay-recorded"}
        )
        for kind in START_URL_KINDS
    },
    # show and gc never read a blob's bytes (gc keeps a referenced blob whatever it holds);
    # diff reads only the final screenshots, and the edited blob is the first.
    "hash-mismatch": frozenset({"show", "show-json", "gc", "gc-dry-run", "diff", "diff-html"}),
    # Files that are not the cassette's: gc keeps and lists them; nothing else looks there.
    "foreign-files": frozenset(COMMANDS) - {"replay-browser"},
    # Absurd but valid coordinates: shown as recorded, and drawn off the screenshot.
    "coordinates-1e308": frozenset({"show", "show-json", "gc", "gc-dry-run", "verify", "report"}),
    "coordinates-int64": frozenset({"show", "show-json", "gc", "gc-dry-run", "verify", "report"}),
}
"""Per kind, the commands that may exit 0 on it, and why."""

CASES = [
    pytest.param(kind, command, marks=pytest.mark.timeout(60), id=f"{kind}-{command}")
    for kind in KINDS
    for command in COMMANDS
    # The browser replay is run where it refuses before launching Chromium (cheap).
    if command != "replay-browser" or kind not in LOADS or kind in START_URL_KINDS
]


def _secret_in(text: str) -> bool:
    encoded = base64.b64encode(CANARY_PNG).decode()[:40]
    return CANARY_TEXT in text or encoded in text


@pytest.mark.parametrize(("hostile", "command"), CASES, indirect=["hostile"])
def test_every_command_refuses_a_hostile_cassette_safely(hostile: Hostile, command: str) -> None:
    args = [
        part.format(c=hostile.cassette, b=hostile.baseline, out=hostile.out)
        for part in COMMANDS[command]
    ]
    result = CliRunner().invoke(app, args)
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in output
    allowed = {1, 2} | ({0} if command in MAY_PASS.get(hostile.kind, ()) else set())
    assert result.exit_code in allowed, output[-2000:]
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
    hostile.untouched()
    assert not _secret_in(output), "the canary's secret was read into the output"
    for written in hostile.out.iterdir():
        assert not _secret_in(written.read_text(errors="replace")), written


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hostile", sorted(KINDS), indirect=True)
def test_serve_cassette_answers_one_request_safely(hostile: Hostile) -> None:
    """``serve --cassette``: a cassette that does not load is refused (exit 2, one line)
    before anything listens; one that loads serves one request without a 5xx."""
    try:
        load_cassette(hostile.cassette)
    except CuaReplayError:
        result = CliRunner().invoke(app, ["serve", "--cassette", str(hostile.cassette)])
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        hostile.untouched()
        return
    brain, _ = _brain(None, hostile.cassette, None, None)
    with FakeResponsesServer(brain) as server:
        response = httpx2.post(
            f"{server.urls.openai_base_url}/responses",
            headers={"Authorization": "Bearer sk-x"},
            json={"model": "gpt-5.4", "input": "Order a blue mug", "tools": [{"type": "computer"}]},
            timeout=30,
        )
    assert response.status_code < 500, response.text
    assert not _secret_in(response.text)
    hostile.untouched()
