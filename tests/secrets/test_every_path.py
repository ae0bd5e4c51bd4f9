"""Generated secrets through every recording path: none on disk, none on the console.

Each example draws a password (spaces, quotes, non-ASCII, ``%``, ``+``, ``&``,
``<`` ...) and an API key (the same, ASCII only: it travels in a header), then
records a run in which both go everywhere they can:

* **the loop**, ``cua-replay run --fake`` in a subprocess with Chromium: the
  password in the task, the start URL's query (Chromium percent-encodes it,
  and the agent's ``current_url`` carries it), typed into a field, in the
  reasoning and the final message; known to the recorder from
  ``$SHOP_PASSWORD`` or ``--redact``; the key given as ``--api-key`` and echoed
  in the model's message;
* **the recording transport**, the real openai SDK over
  :func:`~cua_replay.record.transport.recording_client` against the fake server;
* **the vcrpy adapter**, the same calls recorded by vcrpy;
* **the proxy**, the same calls through :class:`~cua_replay.proxy.ProxyApp`.

In the three HTTP paths the key is the client's ``api_key=`` only (no
environment variable holds it), the password is in the request text and in a
``current_url`` spelled as Chromium spells it, and the fake server's responses
(reasoning, message; streamed or not) echo both.

Then every file of the cassette is read as bytes and searched for every
spelling (:func:`tests.secrets.common.found`), so is what was printed on
stdout and stderr, and ``verify`` must pass with both secrets known to it.
Browser examples are few (a run is seconds); the HTTP paths take more.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openai import OpenAI

from cua_replay.cassette.spellings import CHROMIUM_QUERY
from cua_replay.cassette.store import load_cassette
from cua_replay.cassette.verify import verify
from cua_replay.server import FakeResponsesServer, Scenario
from tests.secrets.common import ascii_secrets, found, found_in_files, secrets
from tests.server.images import data_url, png

ROOT = Path(__file__).resolve().parents[2]
LOOP_EXAMPLES = 3
HTTP_EXAMPLES = 20
NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)
"""A failing run is reported as drawn: shrinking would run Chromium hundreds of times."""
_SAFE_IN_QUERY = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in CHROMIUM_QUERY)
TOOL: Any = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}
HTTP_SETTINGS = settings(
    max_examples=HTTP_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def chromium_query(secret: str) -> str:
    """``secret`` as Chromium spells it in a URL query (``%20``, ``%22``, ``%C3%B6``)."""
    return quote(secret, safe=_SAFE_IN_QUERY)


def scenario(password: str, key: str, *, typed: bool = True) -> Scenario:
    """The shop's order form: the password in the start URL, typed, in reasoning and message.

    Not ``typed``: a click, then the message (two requests in all).
    """
    typing = [{"type": "type", "text": password}] if typed else []
    return Scenario.model_validate(
        {
            "name": "secrets",
            "task": f"Type my shop password {password} into the name field.",
            "start_url": f"https://shop.example/?pw={password}",
            "turns": [
                {
                    "reasoning": f"Typing {password}; the key {key} is not needed.",
                    "actions": [
                        {"type": "click", "button": "left", "x": 172, "y": 74},
                        *typing,
                    ],
                },
                {"message": f"Typed {password}, with api key {key} and password {password}."},
            ],
        }
    )


def assert_nothing_leaked(directory: Path, printed: str, *values: str) -> None:
    assert (directory / "run.json").is_file()
    for value in values:
        assert found_in_files(directory, value) == []
        assert found(printed.encode("utf-8"), value) == []
    report = verify(directory, environ={}, secrets=list(values))
    assert report.ok, [str(f) for f in report.findings]


# -- the loop: cua-replay run --fake, Chromium, a subprocess --------------------------------


@settings(max_examples=LOOP_EXAMPLES, deadline=None, phases=NO_SHRINKING)
@given(secrets(), ascii_secrets(), st.sampled_from(["env", "--redact"]))
@pytest.mark.browser
def test_the_loop_records_and_prints_no_spelling(password: str, key: str, known: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        plan = base / "scenario.json"
        plan.write_text(scenario(password, key).model_dump_json(), "utf-8")
        env = {"PATH": "/usr/bin:/bin", "HOME": temporary, "PYTHONPATH": str(ROOT)}
        args = ["run", "--fake", str(plan), "--record", str(base / "run"), "--api-key", key]
        if known == "env":
            env["SHOP_PASSWORD"] = password
        else:
            args += ["--redact", re.escape(password)]
        result = subprocess.run(
            [sys.executable, "-m", "cua_replay", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        printed = result.stdout + result.stderr
        assert result.returncode == 0, found(printed.encode(), password) or "run failed"
        assert "[redacted]" in result.stdout  # the console masked what it would have shown
        cassette = load_cassette(base / "run")
        typed = [
            a.action["text"] for s in cassette for a in s.actions if a.action["type"] == "type"
        ]
        assert typed == ["[redacted]"]
        urls = [o.url for step in cassette for o in step.observations if o.url]
        assert urls and all(url.endswith("?pw=[redacted]") for url in urls), len(urls)
        assert_nothing_leaked(base / "run", printed, password, key)


# -- the HTTP paths: the real SDK against the fake server -----------------------------------


def converse(client: OpenAI, password: str, key: str, *, stream: bool) -> None:
    """Two requests: the task, then a screenshot whose ``current_url`` holds the password."""
    screenshot = data_url(png())
    first = client.responses.create(
        model="computer-use-preview",
        tools=[TOOL],
        reasoning={"summary": "concise"},
        truncation="auto",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": f"password {password}, key {key}"},
                    {"type": "input_image", "image_url": screenshot, "detail": "auto"},
                ],
            }
        ],
    )
    call = next(item for item in first.output if item.type == "computer_call")
    output: Any = {
        "type": "computer_call_output",
        "call_id": call.call_id,
        "output": {"type": "computer_screenshot", "image_url": screenshot},
        "current_url": f"https://shop.example/?pw={chromium_query(password)}",
    }
    second: Any = {
        "model": "computer-use-preview",
        "tools": [TOOL],
        "previous_response_id": first.id,
        "truncation": "auto",
        "input": [output],
    }
    if stream:
        for _ in client.responses.create(**second, stream=True):
            pass
    else:
        client.responses.create(**second)


Recording = Callable[[Path, FakeResponsesServer, str, str], Iterator[OpenAI]]


@contextmanager
def through_transport(
    directory: Path, server: FakeResponsesServer, password: str, key: str
) -> Iterator[OpenAI]:
    from cua_replay.record.recorder import Recorder, new_manifest
    from cua_replay.record.transport import recording_client

    recorder = Recorder.open(directory, new_manifest(), environ={"SHOP_PASSWORD": password})
    http = recording_client(recorder.exchange)
    with OpenAI(
        base_url=server.urls.openai_base_url, api_key=key, http_client=http, max_retries=0
    ) as client:
        yield client
    recorder.close()


@contextmanager
def through_vcrpy(
    directory: Path, server: FakeResponsesServer, password: str, key: str
) -> Iterator[OpenAI]:
    import vcr  # type: ignore[import-untyped]

    from cua_replay.integrations import vcr as cua_vcr

    recorder = vcr.VCR()
    cua_vcr.register(recorder, environ={"SHOP_PASSWORD": password})
    with (
        recorder.use_cassette(str(directory) + ".yaml"),
        OpenAI(base_url=server.urls.openai_base_url, api_key=key, max_retries=0) as client,
    ):
        yield client


@contextmanager
def through_proxy(
    directory: Path, server: FakeResponsesServer, password: str, key: str
) -> Iterator[OpenAI]:
    from cua_replay.proxy import ProxyApp, ProxyServer

    app = ProxyApp(directory, "all", upstream=server.urls.openai_base_url, secrets=(password,))
    with (
        ProxyServer(app) as proxy,
        OpenAI(base_url=proxy.urls.openai_base_url, api_key=key, max_retries=0) as client,
    ):
        yield client


@pytest.mark.parametrize(
    "recording", [through_transport, through_vcrpy, through_proxy], ids=lambda f: f.__name__
)
@HTTP_SETTINGS
@given(password=secrets(), key=ascii_secrets(), stream=st.booleans())
def test_an_http_path_records_and_prints_no_spelling(
    recording: Recording,
    password: str,
    key: str,
    stream: bool,
    capfd: pytest.CaptureFixture[str],
) -> None:
    capfd.readouterr()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary) / "run"
        with (
            FakeResponsesServer(scenario(password, key, typed=False)) as server,
            recording(directory, server, password, key) as client,
        ):
            converse(client, password, key, stream=stream)
        cassette = load_cassette(directory)
        assert len(cassette) == 2
        assert "?pw=[redacted]" in json.dumps(cassette.request(2))
        log = (directory / "steps.jsonl").read_text("utf-8")
        assert "Typed [redacted], with api key [redacted] and password [redacted]." in log
        printed = capfd.readouterr()
        assert_nothing_leaked(directory, printed.out + printed.err, password, key)
