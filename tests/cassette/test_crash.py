"""Crash safety, end to end: a recording SIGKILLed anywhere still loads, verifies and replays.

A 24-step run (``long.yaml``) is recorded with ``cua-replay run --record`` in
a subprocess, once to the end (the reference) and many times killed:

* from outside, with SIGKILL, as soon as ``steps.jsonl`` holds ``k`` lines, for
  ``k`` drawn from a seeded random generator (``k = 0``: as soon as ``run.json``
  exists), and, for some, at the next new blob file after line ``k`` (a
  screenshot is stored before the line that refers to it);
* from inside (:mod:`tests.cassette.crashing_cli`), at exact points no outside
  kill can hit reliably: right after a blob is in place, mid-line.

Every killed recording must load (a torn last line dropped), hold a prefix of
the reference's steps, pass ``verify`` (notes allowed: torn line, unreferenced
blobs, status ``recording``), and replay (recorded executor) every complete
step, then report the recording incomplete rather than a mismatch. Tearing a
line at many byte offsets is cheaper done on a copy of the reference log:
truncated at seeded random offsets and at every line boundary, it must load,
verify and replay the same way.

The watcher waits for a child's output or at most a few milliseconds before
looking at the files again: that is a poll, not a wait for time to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from cua_replay.cassette.format import MANIFEST_NAME, STEPS_NAME
from cua_replay.cassette.store import Cassette, load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.rerun import replay_cassette

ROOT = Path(__file__).resolve().parents[2]
LONG = Path(__file__).with_name("long.yaml")
RUN = ["run", "--fake", str(LONG), "--max-steps", "40", "--safety", "deny"]
STEPS = 24
"""Responses in a complete recording of ``long.yaml`` (its ``steps.jsonl`` has one more line)."""
SEED = 20_251_122
PARALLEL = 4
POLL_S = 0.005
CREDENTIALS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_BASE_URL")


@dataclass(frozen=True)
class Plan:
    """Where one recording is killed."""

    name: str
    line: int | None = None
    """Kill from outside once ``steps.jsonl`` holds this many lines (0: once run.json exists)."""
    after_blob: bool = False
    """...and then once one more blob file appears."""
    inject: str | None = None
    """``CUA_CRASH_AT`` for :mod:`tests.cassette.crashing_cli`: the process kills itself."""


def _plans() -> list[Plan]:
    rng = random.Random(SEED)
    lines = rng.sample(range(1, STEPS - 3), 9)  # a few steps of margin: the kill lands mid-run
    plans = [Plan("at-start", line=0)]
    plans += [Plan(f"at-line-{k}", line=k) for k in sorted(lines[:6])]
    plans += [Plan(f"at-blob-after-line-{k}", line=k, after_blob=True) for k in sorted(lines[6:])]
    plans += [Plan("inject-blob-5", inject="blob:5"), Plan("inject-mid-line-9", inject="line:9")]
    return plans


PLANS = _plans()
REAL_KILLS = [p for p in PLANS if p.inject is None]


@dataclass
class _Run:
    plan: Plan | None
    directory: Path
    process: subprocess.Popen[bytes]
    output: bytearray = field(default_factory=bytearray)
    size: int = -1
    lines: int = 0
    blobs_at_line: int | None = None
    killed: bool = False

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def due(self) -> bool:
        """Whether this run's kill point has been reached (always False for the reference)."""
        plan = self.plan
        if plan is None or plan.line is None:
            return False
        if plan.line == 0:
            return (self.directory / MANIFEST_NAME).exists()
        log = self.directory / STEPS_NAME
        try:
            size = log.stat().st_size
        except FileNotFoundError:
            return False
        if size != self.size:
            self.size = size
            self.lines = log.read_bytes().count(b"\n")
        if self.lines < plan.line:
            return False
        if not plan.after_blob:
            return True
        if self.blobs_at_line is None:
            self.blobs_at_line = _blob_files(self.directory)
            return False
        return _blob_files(self.directory) > self.blobs_at_line


@dataclass(frozen=True)
class Crash:
    plan: Plan
    directory: Path
    returncode: int
    output: str


@dataclass(frozen=True)
class Recordings:
    reference: Path
    crashes: dict[str, Crash]


