"""The CLI walk of issue 16: every bad input it lists, through the command that takes it.

Each case asserts one line on stderr naming the thing, no traceback, and the
exit status of the tree in ``cua_replay/cli/_errors.py``: 2 when the input
could not be read or the command was used wrongly, 1 when it was read, checked
and found wrong. In process (typer's runner) where that is faithful;
subprocesses (``python -m cua_replay``) for what depends on the process's
locale or environment.

Read-only file systems are real ones: as root (where permissions do not stop
a write) a read-only tmpfs is mounted; otherwise a directory is made 0555.
Where neither is possible the test skips and says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cua_replay.cassette.blobs import BlobStore
from cua_replay.cassette.store import prepare_directory
from cua_replay.cli.main import app
from cua_replay.errors import CassetteNotWritable, InvalidCassette

from .corpus import CANARY_PNG, DEMO, deep_nesting, snapshot

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]


def one_line(result: Result, code: int, *names: str) -> str:
    """The single stderr line of a failed command, after checking its status and names."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == code, (result.exit_code, result.output)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def cli(*args: object, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def python_m(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    full.pop("PYTHONIOENCODING", None)  # the locale alone decides the encoding
    return subprocess.run(
        [sys.executable, "-m", "cua_replay", *map(str, args)],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "demo"))


@pytest.fixture
def deep(tmp_path: Path) -> Path:
    cassette = Path(shutil.copytree(DEMO, tmp_path / "deep"))
    deep_nesting(cassette, tmp_path)
    return cassette


# -- RecursionError: a deeply nested line, in all eight commands that read a cassette --------


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "{c}"],
        ["show", "{c}"],
        ["report", "{c}", "-o", "{t}/r.html"],
        ["diff", "{c}", "{d}"],
        ["replay", "--executor", "recorded", "{c}"],
        ["gc", "{c}"],
        ["serve", "--cassette", "{c}"],
        ["run", "--fake", "demo", "--resume", "{c}", "--from-step", "1"],
    ],
    ids=lambda args: args[0],
)
def test_a_deeply_nested_line_is_one_line_in_every_command(
    args: list[str], deep: Path, demo: Path, tmp_path: Path
) -> None:
    result = cli(*(a.format(c=deep, d=demo, t=tmp_path) for a in args))
    code = 1 if args[0] == "verify" else 2  # verify reports it as a finding
    if code == 1:
        assert result.exit_code == 1 and "nests" in result.stdout, result.output
        assert "Traceback" not in result.output
    else:
        one_line(result, 2, "steps.jsonl:2", "nests", "CUA_REPLAY_MAX_DEPTH")


def test_the_depth_bound_is_overridable(tmp_path: Path) -> None:
    cassette = Path(shutil.copytree(DEMO, tmp_path / "c"))
    lines = (cassette / "steps.jsonl").read_text().splitlines()
    lines[0] = lines[0][:-1] + ',"page_events":[{"x":' + "[" * 80 + "]" * 80 + "}]}"
    (cassette / "steps.jsonl").write_text("\n".join(lines) + "\n")
    one_line(cli("show", cassette), 2, "nests 83 levels", "more than the 64")
    assert cli("show", cassette, env={"CUA_REPLAY_MAX_DEPTH": "100"}).exit_code == 0
    one_line(
        cli("show", cassette, env={"CUA_REPLAY_MAX_DEPTH": "deep"}),
        2,
        "CUA_REPLAY_MAX_DEPTH='deep'",
    )


# -- absurd numbers in report and diff; an unknown enum value in replay ----------------------


