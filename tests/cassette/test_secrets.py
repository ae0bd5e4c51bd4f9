"""Secrets never reach the disk: canaries everywhere a run can carry them, then every byte scanned.

Five canaries (an OpenAI key, a bearer token, an Azure api-key, an Azure AD
token that looks like a JWT, a typed password) are put in every place a
recorded run can meet them:

* the environment (``OPENAI_API_KEY``, ``AZURE_OPENAI_API_KEY``,
  ``AZURE_OPENAI_AD_TOKEN``, a custom ``MY_SERVICE_TOKEN``, ``SHOP_PASSWORD``)
  and the ``--api-key`` flag (with the variable unset: only what the recorder
  learns from the settings and the wire protects it then);
* the task text, and the model's reasoning summaries and final message;
* the start URL's query, which the agent comes back to with a ``back`` click,
  so it travels as ``current_url`` too;
* a ``type`` action typing the password, into a field that shows it in clear
  and into a password field;
* the fake server's error messages (a scripted 500 whose message carries
  them, retried by the SDK, or not, so its body is recorded; a wrong key,
  which the server echoes masked);
* response headers (kept ones such as ``x-request-id`` and dropped ones such
  as ``set-cookie``).

Runs are recorded with ``cua-replay run --record`` in subprocesses (openai
and azure, with a key from the environment or the flag, and an AD token;
streamed and not; chained and full history) against fake servers of this
process, and once through the vcrpy adapter. Then every
file under each cassette directory is read whole and searched for every
canary, raw, base64-encoded (at the three alignments), URL-encoded and in
every spelling redaction lists, and ``cua-replay verify`` must pass with the
canaries in its environment; what each run printed (stdout and stderr) holds
none either. A negative control plants a canary by hand and ``verify`` must fail.

Pixels are not text: a typed password shown in clear (the order form's name
field) is in the screenshots and no byte scan finds it. ``--mask`` paints a
rectangle black before a screenshot is stored; one run shows it does.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, quote_plus

import pytest
from PIL import Image
from typer.testing import CliRunner

from cua_replay.cassette.format import MANIFEST_NAME, STEPS_NAME
from cua_replay.cassette.leaks import on_disk
from cua_replay.cassette.redact import MARKER
from cua_replay.cassette.store import Cassette, load_cassette
from cua_replay.cli.main import app
from cua_replay.server import FakeResponsesServer, Scenario

OPENAI_KEY = "sk-canaryOpenAIKey0123456789abcdefXYZ"
BEARER = "cbt-canary-bearer-7f3a9c2e1d5b4a"
AZURE_KEY = "azcanary0f1e2d3c4b5a69788796a5b4c3d"
AD_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJjYW5hcnkiOiJhenVyZS1hZC10b2tlbiJ9"
    ".Q2FuYXJ5U2lnbmF0dXJlMDEyMzQ1Njc4OQ"
)
PASSWORD = "Canary-Pa55word-9431"
CANARIES = {
    "openai key": OPENAI_KEY,
    "bearer token": BEARER,
    "azure key": AZURE_KEY,
    "azure ad token": AD_TOKEN,
    "password": PASSWORD,
}
ENVIRONMENT = {
    "OPENAI_API_KEY": OPENAI_KEY,
    "AZURE_OPENAI_API_KEY": AZURE_KEY,
    "AZURE_OPENAI_AD_TOKEN": AD_TOKEN,
    "MY_SERVICE_TOKEN": BEARER,
    "SHOP_PASSWORD": PASSWORD,
}
"""Every canary under a name the recorder (and ``verify``) treats as secret."""
CREDENTIALS = ("OPENAI_BASE_URL", "CUA_REPLAY_PROVIDER", "CUA_REPLAY_MODEL", "OPENAI_API_VERSION")
"""Also kept out of the runs' environment: they would change where and how a run connects."""
ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 4
WRONG_KEY_SERVER = "sk-the-server-wants-another-key-0000"

TASK = (
    f"Open the order form and type my shop password {PASSWORD} in both fields. My OpenAI "
    f"key is {OPENAI_KEY}, my Azure key {AZURE_KEY}, my Entra token {AD_TOKEN}; the shop "
    f"API wants Authorization: Bearer {BEARER}."
)
START_URL = (
    f"https://shop.example/?token={AZURE_KEY}&jwt={AD_TOKEN}&key={OPENAI_KEY}"
    f"&auth={BEARER}&pw={PASSWORD}"
)
NAME_FIELD = (60, 55, 230, 40)
"""The order form's name input (a text field: what is typed shows in clear), with a margin."""
MASK = ",".join(str(v) for v in NAME_FIELD)

