"""A generator of hostile cassettes: the shipped demo cassette, each broken in one way.

Every kind is a function ``(cassette, outside) -> None`` that edits a fresh copy
of ``cassettes/demo`` in place; ``outside`` is the canary tree beside it (see
:func:`plant_canary`), which a hostile cassette points into. :data:`KINDS`
names them all; :data:`LOADS` are the kinds whose step log and manifest are
well-formed (the hostility is in a blob or a value), so a command that never
reads that part may succeed on them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parents[2] / "cassettes" / "demo"
CANARY_TEXT = "canary-outside-the-cassette-7c1f"
CANARY_PNG = b"\x89PNG\r\n\x1a\n" + CANARY_TEXT.encode() * 40
LOOPBACK_HIT = "{loopback}"
"""Placeholder in a start URL for the canary HTTP server's address."""

Edit = Callable[[Path, Path], None]


def plant_canary(outside: Path, cassette: Path) -> None:
    """The tree beside the cassette that nothing may read, write or delete.

    Files with known content (a secret text, a PNG-looking secret, files named like
    garbage ``gc`` removes), and copies of the cassette's own files and blobs, so a
    link into it would "work" if it were followed.
    """
    outside.mkdir()
    (outside / "secret.txt").write_text(CANARY_TEXT)
    (outside / "secret.png").write_bytes(CANARY_PNG)
    (outside / "victim.bin").write_bytes(CANARY_PNG)
    (outside / ".x.png.1.tmp").write_bytes(CANARY_PNG)
    shutil.copytree(cassette / "blobs", outside / "blobs")
    shutil.copy(cassette / "steps.jsonl", outside / "steps.jsonl")
    shutil.copy(cassette / "run.json", outside / "run.json")
    os.mkfifo(outside / "fifo")


