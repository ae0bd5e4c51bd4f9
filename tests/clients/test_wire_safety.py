"""Safety decisions read from the wire: what the client acknowledged in its next request.

No browser: the SDK's ``ComputerToolset`` with a driver that shows one screen,
on the v2 "model version" (its second call carries ``malicious_instructions``).
"""

from __future__ import annotations

from pathlib import Path

from openai import OpenAI
from openai.lib.computer import ComputerToolset, ComputerUseError
from typer.testing import CliRunner

from cua_replay.cassette import load_cassette
from cua_replay.cassette.view import view
from cua_replay.cli.main import app
from cua_replay.record import Recorder, new_manifest, recording_client
from cua_replay.server import FakeResponsesServer, load_scenario
from tests.cassette.test_replay_transport import Driver, toolset_params

from .checks import V2, shown, without_url_expectations

V2_NO_URLS = without_url_expectations(load_scenario(V2))


def record(directory: Path, *, approve: bool) -> Path:
    recorder = Recorder.open(directory, new_manifest(task=V2_NO_URLS.task))
    with (
        FakeResponsesServer(V2_NO_URLS) as server,
        OpenAI(
            base_url=server.urls.openai_base_url,
            api_key="sk-test",
            http_client=recording_client(recorder.exchange),
        ) as client,
    ):
        try:
            ComputerToolset(Driver()).run(
                client, toolset_params(V2_NO_URLS), approve_safety_checks=lambda call: approve
            )
        except ComputerUseError:
            assert not approve
    recorder.close()
    return directory


def test_an_acknowledged_check_is_an_approval_by_the_client(tmp_path: Path) -> None:
    run = view(load_cassette(record(tmp_path / "approved", approve=True)))
    [(step, decision)] = [(s.step, d) for s in run.steps for d in s.safety]
    assert step == 2 and decision.approved and decision.decided_by == "client"
    assert [c["code"] for c in decision.checks] == ["malicious_instructions"]
    assert shown(tmp_path / "approved")[1]["safety"][0]["approved"] is True


def test_a_check_the_client_never_answered_is_not_an_approval(tmp_path: Path) -> None:
    run = view(load_cassette(record(tmp_path / "refused", approve=False)))
    [decision] = [d for s in run.steps for d in s.safety]
    assert not decision.approved and "never answered" in decision.reason


def test_a_loop_recording_keeps_its_own_decisions() -> None:
    shipped = Path(__file__).resolve().parents[2] / "cassettes" / "model-v2"
    run = view(load_cassette(shipped))
    decisions = [d for s in run.steps for d in s.safety]
    assert decisions and all(d.decided_by != "client" for d in decisions)


def test_the_report_shows_a_decision_read_from_the_wire(tmp_path: Path) -> None:
    directory = record(tmp_path / "approved", approve=True)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(directory), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count('<div class="safety" data-approved="true">') == 1
    assert "<code>malicious_instructions</code>" in page
    assert '<code class="decided-by">client</code>' in page
