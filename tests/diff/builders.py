"""Build cassettes by hand for diff tests: no browser, no model, a few lines per run.

A run is a list of steps; a step is a list of actions (dicts as the loop records
them, made by :func:`click`, :func:`type_`, ...) and optionally a final message.
:func:`build` gives an in-memory :class:`Cassette` (fast enough for hypothesis);
:func:`write` records the same run to disk with the real :class:`CassetteWriter`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from cua_replay.cassette.blobs import digest_of
from cua_replay.cassette.canonical import request_hash
from cua_replay.cassette.format import (
    ExecutedAction,
    Manifest,
    Observation,
    SafetyRecord,
    StepRecord,
    StopRecord,
)
from cua_replay.cassette.store import Cassette, CassetteWriter


def _at(x: float, y: float) -> dict[str, Any]:
    return {"x": x, "y": y, "model_x": x, "model_y": y, "clamped": False}


def click(x: float, y: float, button: str = "left") -> dict[str, Any]:
    return {"type": "click", "button": button, "at": _at(x, y), "modifiers": []}


def type_(text: str) -> dict[str, Any]:
    return {"type": "type", "text": text}


def key(*keys: str) -> dict[str, Any]:
    return {"type": "keypress", "keys": list(keys), "model_keys": [k.upper() for k in keys]}


def scroll(x: float, y: float, dx: int, dy: int) -> dict[str, Any]:
    return {
        "type": "scroll",
        "at": _at(x, y),
        "scroll_x": dx,
        "scroll_y": dy,
        "model_scroll_x": dx,
        "model_scroll_y": dy,
        "modifiers": [],
    }


def drag(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "drag", "path": [_at(x, y) for x, y in points], "modifiers": []}


@cache
def png(shade: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small solid PNG; different shades are perceptually different screenshots."""
    out = io.BytesIO()
    Image.new("RGB", size, (shade, 255 - shade, 128)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Step:
    actions: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    url: str = "https://shop.example/"
    shade: int = 0
    """The screenshot after this step's actions."""
    safety: list[tuple[str, bool]] = field(default_factory=list)
    tokens: tuple[int, int] = (100, 10)
    latency_ms: float = 10.0
    reasoning: list[str] = field(default_factory=list)


def _ref(data: bytes) -> dict[str, Any]:
    return {"$blob": digest_of(data), "mime": "image/png", "bytes": len(data)}


def _records(steps: list[Step]) -> tuple[list[StepRecord], StopRecord]:
    records: list[StepRecord] = []
    for number, step in enumerate(steps, start=1):
        call = f"call_{number}"
        request = {"model": "m", "input": [{"step": number}]}
        observations = []
        if number == 1:
            observations.append(Observation(screenshot=_ref(png(0)), url=step.url))
        if step.actions:
            observations.append(
                Observation(call_id=call, screenshot=_ref(png(step.shade)), url=step.url)
            )
        records.append(
            StepRecord(
                step=number,
                request=request,
                request_hash=request_hash(request),
                response={
                    "usage": {"input_tokens": step.tokens[0], "output_tokens": step.tokens[1]}
                },
                latency_ms=step.latency_ms,
                reasoning=step.reasoning,
                message=step.message,
                safety=[
                    SafetyRecord(
                        call_id=call, checks=[{"code": code}], approved=ok, decided_by="policy"
                    )
                    for code, ok in step.safety
                ],
                actions=[
                    ExecutedAction(call_id=call, index=i, action=a, url=step.url, elapsed_ms=1.0)
                    for i, a in enumerate(step.actions)
                ],
                observations=observations,
            )
        )
    final = next((s.message for s in reversed(steps) if s.message is not None), "")
    return records, StopRecord(reason="completed", steps=len(steps), final_message=final or "")


def build(steps: list[Step], directory: str = "mem", task: str = "task") -> Cassette:
    """An in-memory cassette (its blobs are not on disk: keep the final shades equal)."""
    records, stop = _records(steps)
    manifest = Manifest(task=task, model="m", status="complete", steps=len(steps))
    return Cassette(Path(directory), manifest, records, stop)


def write(directory: Path, steps: list[Step], task: str = "task", model: str = "m") -> Path:
    """Record ``steps`` to ``directory`` with the real writer, screenshots included."""
    writer = CassetteWriter(directory, Manifest(task=task, model=model))
    for step in steps:
        writer.store_image(png(step.shade))
    writer.store_image(png(0))
    records, stop = _records(steps)
    for record in records:
        writer.append(record)
    writer.close(stop)
    return directory


def run_of(actions: list[dict[str, Any]], message: str = "Done.", **kw: Any) -> list[Step]:
    """One action per step, then a final message step."""
    return [Step(actions=[a], **kw) for a in actions] + [Step(message=message, **kw)]