def _blob_files(directory: Path) -> int:
    root = directory / "blobs" / "sha256"
    try:
        fans = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    return sum(
        1
        for fan in fans
        if fan.is_dir()
        for entry in os.scandir(fan.path)
        if not entry.name.startswith(".")
    )


def _environ(inject: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    env.pop("CUA_CRASH_AT", None)
    if inject is not None:
        env["CUA_CRASH_AT"] = inject
    return env


def _start(plan: Plan | None, directory: Path) -> _Run:
    module = "tests.cassette.crashing_cli" if plan is not None and plan.inject else "cua_replay"
    process = subprocess.Popen(
        [sys.executable, "-m", module, *RUN, "--record", str(directory)],
        cwd=ROOT,
        env=_environ(plan.inject if plan is not None else None),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its browser is in its process group, to be cleaned up with it
    )
    return _Run(plan, directory, process)


def _reap(run: _Run) -> None:
    """The run's process is gone; end what it leaves behind (its browser) by its group id."""
    run.output += run.stdout.read()
    run.stdout.close()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.process.pid, signal.SIGKILL)


def _record_all(base: Path) -> Recordings:
    queue: list[tuple[Plan | None, Path]] = [(None, base / "reference")]
    queue += [(plan, base / plan.name) for plan in PLANS]
    active: list[_Run] = []
    done: list[_Run] = []
    try:
        while queue or active:
            while queue and len(active) < PARALLEL:
                active.append(_start(*queue.pop(0)))
            readable, _, _ = select.select([run.stdout for run in active], [], [], POLL_S)
            for run in active:
                if run.stdout in readable:
                    run.output += os.read(run.stdout.fileno(), 65536)
            for run in list(active):
                if run.process.poll() is None and run.due():
                    os.kill(run.process.pid, signal.SIGKILL)  # the crash
                    run.killed = True
                    run.process.wait()
                if run.process.poll() is not None:
                    _reap(run)
                    active.remove(run)
                    done.append(run)
    finally:
        for run in active:
            run.process.kill()
            run.process.wait()
            _reap(run)
    reference = next(run for run in done if run.plan is None)
    assert reference.process.returncode == 0, reference.output.decode(errors="replace")
    crashes = {
        run.plan.name: Crash(
            run.plan, run.directory, run.process.returncode, run.output.decode(errors="replace")
        )
        for run in done
        if run.plan is not None
    }
    return Recordings(reference.directory, crashes)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    return _record_all(tmp_path_factory.mktemp("crash"))


@pytest.fixture(scope="module")
def reference(recordings: Recordings) -> Cassette:
    cassette = load_cassette(recordings.reference)
    assert cassette.complete and len(cassette) == STEPS, cassette.stop
    return cassette


def shape(cassette: Cassette, step: int) -> dict[str, Any]:
    """What must be the same in two recordings of one scenario: what was asked and done.

    Not ids, timings or hashes: the request's fields and input item kinds, the
    response's output item kinds, the actions executed and the screenshots taken.
    """
    record = cassette.steps[step - 1]
    request = cassette.request(step)
    inputs = request.get("input")
    return {
        "request": sorted(request),
        "chained": request.get("previous_response_id") is not None,
        "input": [
            (item.get("type"), item.get("role"))
            for item in (inputs if isinstance(inputs, list) else [])
        ],
        "output": [item.get("type") for item in (record.response or {}).get("output", [])],
        "actions": [action.action for action in record.actions],
        "observations": len(record.observations),
        "message": record.message,
    }


def shapes(cassette: Cassette) -> list[dict[str, Any]]:
    return [shape(cassette, step) for step in range(1, len(cassette) + 1)]


def test_there_are_at_least_ten_real_kills() -> None:
    assert len(REAL_KILLS) >= 10
    assert len({(p.line, p.after_blob) for p in REAL_KILLS}) == len(REAL_KILLS)


def test_the_reference_recording_is_complete_and_verifies(
    recordings: Recordings, reference: Cassette
) -> None:
    assert reference.manifest.status == "complete"
    assert not reference.torn
    report = verify(recordings.reference)
    assert report.ok, report.findings
    assert report.notes == []