@pytest.mark.parametrize("number", ["1e308", "-1e308", "1e999", "NaN", "Infinity", "9" * 400])
@pytest.mark.parametrize("command", ["report", "diff"])
def test_absurd_numbers_in_report_and_diff(
    number: str, command: str, demo: Path, tmp_path: Path
) -> None:
    lines = []
    for line in (demo / "steps.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == "step":
            record["latency_ms"] = "@@"
            usage = (record.get("response") or {}).get("usage")
            if usage:
                usage["input_tokens"] = usage["output_tokens"] = "@@"
        lines.append(json.dumps(record).replace('"@@"', number))
    (demo / "steps.jsonl").write_text("\n".join(lines) + "\n")
    args = (
        ["report", demo, "-o", tmp_path / "r.html"] if command == "report" else ["diff", DEMO, demo]
    )
    one_line(cli(*args), 2, "steps.jsonl:1")


def test_an_unknown_history_in_replay(demo: Path) -> None:
    manifest = json.loads((demo / "run.json").read_text())
    manifest["settings"]["history"] = "weird"
    (demo / "run.json").write_text(json.dumps(manifest))
    line = one_line(cli("replay", "--executor", "recorded", demo), 2, "run.json", "history")
    assert "'weird'" in line and "'chain' or 'full'" in line


# -- file systems: read-only, a path under a file, a directory that is not a recording's -----


@contextlib.contextmanager
def read_only(folder: Path, fill: Path | None = None) -> Iterator[str]:
    """``folder`` made read-only (holding a copy of ``fill``); yields how, for the record."""
    folder.mkdir()
    if os.geteuid() != 0:
        if fill is not None:
            shutil.copytree(fill, folder / fill.name)
        for top, dirs, _ in os.walk(folder):
            for name in [*dirs, ""]:
                os.chmod(Path(top, name), 0o555)
        try:
            yield "chmod 0555"
        finally:
            for top, dirs, _ in os.walk(folder):
                for name in [*dirs, ""]:
                    os.chmod(Path(top, name), 0o755)
        return
    if shutil.which("mount") is None:
        pytest.skip("running as root without mount(8): no honest read-only file system")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("running as root and cannot mount a tmpfs: no honest read-only file system")
    try:
        if fill is not None:
            shutil.copytree(fill, folder / fill.name)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield "a read-only tmpfs"
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_record_on_a_read_only_file_system(tmp_path: Path) -> None:
    with read_only(tmp_path / "ro"):
        target = tmp_path / "ro" / "cassette"
        line = one_line(cli("run", "--fake", "demo", "--record", target), 2, str(target))
        assert line.startswith("CassetteNotWritable:")


def test_gc_on_a_read_only_cassette(demo: Path, tmp_path: Path) -> None:
    store = BlobStore(demo / "blobs")
    orphan = store.path(store.put(b"\x89PNG nobody refers to me"))
    with read_only(tmp_path / "ro", fill=demo):
        copy = tmp_path / "ro" / "demo"
        line = one_line(cli("gc", copy), 2, orphan.name)
        assert line.startswith("CassetteNotWritable:") and "make it writable" in line
        assert (copy / orphan.relative_to(demo)).exists()


def test_record_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "cassette"
    line = one_line(cli("run", "--fake", "demo", "--record", target), 2, str(target))
    assert "Not a directory" in line


def test_a_non_empty_directory_without_a_recording_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    one_line(
        cli("run", "--fake", "demo", "--record", tmp_path / "mine"),
        2,
        str(tmp_path / "mine"),
        "--overwrite",
    )
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_overwrite_removes_only_what_it_proves_a_recording_wrote(
    demo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.png").write_bytes(CANARY_PNG)
    before = snapshot(outside)
    shard = next((demo / "blobs" / "sha256").iterdir())
    foreign = [
        shard / ("f" * 64 + ".png"),  # named like a blob, holding other bytes
        shard / "notes.txt",
        demo / "blobs" / "README",
        demo / "mine.txt",
    ]
    for path in foreign:
        path.write_bytes(CANARY_PNG)
    ours = sorted(p for p in (demo / "blobs").rglob("*.png") if p not in foreign)
    skipped = prepare_directory(demo, overwrite=True)
    assert sorted(path for path, _ in skipped) == sorted(foreign[:3])
    assert all(path.read_bytes() == CANARY_PNG for path in foreign)
    assert not any(path.exists() for path in ours)
    assert not (demo / "run.json").exists() and not (demo / "steps.jsonl").exists()
    assert snapshot(outside) == before
    # A link where a recording writes is refused either way: the writes would follow it.
    (demo / "steps.jsonl").symlink_to(outside / "victim.png")
    with pytest.raises(InvalidCassette, match="symbolic link"):
        prepare_directory(demo, overwrite=True)
    assert snapshot(outside) == before


def test_gc_lists_what_it_leaves_alone(demo: Path) -> None:
    shard = demo / "blobs" / "sha256" / "ff"
    shard.mkdir()
    (shard / ("f" * 64 + ".png")).write_bytes(CANARY_PNG)
    result = cli("gc", demo)
    assert result.exit_code == 0, result.output
    assert f"skipped {shard / ('f' * 64 + '.png')}: its bytes do not hash to its name" in (
        result.stdout
    )
    assert (shard / ("f" * 64 + ".png")).exists()


def test_cassette_not_writable_is_an_os_error_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CassetteNotWritable) as info:
        prepare_directory(tmp_path / "afile" / "c")
    assert isinstance(info.value, OSError) and info.value.path == tmp_path / "afile" / "c"


# -- bad options and files -----------------------------------------------------------------


def test_a_binary_scenario_file(tmp_path: Path) -> None:
    binary = tmp_path / "scenario.yaml"
    binary.write_bytes(b"\x00\xff\xfe\x89PNG\x00\x01")
    for args in (["run", "--fake", binary], ["serve", "--scenario", binary]):
        one_line(cli(*args), 2, str(binary), "not UTF-8")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://127.0.0.1/", "is not a http/https/file/about"),
        ("http://127.0.0.1:99999/", "Port out of range"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("https:///nohost", "names no host"),
    ],
)
def test_a_bad_start_url(url: str, says: str) -> None:
    one_line(cli("run", "--fake", "demo", "--start-url", url), 2, "--start-url", says)


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_serve_on_a_port_that_does_not_exist(port: str) -> None:
    one_line(cli("serve", "--port", port), 2, f"127.0.0.1:{port}", "0-65535", "--port 0")


