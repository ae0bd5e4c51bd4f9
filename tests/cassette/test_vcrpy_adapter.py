"""The vcrpy adapter: vcrpy records and replays, the cassette on disk is ours.

Recorded for real (the SDK over loopback HTTP to the fake server, under
vcrpy's own patching), then replayed with ``record_mode="none"`` after the
server has stopped: the outputs must be the same, the directory must load as a
cua-replay cassette (blobs, no inline image), body matching must hold with the
filter and miss on a changed screenshot, the filter must be idempotent, and no
credential the client used may be found in any byte the cassette wrote.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from hypothesis import example, given
from hypothesis import strategies as st
from openai import AsyncOpenAI, AzureOpenAI, OpenAI
from openai.lib.computer import AsyncComputerToolset, ComputerToolset
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request

from cua_replay.cassette import load_cassette
from cua_replay.cassette.canonical import blob_refs, canonicalize
from cua_replay.errors import InvalidCassette
from cua_replay.executors.playwright import PlaywrightExecutor
from cua_replay.executors.sdk_driver import SDKComputerDriver
from cua_replay.geometry import Viewport
from cua_replay.integrations import vcr as cua_vcr
from cua_replay.record import Recorder, new_manifest
from cua_replay.server import FakeResponsesServer, Scenario, load_scenario
from tests.conftest import BrowserHarness
from tests.server.images import data_url, png

TOOLS: list[dict[str, Any]] = [
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    }
]
CLICK = {"type": "click", "button": "left", "x": 10, "y": 10}
SCREEN = data_url(png(4, 3))
OTHER_SCREEN = data_url(png(5, 3))
CANARY_KEY = "canary-api-key-77aa66bb55cc"
CANARY_TOKEN = "canary-entra-token-44dd33ee22"
ENV_SECRET = "env-secret-value-31415926"

_OPENED: list[OpenAI] = []


def opened(client: OpenAI) -> OpenAI:
    """``client``, closed after the test: no pooled socket outlives its server."""
    _OPENED.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


FORM = load_scenario("form")


def clicks(*, fault: dict[str, Any] | None = None, task: str = "Click it twice.") -> Scenario:
    turns: list[dict[str, Any]] = [
        {"reasoning": "Clicking.", "actions": [CLICK]},
        {"reasoning": "Once more.", "actions": [CLICK]},
        {"message": "Done."},
    ]
    if fault is not None:
        turns[0]["fault"] = fault
    return Scenario.model_validate({"name": "clicks", "task": task, "turns": turns})


def new_vcr() -> vcr.VCR:
    instance = vcr.VCR()
    cua_vcr.register(instance, environ={})
    return instance


def cassette(
    instance: vcr.VCR, path: Path, mode: str, **options: Any
) -> Any:  # a vcrpy context manager
    return instance.use_cassette(
        str(path), record_mode=mode, **{**cua_vcr.vcr_config(environ={}), **options}
    )


def loop(
    client: OpenAI,
    *,
    stream: bool = False,
    task: str = "Click it twice.",
    screens: Callable[[int], str] = lambda step: SCREEN,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """A plain client loop (previous_response_id): each response, up to ``limit`` of them."""
    outputs: list[dict[str, Any]] = []
    previous: Any = None
    while len(outputs) < limit and (
        previous is None or any(item.type == "computer_call" for item in previous.output)
    ):
        params: dict[str, Any] = {
            "model": "computer-use-preview",
            "tools": TOOLS,
            "truncation": "auto",
            "input": task,
        }
        if previous is not None:
            (call,) = [item for item in previous.output if item.type == "computer_call"]
            screenshot = {"type": "computer_screenshot", "image_url": screens(len(outputs))}
            params["previous_response_id"] = previous.id
            params["input"] = [
                {"type": "computer_call_output", "call_id": call.call_id, "output": screenshot}
            ]
        if stream:
            with client.responses.stream(**params) as events:
                for _ in events:
                    pass
                previous = events.get_final_response()
        else:
            previous = client.responses.create(**params)
        outputs.append(previous.model_dump(mode="json", exclude_none=True))
    return outputs


def every_byte(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def check_our_format(directory: Path, steps: int) -> None:
    loaded = load_cassette(directory)
    assert loaded.manifest.recorder == "vcrpy" and loaded.complete
    assert len(loaded.steps) == steps
    refs = [ref for step in loaded for ref in blob_refs(loaded.request(step.step))]
    assert refs, "the screenshots are blob references"
    blobs = dict(loaded.blobs)
    assert blobs and all(path.is_file() for path in blobs.values())
    assert "data:image" not in (directory / "steps.jsonl").read_text()
    assert not list(directory.parent.glob(f".{directory.name}.*")), "no staging left behind"


# -- record, stop the server, replay ---------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("mode", ["once", "all"])
def test_a_client_loop_replays_offline_from_our_format(
    tmp_path: Path, mode: str, stream: bool
) -> None:
    instance = new_vcr()
    path = tmp_path / "cassettes" / "loop.yaml"
    fault = {"kind": "http", "status": 429, "retry_after": 0.01}
    # "all" records twice, each time against a fresh server on the same port (so the
    # 429 comes again): re-recording replaces the interactions, it never adds to them.
    port = 0
    for _ in range(2 if mode == "all" else 1):
        with FakeResponsesServer(clicks(fault=fault), port=port) as server:
            port = int(server.urls.openai_base_url.rsplit(":", 1)[1].split("/")[0])
            client = opened(OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test"))
            with cassette(instance, path, mode):
                recorded = loop(client, stream=stream)
            assert [record.status for record in server.state.log] == [429, 200, 200, 200]
    directory = tmp_path / "cassettes" / "loop"
    check_our_format(directory, steps=3)
    loaded = load_cassette(directory)
    assert [a.status for a in loaded.steps[0].http.attempts] == [429]  # type: ignore[union-attr]
    if stream:
        assert all(step.events and step.events[-1].event == "response.completed" for step in loaded)
    with cassette(instance, path, "none") as played:
        replayed = loop(client, stream=stream)
    assert replayed == recorded
    assert played.play_count == 4 and played.all_played  # the 429, then three answers


def test_a_changed_screenshot_does_not_match(tmp_path: Path) -> None:
    instance = new_vcr()
    path = tmp_path / "loop.yaml"
    with FakeResponsesServer(clicks()) as server:
        client = opened(
            OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        )
        with cassette(instance, path, "once"):
            recorded = loop(client)
    with cassette(instance, path, "none"):
        assert loop(client) == recorded  # the same screenshots match by body
    with (
        cassette(instance, path, "none"),
        pytest.raises(CannotOverwriteExistingCassetteException) as caught,
    ):
        loop(client, screens=lambda step: OTHER_SCREEN if step == 2 else SCREEN)
    assert caught.value.reason == "no_match"
    (_, _, failed), *_ = caught.value.similar_requests
    assert [name for name, _ in failed] == ["body"]
    assert len(str(caught.value)) < 20_000, "a body is a few KB: the report stays readable"


def test_the_sync_computer_toolset_replays_offline(tmp_path: Path) -> None:
    instance = new_vcr()
    path = tmp_path / "toolset.yaml"

    def run(client: OpenAI) -> tuple[str, list[dict[str, Any]]]:
        driver = FixedScreen()
        response = ComputerToolset(driver).run(
            client, {"model": "gpt-5.4", "input": FORM.task, "store": False}
        )
        return response.output_text, driver.actions

    with FakeResponsesServer(FORM) as server:
        client = opened(
            OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        )
        with cassette(instance, path, "once"):
            recorded = run(client)
    assert recorded[0] == FORM.turns[-1].message
    check_our_format(tmp_path / "toolset", steps=len(FORM.turns))
    with cassette(instance, path, "none"):
        assert run(client) == recorded


@pytest.mark.browser
def test_the_async_toolset_on_the_real_executor_replays_offline(
    browser: BrowserHarness, tmp_path: Path
) -> None:
    instance = new_vcr()
    path = tmp_path / "form.yaml"

    async def run(base_url: str) -> tuple[str, str | None, str]:
        context = await browser.sandbox.browser.new_context(viewport={"width": 1024, "height": 768})
        try:
            await browser.sandbox.site.install(context)
            page = await context.new_page()
            await page.goto(FORM.start_url)
            executor = PlaywrightExecutor(page)
            driver = SDKComputerDriver(executor, Viewport(1024, 768))
            async with AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client:
                response = await AsyncComputerToolset(driver).run(
                    client, {"model": "gpt-5.4", "input": FORM.task}
                )
            result = await page.locator("#result").text_content()
            return response.output_text, result, executor.current_url
        finally:
            await context.close()

    with FakeResponsesServer(FORM) as server:
        base_url = server.urls.openai_base_url
        with cassette(instance, path, "once"):
            recorded = browser.run(run(base_url))
    assert recorded[1] == FORM.done.text["#result"]
    check_our_format(tmp_path / "form", steps=len(FORM.turns))
    # Real screenshots of the same states: the bodies, images included, match again.
    with cassette(instance, path, "none") as played:
        assert browser.run(run(base_url)) == recorded
    assert played.all_played


# -- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["openai_key", "api_key", "azure_ad_token"])
def test_no_credential_reaches_any_byte_of_the_cassette(
    tmp_path: Path, credential: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canaries no built-in pattern matches: only the filter's stripping and learning
    # keep them out. The task carries the credential and an environment secret too.
    monkeypatch.setenv("CUA_TEST_PASSWORD", ENV_SECRET)
    secret = CANARY_TOKEN if credential == "azure_ad_token" else CANARY_KEY
    task = f"Click it twice. (debug: {secret}, {ENV_SECRET})"
    instance = vcr.VCR()
    cua_vcr.register(instance)  # redaction from os.environ
    path = tmp_path / "secret.yaml"
    with FakeResponsesServer(clicks(task=task), api_key=secret) as server:
        client: OpenAI = opened(
            OpenAI(base_url=server.urls.openai_base_url, api_key=secret)
            if credential == "openai_key"
            else AzureOpenAI(
                azure_endpoint=server.urls.azure_endpoint,
                api_version="2025-03-01-preview",
                **{credential: secret},
            )
        )
        with instance.use_cassette(str(path), **cua_vcr.vcr_config()):
            recorded = loop(client, task=task, stream=credential == "api_key")
    everything = every_byte(tmp_path / "secret")
    assert secret.encode() not in everything
    assert ENV_SECRET.encode() not in everything
    assert b"[redacted]" in everything
    with instance.use_cassette(str(path), record_mode="none", **cua_vcr.vcr_config()):
        assert loop(client, task=task, stream=credential == "api_key") == recorded


# -- the filter ------------------------------------------------------------------------------

SPECIAL = [
    SCREEN,
    OTHER_SCREEN,
    "data:image/png;base64,!!not base64",
    "data:text/plain;base64,QQ==",
    CANARY_KEY,
    f"Bearer {CANARY_TOKEN}",
    ENV_SECRET,
    "[redacted]",
    "sk-" + "a" * 20,
    "",
]
LEAVES = st.one_of(
    st.sampled_from(SPECIAL),
    st.binary(max_size=64).map(lambda data: data_url(data)),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
KEYS = st.text(max_size=8) | st.sampled_from([CANARY_KEY, ENV_SECRET, "[redacted]", "image_url"])
JSON = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
HEADERS = st.dictionaries(
    st.sampled_from(
        ["authorization", "Api-Key", "content-type", "Cookie", "x-request-id", "content-length"]
    ),
    st.sampled_from([f"Bearer {CANARY_TOKEN}", CANARY_KEY, "application/json", "12", ENV_SECRET]),
)
QUERY = st.sampled_from(["", "?api-version=2025-03-01-preview", f"?sig={CANARY_KEY}&x=1", "?a=b+c"])


def string_values(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [v for child in obj.values() for v in string_values(child)]
    if isinstance(obj, list):
        return [v for child in obj for v in string_values(child)]
    return [obj] if isinstance(obj, str) else []


def state(request: Any) -> tuple[Any, ...]:
    return request.method, request.uri, request.body, sorted(request.headers.items())


@given(body=JSON, headers=HEADERS, query=QUERY, raw=st.booleans())
@example(body={SCREEN: [SCREEN]}, headers={}, query="", raw=False)  # keys are not images
@example(body={CANARY_KEY: None}, headers={"authorization": CANARY_KEY}, query="", raw=True)
def test_the_request_filter_is_idempotent_and_keeps_no_image_or_credential(
    body: Any, headers: dict[str, str], query: str, raw: bool
) -> None:
    filt = cua_vcr.RequestFilter(environ={"CUA_TEST_TOKEN": ENV_SECRET}, cache=cua_vcr.BlobCache())
    payload = json.dumps(body).encode() if not raw else b"not json " + json.dumps(body).encode()
    request = Request("POST", "http://127.0.0.1:9/v1/responses" + query, payload, headers)
    once = filt(copy.deepcopy(request))
    twice = filt(copy.deepcopy(once))
    assert state(twice) == state(once)
    around = once.uri + json.dumps(sorted(once.headers.items()))
    assert CANARY_TOKEN not in around and ENV_SECRET not in around
    credentials = {v for k, v in headers.items() if k.lower() in ("authorization", "api-key")}
    if CANARY_KEY in credentials:  # a credential's value, once learned, is scrubbed everywhere
        assert CANARY_KEY not in around + once.body.decode(errors="replace")
    assert not {"authorization", "api-key", "cookie"} & {k.lower() for k in once.headers}
    text = once.body.decode()
    assert CANARY_TOKEN not in text and ENV_SECRET not in text
    if not raw:  # every image value became a reference (keys are names, left alone)
        assert all(canonicalize(value) == value for value in string_values(json.loads(text)))


def test_the_filter_keeps_the_image_bytes_for_the_persister() -> None:
    cache = cua_vcr.BlobCache()
    filt = cua_vcr.RequestFilter(environ={}, cache=cache)
    body = json.dumps({"input": [{"image_url": SCREEN}]}).encode()
    filtered = filt(Request("POST", "http://h/v1/responses", body, {}))
    (ref,) = re.findall(r"sha256:[0-9a-f]{64}", filtered.body.decode())
    assert cache.get(ref) == png(4, 3)
    assert json.loads(filtered.body)["input"][0]["image_url"]["bytes"] == len(png(4, 3))


# -- the persister's edges -------------------------------------------------------------------


def test_a_missing_cassette_is_vcrpys_not_found(tmp_path: Path) -> None:
    assert cua_vcr.cassette_directory(tmp_path / "a" / "b.yaml") == tmp_path / "a" / "b"
    assert cua_vcr.cassette_directory(tmp_path / "b.json") == tmp_path / "b"
    assert cua_vcr.cassette_directory(tmp_path / "b") == tmp_path / "b"
    with pytest.raises(CassetteNotFoundError):
        cua_vcr.CassettePersister.load_cassette(tmp_path / "nothing.yaml", None)


def test_a_cassette_recorded_without_vcrpy_is_refused_with_advice(tmp_path: Path) -> None:
    Recorder.open(tmp_path / "plain", new_manifest(), environ={}).close()
    with pytest.raises(InvalidCassette, match="not through vcrpy"):
        cua_vcr.CassettePersister.load_cassette(tmp_path / "plain.yaml", None)


def test_new_episodes_keeps_the_recorded_steps_and_their_blobs(tmp_path: Path) -> None:
    instance = new_vcr()
    path = tmp_path / "grow.yaml"
    with FakeResponsesServer(clicks()) as server:
        client = opened(
            OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        )
        with cassette(instance, path, "once"):
            first = loop(client, limit=2)
        cua_vcr.BLOB_CACHE.clear()  # the recorded screenshot is on disk only now
        with cassette(instance, path, "new_episodes") as growing:
            grown = loop(client)
        assert growing.play_count == 2  # played back, then recorded on
    assert grown[:2] == first and len(grown) == 3
    check_our_format(tmp_path / "grow", steps=3)
    with cassette(instance, path, "none"):
        assert loop(client) == grown


def test_metadata_round_trips(tmp_path: Path) -> None:
    instance = new_vcr()
    path = tmp_path / "meta.yaml"
    with cassette(instance, path, "once") as recording:
        assert recording.get_metadata("seed", 42) == 42
    with cassette(instance, path, "none") as replaying:
        assert replaying.get_metadata("seed", 0) == 42


class FixedScreen:
    """A sync ComputerDriver that notes each action and always shows the same screen."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def _do(self, action: Any) -> None:
        self.actions.append(action.model_dump(exclude_none=True))

    click = double_click = drag = keypress = move = scroll = type = wait = _do

    def screenshot(self) -> dict[str, str]:
        return {"type": "computer_screenshot", "image_url": SCREEN}


def test_async_clients_record_and_replay(tmp_path: Path) -> None:
    instance = new_vcr()
    path = tmp_path / "async.yaml"

    async def run(base_url: str) -> str:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
        request = {"model": "m", "tools": TOOLS, "input": "Click it twice.", "truncation": "auto"}
        async with client, client.responses.stream(**request) as s:
            async for _ in s:
                pass
            return (await s.get_final_response()).id

    with FakeResponsesServer(clicks()) as server, cassette(instance, path, "once"):
        recorded = asyncio.run(run(server.urls.openai_base_url))
    with cassette(instance, path, "none"):
        assert asyncio.run(run(server.urls.openai_base_url)) == recorded