SCENARIO = Scenario.model_validate(
    {
        "name": "canaries",
        "task": TASK,
        "start_url": START_URL,
        "turns": [
            {
                "reasoning": f"Opening the order form; {OPENAI_KEY} is not needed for that.",
                "actions": [{"type": "click", "button": "left", "x": 100, "y": 201}],
            },
            {
                "reasoning": f"Typing the password into the name field, as Bearer {BEARER} asks.",
                "actions": [
                    {"type": "click", "button": "left", "x": 172, "y": 74},
                    {"type": "type", "text": PASSWORD},
                ],
                "fault": {
                    "kind": "http",
                    "status": 500,
                    "retry_after_ms": 1,
                    "message": (
                        f"upstream refused Bearer {BEARER} with api-key {AZURE_KEY}, "
                        f"token {AD_TOKEN}, key {OPENAI_KEY}, password {PASSWORD}"
                    ),
                },
            },
            {
                "actions": [
                    {"type": "click", "button": "left", "x": 200, "y": 106},
                    {"type": "type", "text": PASSWORD},
                ],
            },
            {
                "reasoning": f"Going back to {START_URL}.",
                "actions": [{"type": "click", "button": "back", "x": 10, "y": 10}],
            },
            {"message": f"Done: {PASSWORD} typed; {AD_TOKEN} and {AZURE_KEY} kept safe."},
        ],
    }
)


def _unretried(scenario: Scenario) -> Scenario:
    """``scenario`` with its fault not retried: the run stops there, the error recorded."""
    turns = list(scenario.turns)
    fault = turns[1].fault
    assert fault is not None
    turns[1] = turns[1].model_copy(
        update={"fault": fault.model_copy(update={"should_retry": False})}
    )
    return scenario.model_copy(update={"name": f"{scenario.name}-failing", "turns": tuple(turns)})


FAILING = _unretried(SCENARIO)
"""As :data:`SCENARIO`, but the 500 whose message carries every canary is not retried."""
STEPS = 7
"""Responses in a complete run of :data:`SCENARIO` with the preview tool."""


def secret_headers(request_id: str) -> dict[str, str]:
    """Response headers carrying canaries: some the recorder keeps (scrubbed), some it drops."""
    return {
        "x-request-id": f"{request_id}-{BEARER}",
        "openai-model": AD_TOKEN,
        "x-ratelimit-limit-requests": AZURE_KEY,
        "x-ratelimit-remaining-tokens": OPENAI_KEY,
        "set-cookie": f"session={PASSWORD}",
        "x-canary": f"{OPENAI_KEY} {AZURE_KEY}",
    }


@contextlib.contextmanager
def fake_server(
    scenario: Scenario = SCENARIO, *, api_key: str | None = None
) -> Iterator[FakeResponsesServer]:
    """The fake server playing ``scenario``, its every response carrying canary headers."""
    server = FakeResponsesServer(scenario, api_key=api_key)
    headers = server.app._headers

    def with_secrets(request_id: str) -> dict[str, str]:
        return {**headers(request_id), **secret_headers(request_id)}

    server.app._headers = with_secrets  # type: ignore[method-assign]
    with server:
        yield server


