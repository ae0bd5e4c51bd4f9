"""The replay cursor against a full-history client that resends the same item objects.

The cursor reuses the canonical form of an input item while the item is unchanged;
these tests pin that an item changed in place between two requests is still seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cua_replay.cassette import load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.cassette.store import Cassette
from cua_replay.errors import ReplayMismatch
from cua_replay.replay.cursor import ReplayCursor
from cua_replay.replay.matchers import MatchPolicy
from cua_replay.replay.options import ReplayOptions

FULL = Path(__file__).resolve().parents[2] / "cassettes" / "form-full"


def live_requests(cassette: Cassette) -> list[dict[str, Any]]:
    """The recorded requests as a full-history client sends them: one object per item, reused."""
    objects: dict[str, Any] = {}
    requests = []
    for step in cassette:
        request = dict(step.request)
        items = []
        for ref in request["input"]:
            digest = ref["$item"]
            if digest not in objects:
                objects[digest] = expand(cassette.items[digest], _loader(cassette))
            items.append(objects[digest])
        request["input"] = items
        requests.append(request)
    return requests


def _loader(cassette: Cassette) -> Any:
    return lambda digest, mime: cassette.blobs.get(digest, mime)


def test_a_full_history_replay_matches_step_by_step(tmp_path: Path) -> None:
    cassette = load_cassette(FULL)
    cursor = ReplayCursor(cassette, ReplayOptions(artifacts=tmp_path), environ={})
    requests = live_requests(cassette)
    assert len(requests[-1]["input"]) > len(requests[0]["input"])  # the history grows
    for number, request in enumerate(requests, start=1):
        assert cursor.next(request).step == number


def test_an_item_changed_in_place_is_still_a_difference(tmp_path: Path) -> None:
    cassette = load_cassette(FULL)
    cursor = ReplayCursor(
        cassette, ReplayOptions(MatchPolicy.STRUCTURAL, artifacts=tmp_path), environ={}
    )
    requests = live_requests(cassette)
    cursor.next(requests[0])
    cursor.next(requests[1])
    first = requests[2]["input"][0]  # the task message, resent since step 1
    first["content"][0]["text"] = "Something else entirely."
    with pytest.raises(ReplayMismatch) as caught:
        cursor.next(requests[2])
    assert caught.value.step == 3
    assert any(d.path == "input[0].content[0].text" for d in caught.value.differences)
