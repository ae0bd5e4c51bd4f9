"""``--record-mode new``: what the cassette holds is replayed, the rest goes upstream and is added.

"The rest" is per conversation: a conversation whose requests match recorded
steps is answered from the cassette; its first request without a recorded
counterpart (a new task, a step past where its recording ends) goes upstream,
and so does everything after it in that conversation. When the proxy stops,
the new steps join the cassette, which then replays all of it with no upstream.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cua_replay.cassette import load_cassette
from cua_replay.cassette.format import BLOBS_DIR, StopRecord
from cua_replay.cassette.store import CassetteWriter
from cua_replay.cassette.verify import verify
from cua_replay.proxy import ProxyApp, ProxyServer
from cua_replay.server import FakeResponsesServer
from tests.proxy.conftest import KEY, SCENARIO, Driver, run_toolset
from tests.proxy.test_routes import session

OTHER_TASK = f"{SCENARIO.task} Use the keyboard only."
STEPS = len(SCENARIO.turns)


def cut(source: Path, target: Path, steps: int) -> Path:
    """A copy of ``source`` that ends after ``steps`` steps (a client that stopped early)."""
    cassette = load_cassette(source)
    writer = CassetteWriter(target, cassette.manifest.model_copy(deep=True))
    shutil.copytree(source / BLOBS_DIR, target / BLOBS_DIR, dirs_exist_ok=True)
    for step in cassette.steps[:steps]:
        writer.append(step)
    writer.close(StopRecord(reason="closed", steps=steps))
    return target


def replays_clean(directory: Path, task: str) -> None:
    app = ProxyApp(directory, "none")
    with ProxyServer(app) as proxy:
        response = run_toolset(proxy.urls.openai_base_url, Driver(), task=task)
    assert response.output_text == SCENARIO.turns[-1].message
    assert app.replayer is not None and not app.replayer.failures


def test_a_new_conversation_is_recorded_and_the_recorded_one_replayed(
    recorded: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "form"
    shutil.copytree(recorded, directory)
    with FakeResponsesServer(SCENARIO, seed="second run") as upstream:
        app = ProxyApp(directory, "new", upstream=upstream.urls.openai_base_url)
        with ProxyServer(app) as proxy:
            run_toolset(proxy.urls.openai_base_url, Driver())
            assert upstream.state.log == []  # the recorded conversation never went upstream
            run_toolset(proxy.urls.openai_base_url, Driver(), task=OTHER_TASK)
            assert len(upstream.state.log) == STEPS
    assert app.added == STEPS
    assert len(load_cassette(directory)) == 2 * STEPS
    assert not (tmp_path / "form.recording").exists()
    report = verify(directory, environ={}, secrets=[KEY])
    assert report.ok, [str(f) for f in report.findings]
    replays_clean(directory, SCENARIO.task)
    replays_clean(directory, OTHER_TASK)


def test_a_conversation_past_its_recording_goes_on_upstream(tmp_path: Path) -> None:
    """Two recorded steps of three: they are replayed, the third is recorded and added.

    The upstream must accept the replayed history (its ids, its encrypted
    reasoning), as the service does for a recording of the same account: here
    the fake server that was recorded, still running.
    """
    whole = tmp_path / "whole"
    with FakeResponsesServer(SCENARIO) as upstream:
        with ProxyServer(ProxyApp(whole, "once", upstream=upstream.urls.openai_base_url)) as p:
            run_toolset(p.urls.openai_base_url, Driver())
        directory = cut(whole, tmp_path / "form", 2)
        before = len(upstream.state.log)
        app = ProxyApp(directory, "new", upstream=upstream.urls.openai_base_url)
        with ProxyServer(app) as proxy:
            response = run_toolset(proxy.urls.openai_base_url, Driver())
        assert len(upstream.state.log) - before == STEPS - 2
    assert response.output_text == SCENARIO.turns[-1].message
    assert app.added == STEPS - 2
    extended, original = load_cassette(directory), load_cassette(whole)
    assert len(extended) == len(original)
    # Step 3 asks what it asked when first recorded; later ones carry the new ids.
    assert extended.steps[2].request_hash == original.steps[2].request_hash
    report = verify(directory, environ={}, secrets=[KEY])
    assert report.ok, [str(f) for f in report.findings]
    replays_clean(directory, SCENARIO.task)


def test_new_with_nothing_to_add_leaves_the_cassette_as_it_was(
    recorded: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "form"
    shutil.copytree(recorded, directory)
    before = (directory / "steps.jsonl").read_bytes()
    app = ProxyApp(directory, "new", upstream="http://127.0.0.1:9/v1")
    with ProxyServer(app) as proxy:
        run_toolset(proxy.urls.openai_base_url, Driver())
    assert app.added == 0
    assert (directory / "steps.jsonl").read_bytes() == before
    assert not (tmp_path / "form.recording").exists()


def test_retrieve_items_and_delete_follow_their_conversation(tmp_path: Path) -> None:
    """A recorded response's routes are replayed; a response the upstream just made, forwarded."""
    directory = tmp_path / "routes"
    with FakeResponsesServer(SCENARIO) as upstream:
        with ProxyServer(ProxyApp(directory, "once", upstream=upstream.urls.openai_base_url)) as p:
            recorded = session(p.urls.openai_base_url, SCENARIO.task)
        before = len(upstream.state.log)
        app = ProxyApp(directory, "new", upstream=upstream.urls.openai_base_url)
        with ProxyServer(app) as proxy:
            assert session(proxy.urls.openai_base_url, SCENARIO.task) == recorded
            assert len(upstream.state.log) == before
            created, again, items, _ = session(proxy.urls.openai_base_url, OTHER_TASK)
        assert [r.method for r in upstream.state.log[before:]] == ["POST", "GET", "GET", "DELETE"]
    assert created == again != recorded[0]
    assert items == ["message"]
    assert app.added == 1
