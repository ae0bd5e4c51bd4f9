"""verify() and gc() on real recordings (a loop run in Chromium) and on hand-made edge cases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cua_replay.cassette import CassetteWriter, StepRecord, load_cassette
from cua_replay.cassette.blobs import BlobStore
from cua_replay.cassette.canonical import blob_ref
from cua_replay.cassette.format import Observation
from cua_replay.cassette.verify import Verification, gc, verify
from cua_replay.errors import CassetteNotFound, InvalidCassette, InvalidSetting
from cua_replay.record import Recorder, new_manifest
from cua_replay.server import load_scenario
from tests.conftest import BrowserHarness
from tests.loop.harness import run_scenario

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
SK_KEY = "sk-proj-Zx81YqPl0w3NvB7tKc2D"


def record(
    browser: BrowserHarness, directory: Path, name: str, environ: dict[str, str] | None = None
) -> Path:
    scenario = load_scenario(name)
    manifest = new_manifest(task=scenario.task, model=scenario.model, scenario=name)
    recorder = Recorder.open(directory, manifest, environ=environ or {})
    run_scenario(browser, scenario, listeners=[recorder])
    assert recorder.closed
    return directory


@pytest.fixture(scope="module")
def recorded(browser: BrowserHarness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recording of the demo scenario, shared: tests get a copy (``cassette``)."""
    return record(browser, tmp_path_factory.mktemp("recorded") / "demo", "demo")


@pytest.fixture
def cassette(recorded: Path, tmp_path: Path) -> Path:
    """A private copy of the shared recording, free to be damaged."""
    return Path(shutil.copytree(recorded, tmp_path / "cassette"))


def kinds(report: Verification) -> list[str]:
    return [f.kind for f in report.findings]