@dataclass(frozen=True)
class Case:
    """One recorded run: the provider, where its credential comes from, and how it runs."""

    name: str
    provider: Literal["openai", "azure"]
    credential: Literal["env", "flag", "ad-token"]
    stream: bool
    history: Literal["chain", "full"]
    password: Literal["redact", "env"] = "redact"
    """How the recorder knows the typed password: ``--redact REGEX`` or ``SHOP_PASSWORD``."""
    mask: bool = False
    wrong_key: bool = False
    """The server wants another key: the run stops at its first request with a 401."""
    scenario: Scenario = SCENARIO

    def environ(self) -> dict[str, str | None]:
        """The canary variables for this run; ``None`` unsets one."""
        env: dict[str, str | None] = dict(ENVIRONMENT)
        if self.password == "redact":
            env["SHOP_PASSWORD"] = None
        if self.provider == "azure" and self.credential != "ad-token":
            env["AZURE_OPENAI_AD_TOKEN"] = None  # else the token wins over the key
        if self.credential == "flag":
            env["OPENAI_API_KEY" if self.provider == "openai" else "AZURE_OPENAI_API_KEY"] = None
        return env

    def args(self, server: FakeResponsesServer, directory: Path) -> list[str]:
        args = ["run", TASK, "--start-url", START_URL, "--model", "computer-use-preview"]
        args += ["--tool", "preview", "--safety", "deny", "--history", self.history]
        args += ["--record", str(directory)]
        if self.stream:
            args.append("--stream")
        if self.provider == "openai":
            args += ["--base-url", server.urls.openai_base_url]
        else:
            args += ["--provider", "azure", "--azure-endpoint", server.urls.azure_endpoint]
            args += ["--api-version", "2025-03-01-preview"]
        if self.credential == "flag":
            args += ["--api-key", OPENAI_KEY if self.provider == "openai" else AZURE_KEY]
        if self.password == "redact":
            args += ["--redact", re.escape(PASSWORD)]
        if self.mask:
            args += ["--mask", MASK]
        return args


CASES = [
    Case("openai-env-chain", "openai", "env", stream=False, history="chain"),
    Case("openai-flag-stream-full-masked", "openai", "flag", True, "full", mask=True),
    Case("azure-key-env-stream-chain", "azure", "env", stream=True, history="chain"),
    Case("azure-key-flag-full", "azure", "flag", stream=False, history="full", password="env"),
    Case(
        "azure-ad-token-stream-full-server-error",
        "azure",
        "ad-token",
        stream=True,
        history="full",
        password="env",
        scenario=FAILING,
    ),
    Case("openai-wrong-key", "openai", "env", stream=False, history="chain", wrong_key=True),
]
runner = CliRunner()