def snapshot(folder: Path) -> dict[str, Any]:
    """Every entry below ``folder`` (links not followed): kind and content, or link target."""
    seen: dict[str, Any] = {}
    for top, folders, files in os.walk(folder, followlinks=False):
        for name in [*folders, *files]:
            path = Path(top, name)
            mode = path.lstat().st_mode
            key = path.relative_to(folder).as_posix()
            if stat.S_ISLNK(mode):
                seen[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                seen[key] = ("file", path.read_bytes())
            else:
                seen[key] = ("other", stat.S_IFMT(mode))
    return seen


def _blobs(cassette: Path) -> list[Path]:
    return sorted((cassette / "blobs" / "sha256").glob("*/*.png"))


def _lines(cassette: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (cassette / "steps.jsonl").read_text().splitlines()]


def _write_lines(cassette: Path, lines: list[str]) -> None:
    (cassette / "steps.jsonl").write_text("".join(line + "\n" for line in lines))


def _manifest(cassette: Path, **changes: Any) -> None:
    path = cassette / "run.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def _relink(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(target, target_is_directory=target.is_dir())


def blob_link(cassette: Path, outside: Path) -> None:
    _relink(_blobs(cassette)[0], outside / "secret.png")


def shard_link(cassette: Path, outside: Path) -> None:
    shard = _blobs(cassette)[0].parent
    _relink(shard, outside / "blobs" / "sha256" / shard.name)


def blobs_link(cassette: Path, outside: Path) -> None:
    _relink(cassette / "blobs", outside / "blobs")


def steps_link(cassette: Path, outside: Path) -> None:
    _relink(cassette / "steps.jsonl", outside / "steps.jsonl")


def manifest_link(cassette: Path, outside: Path) -> None:
    _relink(cassette / "run.json", outside / "run.json")


def fifo_blob(cassette: Path, outside: Path) -> None:
    blob = _blobs(cassette)[0]
    blob.unlink()
    os.mkfifo(blob)


def fifo_log(cassette: Path, outside: Path) -> None:
    (cassette / "steps.jsonl").unlink()
    os.mkfifo(cassette / "steps.jsonl")


def device_blob(cassette: Path, outside: Path) -> None:
    """A blob that is ``/dev/zero``: a device node where we may make one, else a link to it."""
    blob = _blobs(cassette)[0]
    blob.unlink()
    try:
        os.mknod(blob, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        blob.symlink_to("/dev/zero")


def traversal_ref(cassette: Path, outside: Path) -> None:
    """A blob reference that climbs out of the cassette (``sha256:../../outside/secret``)."""
    text = (cassette / "steps.jsonl").read_text()
    digest = _blobs(cassette)[0].stem
    climb = "sha256:../../../../outside/secret"
    (cassette / "steps.jsonl").write_text(text.replace(f"sha256:{digest}", climb))


def traversal_name(cassette: Path, outside: Path) -> None:
    """Files named to look like climbing out: a ``..``-ish shard and a blob named ``..png``."""
    base = cassette / "blobs" / "sha256"
    (base / "...").mkdir()
    (base / "..." / "..png").write_bytes(CANARY_PNG)
    (base / "00").mkdir(exist_ok=True)
    (base / "00" / ("0" * 64 + ".png")).symlink_to(outside / "victim.bin")


def hash_mismatch(cassette: Path, outside: Path) -> None:
    _blobs(cassette)[0].write_bytes(CANARY_PNG)


def foreign_files(cassette: Path, outside: Path) -> None:
    """Files that are not the cassette's among its blobs: ``gc`` must keep them."""
    shard = _blobs(cassette)[0].parent
    (shard / "notes.txt").write_text(CANARY_TEXT)
    (shard / ("f" * 64 + ".png")).write_bytes(CANARY_PNG)  # named like a blob, wrong bytes
    (cassette / "blobs" / "README").write_text(CANARY_TEXT)


def _numbers(value: str) -> Edit:
    def edit(cassette: Path, outside: Path) -> None:
        lines = []
        for record in _lines(cassette):
            if record.get("kind") == "step":
                record["latency_ms"] = "@@"
                for done in record.get("actions", []):
                    for key in ("x", "y", "at"):
                        if key in done["action"]:
                            done["action"][key] = "@@"
                usage = (record.get("response") or {}).get("usage")
                if isinstance(usage, dict):
                    usage["input_tokens"] = "@@"
            lines.append(json.dumps(record).replace('"@@"', value))
        _write_lines(cassette, lines)

    return edit


def _coordinates(value: str) -> Edit:
    def edit(cassette: Path, outside: Path) -> None:
        lines = []
        for record in _lines(cassette):
            for done in record.get("actions", []):
                for key in ("x", "y", "at"):
                    if key in done["action"]:
                        done["action"][key] = "@@"
            lines.append(json.dumps(record).replace('"@@"', value))
        _write_lines(cassette, lines)

    return edit


def deep_nesting(cassette: Path, outside: Path) -> None:
    lines = (cassette / "steps.jsonl").read_text().splitlines()
    nested = "[" * 200_000 + "]" * 200_000
    lines[1] = lines[1][:-1] + ',"page_events":[{"x":' + nested + "}]}"
    _write_lines(cassette, lines)


def deep_manifest(cassette: Path, outside: Path) -> None:
    text = (cassette / "run.json").read_text().rstrip().rstrip("}")
    (cassette / "run.json").write_text(text + ',"stop":{"x":' + "[" * 50_000 + "]" * 50_000 + "}}")


def huge_line(cassette: Path, outside: Path) -> None:
    """A 2 MiB line; the tests lower ``CUA_REPLAY_MAX_LINE_BYTES`` to 1 MiB to meet it."""
    lines = (cassette / "steps.jsonl").read_text().splitlines()
    lines[0] = lines[0][:-1] + ',"error":"' + "A" * (2 * 2**20) + '"}'
    _write_lines(cassette, lines)


def many_steps(cassette: Path, outside: Path) -> None:
    """More steps than the bound; the tests lower ``CUA_REPLAY_MAX_STEPS`` to 3 to meet it."""


def weird_history(cassette: Path, outside: Path) -> None:
    manifest = json.loads((cassette / "run.json").read_text())
    manifest["settings"]["history"] = "weird"
    (cassette / "run.json").write_text(json.dumps(manifest))


def binary_log(cassette: Path, outside: Path) -> None:
    (cassette / "steps.jsonl").write_bytes(b"\x00\xff\xfe" * 100 + b"\n" + CANARY_PNG + b"\n")


def _start_url(url: str) -> Edit:
    def edit(cassette: Path, outside: Path) -> None:
        _manifest(cassette, start_url=url.replace("{outside}", str(outside)))

    return edit


KINDS: dict[str, Edit] = {
    "blob-link": blob_link,
    "shard-link": shard_link,
    "blobs-link": blobs_link,
    "steps-link": steps_link,
    "manifest-link": manifest_link,
    "fifo-blob": fifo_blob,
    "fifo-log": fifo_log,
    "device-blob": device_blob,
    "traversal-ref": traversal_ref,
    "traversal-name": traversal_name,
    "hash-mismatch": hash_mismatch,
    "foreign-files": foreign_files,
    "number-1e308": _numbers("1e308"),
    "number-1e999": _numbers("1e999"),
    "number-nan": _numbers("NaN"),
    "number-huge-int": _numbers("9" * 5000),
    "coordinates-1e308": _coordinates("1e308"),
    "coordinates-int64": _coordinates(str(2**63)),
    "deep-nesting": deep_nesting,
    "deep-manifest": deep_manifest,
    "huge-line": huge_line,
    "many-steps": many_steps,
    "weird-history": weird_history,
    "binary-log": binary_log,
    "start-file": _start_url("file://{outside}/secret.txt"),
    "start-javascript": _start_url("javascript:alert(document.cookie)"),
    "start-data": _start_url("data:text/html,<script>fetch('http://127.0.0.1/')</script>"),
    "start-loopback": _start_url("http://" + LOOPBACK_HIT + "/steal"),
    "start-ftp": _start_url("ftp://127.0.0.1/"),
    "start-bad-port": _start_url("http://127.0.0.1:99999/"),
    "start-open-bracket": _start_url("http://[::1"),
}

LOADS = frozenset(
    {"hash-mismatch", "foreign-files", "coordinates-1e308", "coordinates-int64"}
    | {kind for kind in KINDS if kind.startswith("start-")}
)
"""Kinds whose manifest and log load: the hostility is in a blob's bytes or a value."""

ENV: dict[str, dict[str, str]] = {
    "huge-line": {"CUA_REPLAY_MAX_LINE_BYTES": str(2**20)},
    "many-steps": {"CUA_REPLAY_MAX_STEPS": "3"},
}
"""Bounds lowered for a kind, so a small file meets them (each is the documented override)."""
