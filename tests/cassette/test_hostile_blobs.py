"""Cassettes are untrusted input: a blob is read only from inside its cassette.

A symbolic link out of the cassette (the blob file, its shard folder, or the
whole ``blobs/`` folder), a FIFO, or a file whose bytes do not match its name:
no command reads through it, ``gc`` deletes nothing outside the cassette, no
command hangs, and ``verify`` reports it.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cassette.blobs import read_blob
from cua_replay.cassette.gc import gc
from cua_replay.cli.main import app
from cua_replay.errors import InvalidCassette

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes" / "demo"
CANARY = b"\x89PNG\r\n\x1a\n" + b"canary-outside-the-cassette" * 40


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "cassette"
    shutil.copytree(SHIPPED, target)
    return target


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(CANARY)
    return outside / "secret.png"


def first_blob(cassette: Path) -> Path:
    return sorted((cassette / "blobs" / "sha256").glob("*/*.png"))[0]


def link_blob_out(cassette: Path, victim: Path) -> Path:
    blob = first_blob(cassette)
    blob.unlink()
    blob.symlink_to(victim)
    return blob


def test_a_blob_linked_out_of_the_cassette_is_refused(copy: Path, victim: Path) -> None:
    blob = link_blob_out(copy, victim)
    with pytest.raises(InvalidCassette, match="symbolic link"):
        read_blob(blob, copy)
    result = CliRunner().invoke(app, ["verify", str(copy)])
    assert result.exit_code == 1 and "unsafe_blob" in result.output, result.output


def test_report_never_embeds_a_file_from_outside(copy: Path, victim: Path, tmp_path: Path) -> None:
    link_blob_out(copy, victim)
    out = tmp_path / "report.html"
    CliRunner().invoke(app, ["report", str(copy), "-o", str(out)])
    if out.exists():
        html = out.read_text()
        assert base64.b64encode(CANARY).decode()[:40] not in html


@pytest.mark.parametrize("layout", ["file", "shard", "blobs"])
def test_gc_deletes_nothing_outside_the_cassette(copy: Path, tmp_path: Path, layout: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victims = [outside / "a.png", outside / "b.bin", outside / ".x.png.1.tmp"]
    for path in victims:
        path.write_bytes(CANARY)
    if layout == "file":
        (first_blob(copy).parent / ("0" * 64 + ".png")).symlink_to(victims[0])
    elif layout == "shard":
        (copy / "blobs" / "sha256" / "zz").symlink_to(outside, target_is_directory=True)
    else:
        shutil.rmtree(copy / "blobs")
        (copy / "blobs").symlink_to(outside, target_is_directory=True)
    with contextlib.suppress(InvalidCassette):  # refusing is fine too; deleting is not
        gc(copy, force=True)
    assert all(path.read_bytes() == CANARY for path in victims)


@pytest.mark.timeout(60)
def test_a_fifo_blob_does_not_hang_any_reader(copy: Path) -> None:
    blob = first_blob(copy)
    blob.unlink()
    os.mkfifo(blob)
    with pytest.raises(InvalidCassette, match="not a regular file"):
        read_blob(blob, copy)
    runner = CliRunner()
    assert runner.invoke(app, ["verify", str(copy)]).exit_code == 1
    assert runner.invoke(app, ["replay", str(copy), "--executor", "recorded"]).exit_code != 0


def test_a_blob_whose_bytes_do_not_match_its_name_is_refused(copy: Path) -> None:
    blob = first_blob(copy)
    blob.write_bytes(CANARY)
    cassette = load_cassette(copy)
    digest = "sha256:" + blob.stem
    with pytest.raises(InvalidCassette, match="does not hold the bytes its name says"):
        cassette.blobs.get(digest)
