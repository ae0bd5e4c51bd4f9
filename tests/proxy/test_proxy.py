"""``cua-replay proxy``: record a client we did not write through it, then replay offline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx2
import openai
import pytest

from cua_replay.cassette import load_cassette
from cua_replay.cassette.canonical import expand
from cua_replay.cassette.verify import verify
from cua_replay.errors import CassetteNotFound
from cua_replay.proxy import ProxyApp, ProxyServer, upstream_url
from tests.proxy.conftest import KEY, SCENARIO, Driver, run_toolset
from tests.server.images import png


def test_the_recording_verifies_clean_with_the_clients_key_as_a_secret(recorded: Path) -> None:
    report = verify(recorded, environ={}, secrets=[KEY])
    assert report.ok, [str(f) for f in report.findings]
    assert report.steps == len(SCENARIO.turns)
    for path in recorded.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_replay_through_the_proxy_needs_no_upstream(recorded: Path) -> None:
    app = ProxyApp(recorded, "none")
    driver = Driver()
    with ProxyServer(app) as proxy:
        response = run_toolset(proxy.urls.openai_base_url, driver)
    assert response.output_text == SCENARIO.turns[-1].message
    assert driver.actions
    assert app.replayer is not None and not app.replayer.failures


def test_once_replays_an_existing_cassette(recorded: Path) -> None:
    app = ProxyApp(recorded, "once", upstream="http://127.0.0.1:9/v1")
    assert app.replaying
    with ProxyServer(app) as proxy:
        response = run_toolset(proxy.urls.openai_base_url, Driver())
    assert response.output_text == SCENARIO.turns[-1].message


def test_a_changed_screenshot_fails_at_the_first_divergent_step(
    recorded: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "form"
    shutil.copytree(recorded, copy)
    with (
        ProxyServer(ProxyApp(copy, "none")) as proxy,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        run_toolset(proxy.urls.openai_base_url, Driver(png(64, 48)))
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["code"] == "cassette_mismatch"
    assert "step 2" in body["message"]
    assert {p.name for p in (copy / "mismatch").rglob("*.png")} >= {"recorded.png", "live.png"}


def test_a_changed_task_fails_at_step_one(recorded: Path) -> None:
    with (
        ProxyServer(ProxyApp(recorded, "none")) as proxy,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        run_toolset(proxy.urls.openai_base_url, Driver(), task="Buy a hat instead.")
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["code"] == "cassette_mismatch"
    assert "step 1" in body["message"]


def test_azure_routes_replay_too(recorded: Path) -> None:
    with ProxyServer(ProxyApp(recorded, "none")) as proxy:
        response = run_toolset(proxy.urls.azure_v1_base_url, Driver())
    assert response.output_text == SCENARIO.turns[-1].message


def first_request(directory: Path) -> dict[str, object]:
    cassette = load_cassette(directory)
    request: dict[str, object] = expand(cassette.request(1), lambda ref, mime: b"")
    return request


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_curl_stream_through_the_proxy_ends_in_response_completed(recorded: Path) -> None:
    body = {**first_request(recorded), "stream": True}
    with ProxyServer(ProxyApp(recorded, "none")) as proxy:
        done = subprocess.run(
            [
                "curl",
                "-sS",
                "-N",
                "--fail-with-body",
                f"{proxy.urls.openai_base_url}/responses",
                "-H",
                "content-type: application/json",
                "-H",
                "authorization: Bearer sk-anything",
                "--data-binary",
                json.dumps(body),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    events = [
        json.loads(line.removeprefix("data: "))
        for line in done.stdout.splitlines()
        if line.startswith("data: ")
    ]
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"


def test_a_request_outside_the_responses_api_gets_the_error_envelope(recorded: Path) -> None:
    with ProxyServer(ProxyApp(recorded, "none")) as proxy:
        answer = httpx2.get(f"{proxy.urls.openai_base_url}/models")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_replay_only_without_a_cassette_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFound, match="--record-mode once"):
        ProxyApp(tmp_path / "missing", "none")


@pytest.mark.parametrize(
    ("upstream", "path", "expected"),
    [
        ("https://api.openai.com/v1", "/v1/responses", "https://api.openai.com/v1/responses"),
        (
            "https://api.openai.com/v1",
            "/openai/v1/responses/r1",
            "https://api.openai.com/v1/responses/r1",
        ),
        (
            "https://x.openai.azure.com",
            "/openai/responses",
            "https://x.openai.azure.com/openai/responses",
        ),
        (
            "https://x.openai.azure.com/openai/v1",
            "/v1/responses",
            "https://x.openai.azure.com/openai/v1/responses",
        ),
        ("http://127.0.0.1:8000", "/v1/responses", "http://127.0.0.1:8000/v1/responses"),
    ],
)
def test_upstream_url_maps_the_clients_base_path(upstream: str, path: str, expected: str) -> None:
    assert str(upstream_url(httpx2.URL(upstream), path, b"")) == expected