def lines(directory: Path) -> list[str]:
    return (directory / "steps.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(directory: Path, content: list[str]) -> None:
    (directory / "steps.jsonl").write_text("".join(content), encoding="utf-8")


def edit_line(directory: Path, index: int, change: Any) -> None:
    """Parse line ``index`` of the log, let ``change`` mutate it, write it back as JSON."""
    content = lines(directory)
    data = json.loads(content[index])
    change(data)
    content[index] = json.dumps(data) + "\n"
    write_lines(directory, content)


def a_blob(directory: Path) -> Path:
    step = load_cassette(directory).steps[1]
    ref = step.observations[-1].screenshot
    return BlobStore(directory / "blobs").path(ref["$blob"], ref["mime"])


# -- a recording as it comes ----------------------------------------------------------


@pytest.mark.browser
def test_verify_fresh_recording_is_clean(cassette: Path) -> None:
    report = verify(cassette, environ={})
    assert report.ok, report.findings
    assert report.notes == []
    assert report.steps == len(load_cassette(cassette)) == 11
    assert report.blobs > 1 and report.files == report.blobs + 2


@pytest.mark.browser
def test_verify_recording_made_with_a_secret_in_the_environment_is_clean(
    browser: BrowserHarness, tmp_path: Path
) -> None:
    # The form scenario types the password from the task: the recorder redacts it
    # everywhere, and verify, given the same environment, agrees nothing leaked.
    environ = {"SHOP_PASSWORD": "hunter2"}
    directory = record(browser, tmp_path / "form", "form", environ)
    report = verify(directory, environ=environ, patterns=[r"hunter\d"])
    assert report.ok, report.findings
    assert "[redacted]" in (directory / "steps.jsonl").read_text()


# -- blobs ----------------------------------------------------------------------------


@pytest.mark.browser
def test_verify_flipped_byte_in_blob_is_a_hash_finding(cassette: Path) -> None:
    blob = a_blob(cassette)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    report = verify(cassette, environ={})
    assert kinds(report) == ["hash"]
    assert report.findings[0].where == blob.relative_to(cassette).as_posix()
    assert "modified or corrupted" in report.findings[0].message


@pytest.mark.browser
def test_verify_deleted_blob_is_missing_blob(cassette: Path) -> None:
    blob = a_blob(cassette)
    blob.unlink()
    report = verify(cassette, environ={})
    assert kinds(report) == ["missing_blob"]
    assert "steps.jsonl:2" in report.findings[0].message


@pytest.mark.browser
def test_verify_size_that_differs_from_the_reference_is_a_hash_finding(cassette: Path) -> None:
    def lie(data: dict[str, Any]) -> None:
        data["observations"][-1]["screenshot"]["bytes"] += 1

    edit_line(cassette, 1, lie)
    report = verify(cassette, environ={})
    assert kinds(report) == ["hash"]
    assert "bytes=" in report.findings[0].message


# -- secrets --------------------------------------------------------------------------


@pytest.mark.browser
def test_verify_finds_a_key_planted_in_the_log_without_printing_it(cassette: Path) -> None:
    edit_line(cassette, 2, lambda d: d["reasoning"].append(f"the key is {SK_KEY}"))
    report = verify(cassette, environ={})
    assert kinds(report) == ["secret"]
    finding = report.findings[0]
    assert finding.where.startswith("steps.jsonl@")
    offset = int(finding.where.split("@")[1])
    raw = (cassette / "steps.jsonl").read_bytes()
    assert raw[offset : offset + len(SK_KEY)] == SK_KEY.encode()
    assert SK_KEY not in str(report) and SK_KEY not in str(finding)
    assert "'sk-'" in finding.message and f"({len(SK_KEY)} chars)" in finding.message


@pytest.mark.browser
def test_verify_finds_a_given_secret_in_the_manifest(cassette: Path) -> None:
    manifest = json.loads((cassette / "run.json").read_text())
    manifest["task"] += " Card 4111-1111-1111-1111."
    (cassette / "run.json").write_text(json.dumps(manifest))
    assert verify(cassette, environ={}).ok
    report = verify(cassette, environ={}, secrets=["4111-1111-1111-1111"])
    assert kinds(report) == ["secret"]
    assert report.findings[0].where.startswith("run.json@")
    assert "--secret #1" in report.findings[0].message
    assert "4111-1111" not in str(report.findings[0])


@pytest.mark.browser
def test_verify_finds_a_secret_inside_a_blob_file(cassette: Path) -> None:
    blob = a_blob(cassette)
    blob.write_bytes(blob.read_bytes() + b"tEXt " + JWT.encode())
    report = verify(cassette, environ={})
    assert sorted(kinds(report)) == ["hash", "secret"]
    secret = next(f for f in report.findings if f.kind == "secret")
    assert secret.where.startswith(blob.relative_to(cassette).as_posix() + "@")
    assert "a JWT" in secret.message and JWT not in str(secret)


@pytest.mark.browser
def test_verify_finds_a_canary_environment_value_even_json_escaped(cassette: Path) -> None:
    canary = 'canary"7f3a\\e91b'  # a quote and a backslash: escaped inside the JSON line
    edit_line(cassette, 3, lambda d: d["reasoning"].append(f"I saw {canary} on screen"))
    assert canary.encode() not in (cassette / "steps.jsonl").read_bytes()
    assert verify(cassette, environ={}).ok
    report = verify(cassette, environ={"CUA_CANARY_TOKEN": canary, "HOME": "/root"})
    assert kinds(report) == ["secret"]
    finding = report.findings[0]
    assert finding.where.startswith("steps.jsonl@")
    assert "$CUA_CANARY_TOKEN" in finding.message
    assert canary not in str(finding) and "7f3a" not in str(finding)


@pytest.mark.browser
def test_verify_user_pattern_finds_the_typed_password(cassette: Path) -> None:
    report = verify(cassette, environ={}, patterns=[r"hunter\d"])
    assert set(kinds(report)) == {"secret"}
    assert {f.where.split("@")[0] for f in report.findings} == {"run.json", "steps.jsonl"}
    assert all("hunter2" not in str(f) for f in report.findings)


@pytest.mark.browser
def test_verify_embedded_data_url_is_a_finding(cassette: Path) -> None:
    def embed(data: dict[str, Any]) -> None:
        data["page_events"].append({"kind": "x", "src": "data:image/png;base64,iVBORw0KGgo="})

    edit_line(cassette, 4, embed)
    report = verify(cassette, environ={})
    assert kinds(report) == ["secret"]
    assert "embedded image" in report.findings[0].message
    assert report.findings[0].where.startswith("steps.jsonl@")


def test_verify_bad_pattern_raises_before_reading(tmp_path: Path) -> None:
    CassetteWriter(tmp_path, new_manifest()).close()
    with pytest.raises(InvalidSetting, match="pattern="):
        verify(tmp_path, patterns=["("])


def test_verify_without_a_cassette_raises_cassette_not_found(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFound, match=r"run\.json"):
        verify(tmp_path / "nothing-here")


# -- the log --------------------------------------------------------------------------


@pytest.mark.browser
def test_verify_torn_last_line_of_a_crashed_recording_is_ok_with_notes(cassette: Path) -> None:
    # What a kill -9 during step 11 leaves: the manifest as written at the start,
    # no stop line, and half of the line in flight.
    manifest = json.loads((cassette / "run.json").read_text())
    manifest.update(status="recording", steps=0, stop=None)
    (cassette / "run.json").write_text(json.dumps(manifest))
    content = lines(cassette)[:-1]
    content[-1] = content[-1][: len(content[-1]) // 2]
    write_lines(cassette, content)
    report = verify(cassette, environ={})
    assert report.ok, report.findings
    notes = {note.kind: note for note in report.notes}
    assert set(notes) == {"torn", "incomplete"}
    assert notes["torn"].where == "steps.jsonl:11"
    assert report.steps == 10 and load_cassette(cassette).torn


@pytest.mark.browser
def test_verify_log_cut_short_under_a_complete_manifest_is_a_finding(cassette: Path) -> None:
    write_lines(cassette, lines(cassette)[:5])
    report = verify(cassette, environ={})
    assert kinds(report) == ["schema"]
    assert "no stop line" in report.findings[0].message


@pytest.mark.browser
def test_verify_reports_every_corrupted_line(cassette: Path) -> None:
    content = lines(cassette)
    content[3] = content[3][:40] + "\n"
    content[6] = '{"kind": "step", "step": "seven"}\n'
    write_lines(cassette, content)
    report = verify(cassette, environ={})
    assert set(kinds(report)) == {"schema"}
    wheres = [f.where for f in report.findings]
    assert wheres == ["steps.jsonl:4", "steps.jsonl:7"]  # each once, nothing cascades
    corrupt = next(f for f in report.findings if f.where == "steps.jsonl:4")
    assert "not JSON" in corrupt.message


@pytest.mark.browser
def test_verify_swapped_lines_break_numbering(cassette: Path) -> None:
    content = lines(cassette)
    content[2], content[3] = content[3], content[2]
    write_lines(cassette, content)
    report = verify(cassette, environ={})
    assert set(kinds(report)) == {"schema"}
    assert "step=4, expected step=3" in report.findings[0].message


@pytest.mark.browser
def test_verify_one_edited_step_number_is_one_finding(cassette: Path) -> None:
    edit_line(cassette, 5, lambda d: d.update(step=9))
    report = verify(cassette, environ={})
    assert [(f.kind, f.where) for f in report.findings] == [("schema", "steps.jsonl:6")]


def test_verify_item_referenced_before_it_is_stored_is_a_finding(tmp_path: Path) -> None:
    # Full history: step 2 resends step 1's input item by reference only.
    writer = CassetteWriter(tmp_path, new_manifest())
    first = {"role": "user", "content": "hi"}
    second = {"type": "message", "role": "assistant", "content": "hello"}
    for step, items in ((1, [first]), (2, [first, second])):
        request = writer.canonical({"model": "m", "input": items})
        writer.append(StepRecord(step=step, request=request, request_hash=writer.hash(request)))
    writer.close()
    content = lines(tmp_path)
    write_lines(tmp_path, [content[1], content[0]])
    report = verify(tmp_path, environ={})
    messages = " ".join(f.message for f in report.findings)
    assert set(kinds(report)) == {"schema"}
    assert "not stored in this or an earlier line" in messages
    assert "step=2, expected step=1" in messages


def test_verify_hand_made_crash_notes_garbage(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, new_manifest(task="t"))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    digest, size = writer.store_image(png)
    request = writer.canonical({"model": "m", "input": [{"role": "user", "content": "hi"}]})
    writer.append(
        StepRecord(
            step=1,
            request=request,
            request_hash=writer.hash(request),
            observations=[
                Observation(screenshot=blob_ref(digest, "image/png", size), url="about:blank")
            ],
        )
    )
    writer.store_image(png + b"next")  # stored for step 2, which never got written
    writer.close()  # no stop line: the manifest stays "recording", as after a crash
    with (tmp_path / "steps.jsonl").open("a") as log:
        log.write('{"kind":"step","step":2,"requ')
    leftover = BlobStore(tmp_path / "blobs").path(digest).with_name(".x.png.123.tmp")
    leftover.write_bytes(b"partial")
    report = verify(tmp_path, environ={})
    assert report.ok and report.steps == 1 and report.blobs == 1
    assert sorted(n.kind for n in report.notes) == [
        "incomplete",
        "leftover",
        "torn",
        "unreferenced",
    ]


def test_verify_malformed_blob_reference_is_a_schema_finding(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, new_manifest())
    request = {"model": "m", "input": "hi"}
    writer.append(
        StepRecord(
            step=1,
            request=request,
            request_hash=writer.hash(request),
            observations=[
                Observation(screenshot={"$blob": "md5:abc", "mime": "image/png"}, url="about:")
            ],
        )
    )
    writer.close()
    report = verify(tmp_path, environ={})
    assert kinds(report) == ["schema"]
    assert "sha256:<64 hex digits>" in report.findings[0].message


# -- gc -------------------------------------------------------------------------------


def plant_garbage(directory: Path) -> list[Path]:
    store = BlobStore(directory / "blobs")
    orphan = store.path(store.put(b"\x89PNG nobody refers to me"))
    tmp_blob = orphan.with_name(f".{orphan.name}.4242.tmp")
    tmp_blob.write_bytes(b"half a png")
    tmp_manifest = directory / ".run.json.4242.tmp"
    tmp_manifest.write_text("{")
    return [orphan, tmp_blob, tmp_manifest]


@pytest.mark.browser
def test_gc_removes_unreferenced_blobs_and_leftovers_only(cassette: Path) -> None:
    referenced = sorted(path for _, path in BlobStore(cassette / "blobs"))
    garbage = plant_garbage(cassette)
    before = verify(cassette, environ={})
    assert before.ok and {n.kind for n in before.notes} == {"unreferenced", "leftover"}

    assert sorted(gc(cassette, dry_run=True)) == sorted(garbage)
    assert all(path.exists() for path in garbage)

    assert sorted(gc(cassette)) == sorted(garbage)
    assert not any(path.exists() for path in garbage)
    assert sorted(path for _, path in BlobStore(cassette / "blobs")) == referenced
    after = verify(cassette, environ={})
    assert after.ok and after.notes == []
    assert gc(cassette) == []


@pytest.mark.browser
def test_gc_refuses_a_cassette_that_does_not_load(cassette: Path) -> None:
    garbage = plant_garbage(cassette)
    content = lines(cassette)
    content[2] = "{not json\n"
    write_lines(cassette, content)
    with pytest.raises(InvalidCassette, match="Nothing was removed"):
        gc(cassette)
    assert all(path.exists() for path in garbage)


@pytest.mark.browser
def test_gc_collects_a_tree_of_cassettes_or_nothing(recorded: Path, tmp_path: Path) -> None:
    one = Path(shutil.copytree(recorded, tmp_path / "tree" / "a"))
    two = Path(shutil.copytree(recorded, tmp_path / "tree" / "nested" / "b"))
    garbage = plant_garbage(one) + plant_garbage(two)
    write_lines(two, ["{broken\n", *lines(two)])
    with pytest.raises(InvalidCassette, match="nested/b"):
        gc(tmp_path / "tree")
    assert all(path.exists() for path in garbage)

    write_lines(two, lines(two)[1:])
    assert sorted(gc(tmp_path / "tree")) == sorted(garbage)
    assert verify(one, environ={}).notes == verify(two, environ={}).notes == []


def test_gc_refuses_a_recording_in_progress_unless_forced(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, new_manifest())
    orphan = writer.blobs.path(writer.store_image(b"\x89PNG being written")[0])
    writer.close()  # still "recording": no stop line
    with pytest.raises(InvalidCassette, match="status=recording"):
        gc(tmp_path)
    assert orphan.exists()
    assert gc(tmp_path, force=True) == [orphan]
    assert not orphan.exists() and not (tmp_path / "blobs" / "sha256").exists()


def test_gc_without_any_cassette_raises(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFound, match="directory of cassettes"):
        gc(tmp_path)