def test_a_chromium_that_does_not_start() -> None:
    done = python_m("run", "--fake", "demo", env={"CUA_REPLAY_CHROMIUM": "/bin/false"})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("ChromiumNotFound: Chromium at /bin/false"), lines[0]


def test_show_under_an_ascii_locale(demo: Path) -> None:
    manifest = json.loads((demo / "run.json").read_text())
    manifest["task"] = "Bestellung für Zoë ✓ 注文"
    (demo / "run.json").write_text(json.dumps(manifest, ensure_ascii=False))
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    done = python_m("show", demo, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Bestellung f\\xfcr Zo\\xeb" in done.stdout
    done = python_m("show", "--json", demo, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


# -- a missing cassette: exit 2 in every command --------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "{m}"],
        ["show", "{m}"],
        ["show", "--json", "{m}"],
        ["report", "{m}", "-o", "{t}/r.html"],
        ["diff", "{m}", "{d}"],
        ["diff", "{d}", "{m}"],
        ["diff", "--baseline", "{m}", "--candidate", "{t}"],
        ["diff", "--baseline", "{t}", "--candidate", "{m}"],
        ["replay", "{m}"],
        ["replay", "--executor", "recorded", "{m}"],
        ["gc", "{m}"],
        ["serve", "--cassette", "{m}"],
        ["run", "--fake", "demo", "--resume", "{m}", "--from-step", "1"],
    ],
    ids=" ".join,
)
def test_a_missing_cassette_exits_2_everywhere(args: list[str], demo: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = cli(*(a.format(m=missing, d=demo, t=tmp_path) for a in args))
    one_line(result, 2, str(missing))


@pytest.mark.browser
def test_run_record_overwrite_says_what_it_kept(demo: Path) -> None:
    shard = next((demo / "blobs" / "sha256").iterdir())
    foreign = shard / "notes.txt"
    foreign.write_text("not a blob")
    result = cli("run", "--fake", "demo", "--record", demo, "--overwrite")
    assert result.exit_code == 0, result.output
    assert f"warning: kept {foreign} while replacing the recording" in result.stderr
    assert foreign.read_text() == "not a blob"
    assert cli("verify", demo).exit_code == 0