@pytest.mark.parametrize("name", [plan.name for plan in PLANS])
def test_a_killed_recording_loads_verifies_and_replays_its_complete_steps(
    name: str, recordings: Recordings, reference: Cassette
) -> None:
    crash = recordings.crashes[name]
    plan = crash.plan
    assert crash.returncode == -signal.SIGKILL, (
        f"the run was not killed (exit {crash.returncode}): {crash.output}"
    )
    cassette = load_cassette(crash.directory)
    assert cassette.stop is None
    assert cassette.manifest.status == "recording"
    if plan.line is not None:
        assert len(cassette) >= plan.line
    if plan.inject is not None and plan.inject.startswith("line:"):
        torn_at = int(plan.inject.partition(":")[2])
        assert cassette.torn
        assert len(cassette) == torn_at - 1
    assert len(cassette) < STEPS
    assert shapes(cassette) == shapes(reference)[: len(cassette)]
    for step in cassette:  # every blob a complete step refers to is there
        for observation in step.observations:
            assert cassette.blob(observation.screenshot)[:8] == b"\x89PNG\r\n\x1a\n"

    report = verify(crash.directory)
    assert report.ok, [str(f) for f in report.findings]
    kinds = {note.kind for note in report.notes}
    assert "incomplete" in kinds
    assert ("torn" in kinds) == cassette.torn
    if plan.inject is not None and plan.inject.startswith("blob:"):
        assert "unreferenced" in kinds, "the blob stored before the crash has no line yet"

    _assert_replays_up_to_the_crash(crash.directory, cassette)


def _assert_replays_up_to_the_crash(directory: Path, cassette: Cassette) -> None:
    report = asyncio.run(replay_cassette(directory, executor="recorded"))
    assert not report.complete, report.summary()
    assert report.mismatches == (), report.summary()
    assert (report.steps, report.recorded_steps) == (len(cassette), len(cassette)), report.summary()


# -- torn lines, at byte offsets -----------------------------------------------------------


def _offsets(log: bytes, count: int) -> Iterator[int]:
    """Random cut points before the stop line, plus each line's end and the byte after it."""
    stop_at = log.rstrip(b"\n").rfind(b"\n") + 1
    rng = random.Random(SEED)
    cuts = set(rng.sample(range(stop_at), min(count, stop_at)))
    for end in (i for i, byte in enumerate(log[:stop_at]) if byte == ord("\n")):
        cuts |= {end, end + 1}
    yield from sorted(cut for cut in cuts if cut <= stop_at)


def _readable(prefix: bytes) -> tuple[int, bool]:
    """Steps a loader reads from this prefix, and whether its last line is torn.

    Every whole line is a step; so is a last line without its newline if it
    happens to parse (cut right before the newline); otherwise it is torn.
    """
    *whole, rest = prefix.split(b"\n")
    steps = sum(1 for line in whole if line)
    if not rest:
        return steps, False
    try:
        json.loads(rest)
    except ValueError:
        return steps, True
    return steps + 1, False


def test_a_log_torn_at_any_byte_loads_and_verifies(
    recordings: Recordings, reference: Cassette, tmp_path: Path
) -> None:
    directory = tmp_path / "torn"
    shutil.copytree(recordings.reference, directory)
    log = (recordings.reference / STEPS_NAME).read_bytes()
    manifest = json.loads((recordings.reference / MANIFEST_NAME).read_text("utf-8"))
    manifest.update(status="recording", steps=0, stop=None)  # as a crash leaves it
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest), "utf-8")
    expected = shapes(reference)
    offsets = list(_offsets(log, 40))
    assert len(offsets) >= 60
    for number, offset in enumerate(offsets):
        prefix = log[:offset]
        (directory / STEPS_NAME).write_bytes(prefix)
        cassette = load_cassette(directory)
        steps, torn = _readable(prefix)
        where = f"cut at byte {offset} of {len(log)}"
        assert (len(cassette), cassette.torn) == (steps, torn), where
        assert shapes(cassette) == expected[:steps], where
        report = verify(directory)
        assert report.ok, (where, [str(f) for f in report.findings])
        if number % 8 == 0:
            _assert_replays_up_to_the_crash(directory, cassette)
