from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SHIPPED = ("demo", "form-full", "injection", "drag-stream")
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def evil_cassette(tmp_path: Path) -> Path:
    """The demo cassette with its task, typed text, reasoning and message made hostile."""
    target = tmp_path / "evil"
    shutil.copytree(CASSETTES / "demo", target)
    manifest = json.loads((target / "run.json").read_text(encoding="utf-8"))
    manifest["task"] = f'Task {EVIL} & "quotes"'
    (target / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    lines = []
    for line in (target / "steps.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for executed in record.get("actions", []):
            if executed["action"].get("type") == "type":
                executed["action"]["text"] = EVIL
            executed["url"] = "javascript:alert(2)"
        if record.get("kind") == "step" and record.get("message"):
            record["message"] = f"done {EVIL}"
        if record.get("reasoning"):
            record["reasoning"] = [f"<img src=x onerror=alert(3)> {EVIL}"]
        lines.append(json.dumps(record))
    (target / "steps.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