def _record(case: Case, directory: Path) -> None:
    """``cua-replay run --record`` in a subprocess, against a fake server of this process."""
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT and k not in CREDENTIALS}
    env.update({k: v for k, v in case.environ().items() if v is not None})
    with fake_server(case.scenario, api_key=WRONG_KEY_SERVER if case.wrong_key else None) as server:
        result = subprocess.run(
            [sys.executable, "-m", "cua_replay", *case.args(server, directory)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    expected = 1 if case.wrong_key or case.scenario is FAILING else 0
    assert result.returncode == expected, (case.name, result.returncode)
    printed = (result.stdout + result.stderr).encode("utf-8")
    shown = [
        f"{name} ({spelling})"
        for name, secret in CANARIES.items()
        for spelling, needle in spellings(secret).items()
        if needle in printed
    ]
    assert shown == [], f"{case.name} printed {shown}"  # the console masks as the cassette does
    assert case.wrong_key or MARKER in result.stdout  # a wrong key stops before any is shown


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case recorded once, a few at a time (each run is a process with its Chromium)."""
    base = tmp_path_factory.mktemp("secrets")
    found = {case.name: base / case.name for case in CASES}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for future in [pool.submit(_record, case, found[case.name]) for case in CASES]:
            future.result()
    return found


# -- the scan ----------------------------------------------------------------------------


def spellings(secret: str) -> dict[str, bytes]:
    """The secret as bytes, URL-encoded, JSON-escaped, and base64 at each of the 3 alignments,
    and every spelling redaction and ``verify`` list (:func:`~cua_replay.cassette.leaks.on_disk`).

    A base64 encoding depends on where the secret starts in the encoded data:
    for each offset, the characters that only the secret's bytes determine.
    """
    raw = secret.encode("utf-8")
    found = {
        "raw": raw,
        "url-encoded": quote(secret, safe="").encode(),
        "url-encoded+": quote_plus(secret).encode(),
        "json": json.dumps(secret)[1:-1].encode(),
    }
    for shift in range(3):
        size = shift + len(raw)
        encoded = base64.b64encode(b"\0" * shift + raw)
        stable = encoded[(0, 2, 3)[shift] : size // 3 * 4]
        found[f"base64@{shift}"] = stable
        found[f"base64url@{shift}"] = stable.replace(b"+", b"-").replace(b"/", b"_")
    found.update({f"listed #{i}": needle for i, needle in enumerate(on_disk(secret))})
    return found


def leaks(directory: Path) -> tuple[list[str], int]:
    """Every (file, canary, spelling) found under ``directory``, and how many files were read."""
    found: list[str] = []
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    for path in files:
        data = path.read_bytes()
        for name, secret in CANARIES.items():
            for spelling, needle in spellings(secret).items():
                if needle in data:
                    where = data.find(needle)
                    found.append(f"{path.relative_to(directory)}@{where}: {name} ({spelling})")
    return found, len(files)


def test_the_spellings_find_what_they_should() -> None:
    text = (
        b"x"
        + base64.b64encode(b"ab" + PASSWORD.encode())
        + b" ?pw="
        + quote_plus(AD_TOKEN).encode()
    )
    assert spellings(PASSWORD)["base64@2"] in text
    assert spellings(AD_TOKEN)["url-encoded+"] in text
    assert all(len(needle) >= 16 for s in CANARIES.values() for needle in spellings(s).values())


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_no_canary_in_any_byte_of_the_cassette(name: str, recordings: dict[str, Path]) -> None:
    found, files = leaks(recordings[name])
    assert found == []
    assert files >= 3  # run.json, steps.jsonl and at least one blob


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_verify_finds_no_secret_with_the_canaries_in_its_environment(
    name: str, recordings: dict[str, Path]
) -> None:
    result = runner.invoke(app, ["verify", str(recordings[name])], env=dict(ENVIRONMENT))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "name", [case.name for case in CASES if not case.wrong_key and case.scenario is SCENARIO]
)
def test_the_canaries_went_through_every_position_and_were_redacted_there(
    name: str, recordings: dict[str, Path]
) -> None:
    """The scan is not vacuous: each place that carried a canary holds the marker instead."""
    cassette = load_cassette(recordings[name])
    assert cassette.complete and len(cassette) == STEPS
    assert cassette.stop is not None and cassette.stop.reason == "completed"
    manifest = (recordings[name] / MANIFEST_NAME).read_text("utf-8")
    assert cassette.manifest.task is not None and cassette.manifest.task.count(MARKER) == 5
    assert cassette.manifest.start_url is not None and MARKER in cassette.manifest.start_url
    assert MARKER in manifest
    typed = [
        a.action["text"] for step in cassette for a in step.actions if a.action["type"] == "type"
    ]
    assert typed == [MARKER, MARKER]
    urls = [o.url for step in cassette for o in step.observations if o.url]
    assert any(f"?token={MARKER}" in url for url in urls), urls
    reasoning = [text for step in cassette for text in step.reasoning or []]
    assert sum(MARKER in text for text in reasoning) == 3, reasoning
    assert MARKER in (cassette.stop.final_message or "")
    assert MARKER in (cassette.steps[-1].message or "")
    requests = json.dumps([cassette.request(n) for n in range(1, len(cassette) + 1)])
    assert f"?token={MARKER}" in requests  # current_url, after the back click
    _assert_http_recorded(cassette)


def _assert_http_recorded(cassette: Cassette) -> None:
    """Headers kept and scrubbed, dropped ones gone, and the 500 the SDK retried recorded."""
    http = [step.http for step in cassette if step.http is not None]
    assert len(http) == STEPS, "the recording transport recorded every exchange"
    for record in http:
        assert record.headers.get("openai-model") == MARKER
        assert MARKER in record.headers["x-request-id"]
        assert "set-cookie" not in record.headers and "x-canary" not in record.headers
    attempts = [attempt for record in http for attempt in record.attempts]
    assert [attempt.status for attempt in attempts] == [500]


def test_a_wrong_key_is_echoed_masked_by_the_server_and_not_recorded_whole(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["openai-wrong-key"])
    assert cassette.stop is not None and cassette.stop.reason == "error"
    log = (recordings["openai-wrong-key"] / STEPS_NAME).read_text("utf-8")
    assert "Incorrect API key provided" in log
    masked = OPENAI_KEY[:3] + "*" * (len(OPENAI_KEY) - 7) + OPENAI_KEY[-4:]
    assert masked in log  # what the service shows of a key: never the key


def test_an_error_message_full_of_canaries_is_recorded_redacted(
    recordings: dict[str, Path],
) -> None:
    cassette = load_cassette(recordings["azure-ad-token-stream-full-server-error"])
    assert cassette.stop is not None and cassette.stop.reason == "error"
    failed = cassette.steps[-1]
    assert failed.step == 2 and failed.http is not None and failed.http.status == 500
    body = json.dumps(failed.http.body)
    assert "upstream refused" in body
    assert body.count(MARKER) >= 4, body
    assert "upstream refused" in (failed.error or "")


# -- masks: pixels are not text ------------------------------------------------------------


def _region(png: bytes, rect: tuple[int, int, int, int]) -> Image.Image:
    x, y, w, h = rect
    return Image.open(io.BytesIO(png)).convert("RGB").crop((x, y, x + w, y + h))


def _screenshots(cassette: Cassette) -> list[bytes]:
    return [cassette.blob(o.screenshot) for step in cassette for o in step.observations]


def test_a_password_typed_in_clear_shows_in_screenshots_unless_masked(
    recordings: dict[str, Path],
) -> None:
    clear = _screenshots(load_cassette(recordings["openai-env-chain"]))
    regions = {_region(png, NAME_FIELD).tobytes() for png in clear}
    assert len(regions) > 1, "typing into the name field changes what the screenshots show"
    masked = _screenshots(load_cassette(recordings["openai-flag-stream-full-masked"]))
    assert len(masked) >= STEPS
    for png in masked:
        assert _region(png, NAME_FIELD).getextrema() == ((0, 0), (0, 0), (0, 0))
    manifest = json.loads(
        (recordings["openai-flag-stream-full-masked"] / MANIFEST_NAME).read_text("utf-8")
    )
    assert manifest["redaction"]["mask"] == [list(NAME_FIELD)]


# -- negative control: the scan works ------------------------------------------------------


@pytest.mark.parametrize("canary", list(CANARIES))
def test_verify_fails_on_a_canary_planted_by_hand(
    canary: str, recordings: dict[str, Path], tmp_path: Path
) -> None:
    """Redaction bypassed on purpose: a canary written into the log makes verify exit 1."""
    directory = tmp_path / "leaky"
    shutil.copytree(recordings["openai-env-chain"], directory)
    log = directory / STEPS_NAME
    text = log.read_text("utf-8")
    assert MARKER in text
    log.write_text(text.replace(MARKER, CANARIES[canary], 1), "utf-8")
    assert leaks(directory)[0] != []
    result = runner.invoke(app, ["verify", str(directory)], env=dict(ENVIRONMENT))
    assert result.exit_code == 1, result.output
    assert "secret" in result.output
    assert CANARIES[canary] not in result.output  # the report names a leak by a mask, not its value


# -- the vcrpy adapter ------------------------------------------------------------------------


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 220, 240)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_the_vcrpy_adapter_records_no_canary_either(tmp_path: Path) -> None:
    import vcr  # type: ignore[import-untyped]
    from openai import OpenAI

    from cua_replay.cassette.redact import RedactionPolicy
    from cua_replay.integrations import vcr as cua_vcr

    recorder = vcr.VCR()
    policy = RedactionPolicy(patterns=(re.escape(PASSWORD),))
    cua_vcr.register(recorder, policy=policy, environ=ENVIRONMENT)
    tool: Any = {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    }
    task: Any = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": TASK},
                {"type": "input_image", "image_url": _png(), "detail": "auto"},
            ],
        }
    ]
    with fake_server() as server, recorder.use_cassette(str(tmp_path / "canaries.yaml")):
        client = OpenAI(base_url=server.urls.openai_base_url, api_key=OPENAI_KEY)
        first = client.responses.create(
            model="computer-use-preview",
            tools=[tool],
            reasoning={"summary": "concise"},
            truncation="auto",
            input=task,
        )
        call = next(item for item in first.output if item.type == "computer_call")
        output: Any = [
            {
                "type": "computer_call_output",
                "call_id": call.call_id,
                "output": {"type": "computer_screenshot", "image_url": _png()},
                "current_url": START_URL,
            }
        ]
        client.responses.create(  # the scenario's 500 (message full of canaries), then a retry
            model="computer-use-preview",
            tools=[tool],
            previous_response_id=first.id,
            truncation="auto",
            input=output,
        )
        client.close()
    directory = tmp_path / "canaries"
    cassette = load_cassette(directory)
    assert len(cassette) >= 2
    assert f"?token={MARKER}&" in json.dumps(cassette.request(2))
    assert [a.status for a in cassette.steps[1].http.attempts] == [500]  # type: ignore[union-attr]
    found, files = leaks(directory)
    assert found == []
    assert files >= 3
    result = runner.invoke(app, ["verify", str(directory)], env=dict(ENVIRONMENT))
    assert result.exit_code == 0, result.output
