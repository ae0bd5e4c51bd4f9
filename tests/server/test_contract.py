"""The fake server's request contract (docs/api-contract.md §5.3), as the real openai SDK sees it.

Every rule is exercised through ``openai.OpenAI`` or ``openai.AzureOpenAI``, so
what is checked is what a client gets: the exception class, ``status_code``,
``exc.body`` (the inner error object) and the verbatim message of §5.2. The
successful path is checked against §3.1, §3.4 and §9.3.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from openai import AzureOpenAI, OpenAI
from openai.lib.computer import ComputerToolset, Screenshot
from openai.types.responses import (
    ComputerToolParam,
    ComputerUsePreviewToolParam,
    Response,
    ResponseComputerToolCall,
    ResponseIncludable,
    ResponseReasoningItem,
)

from cua_replay.server import FakeResponsesServer, Scenario
from tests.server.images import data_url, png

TASK = "Click the button, then type hi."
SCENARIO = Scenario.model_validate(
    {
        "name": "contract",
        "task": TASK,
        "turns": [
            {
                "reasoning": "Clicking the button.",
                "actions": [
                    {"type": "click", "button": "left", "x": 10, "y": 10},
                    {"type": "type", "text": "hi"},
                ],
                "safety_checks": ["malicious_instructions"],
            },
            {"message": "Done."},
        ],
    }
)
pytestmark = pytest.mark.fake_scenario(SCENARIO)

PREVIEW_MODEL = "computer-use-preview"
GA_MODEL = "gpt-5.4"
PREVIEW_TOOL: ComputerUsePreviewToolParam = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}
GA_TOOL: ComputerToolParam = {"type": "computer"}
ENCRYPTED: list[ResponseIncludable] = ["reasoning.encrypted_content"]
IMAGE_PREAMBLE = (
    "Expected a base64-encoded data URL with an image MIME type "
    "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got"
)
INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)


PNG_URL = data_url(png())


# -- clients and helpers -----------------------------------------------------------------


@pytest.fixture
def client(fake_responses_server: FakeResponsesServer) -> Iterator[OpenAI]:
    """The OpenAI flavour (``/v1``); no retries, so every error reaches the test once."""
    with OpenAI(
        base_url=fake_responses_server.urls.openai_base_url, api_key="sk-test", max_retries=0
    ) as sdk:
        yield sdk


@pytest.fixture
def azure(fake_responses_server: FakeResponsesServer) -> Iterator[AzureOpenAI]:
    """The Azure flavour (``/openai/responses?api-version=...``)."""
    with AzureOpenAI(
        azure_endpoint=fake_responses_server.urls.azure_endpoint,
        api_key="azure-test-key",
        api_version="2025-03-01-preview",
        max_retries=0,
    ) as sdk:
        yield sdk


@pytest.fixture(params=["openai", "azure"])
def any_client(request: pytest.FixtureRequest) -> OpenAI:
    """Both flavours: the 400 rules are the same on every route."""
    sdk: OpenAI = request.getfixturevalue("client" if request.param == "openai" else "azure")
    return sdk


def start(sdk: OpenAI, *, tool: str = "preview", **extra: Any) -> Response:
    """The first request of a conversation, as the guides send it."""
    params: dict[str, Any] = {
        "model": PREVIEW_MODEL if tool == "preview" else GA_MODEL,
        "tools": [PREVIEW_TOOL if tool == "preview" else GA_TOOL],
        "input": TASK,
        "reasoning": {"summary": "concise"},
    }
    if tool == "preview":
        params["truncation"] = "auto"
    response: Response = sdk.responses.create(**{**params, **extra})
    return response


def follow_up(sdk: OpenAI, previous: Response, items: list[Any]) -> Response:
    """A chained preview request answering ``previous``."""
    return sdk.responses.create(
        model=PREVIEW_MODEL,
        tools=[PREVIEW_TOOL],
        truncation="auto",
        previous_response_id=previous.id,
        input=items,
    )


def the_call(response: Response) -> ResponseComputerToolCall:
    calls = [item for item in response.output if isinstance(item, ResponseComputerToolCall)]
    assert len(calls) == 1, response.output
    return calls[0]


def the_reasoning(response: Response) -> ResponseReasoningItem:
    items = [item for item in response.output if isinstance(item, ResponseReasoningItem)]
    assert len(items) == 1, response.output
    return items[0]


def answer(call: ResponseComputerToolCall, *, ack: bool = True, **extra: Any) -> dict[str, Any]:
    """The ``computer_call_output`` for ``call``, acknowledging its checks unless told not to."""
    checks = [c.model_dump() for c in call.pending_safety_checks or []] if ack else []
    return {
        "type": "computer_call_output",
        "call_id": call.call_id,
        "output": {"type": "computer_screenshot", "image_url": PNG_URL},
        "acknowledged_safety_checks": checks,
        **extra,
    }


def rejected(
    send: Callable[[], object], kind: type[openai.APIStatusError] = openai.BadRequestError
) -> openai.APIStatusError:
    with pytest.raises(kind) as caught:
        send()
    return caught.value


def assert_error(
    exc: openai.APIStatusError,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    status: int = 400,
) -> None:
    """The status, and the inner error object exactly (OpenAI envelope, §5.1)."""
    assert exc.status_code == status
    assert exc.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }
    assert str(exc) == f"Error code: {status} - {message}"
    assert re.fullmatch(r"req_[0-9a-f]{32}", exc.request_id or "")


# -- rule 1-2: JSON, parameters ------------------------------------------------------------


def test_body_that_is_not_json_gets_the_parse_error(client: OpenAI) -> None:
    """Raw bytes through the SDK's own transport: the service's parse error, verbatim."""
    exc = rejected(
        lambda: client.post(
            "/responses",
            cast_to=Response,
            content=b'{"model": "gpt-5.4", "input": ',
            options={"headers": {"Content-Type": "application/json"}},
        )
    )
    assert_error(exc, INVALID_JSON)


def test_body_that_is_not_json_over_plain_http(fake_responses_server: FakeResponsesServer) -> None:
    """Without any SDK in between: the same 400 and envelope on the wire."""
    request = urllib.request.Request(
        fake_responses_server.urls.openai_base_url + "/responses",
        data=b"model=gpt-5.4",
        headers={"Authorization": "Bearer sk-test", "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    with caught.value as error:
        assert error.code == 400
        assert error.headers["content-type"] == "application/json"
        body = json.loads(error.read())
    assert body == {
        "error": {
            "message": INVALID_JSON,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_missing_model(any_client: OpenAI) -> None:
    exc = rejected(lambda: any_client.responses.create(input=TASK))
    assert_error(
        exc,
        "Missing required parameter: 'model'.",
        param="model",
        code="missing_required_parameter",
    )


def test_missing_input(any_client: OpenAI) -> None:
    exc = rejected(lambda: any_client.responses.create(model=GA_MODEL, tools=[GA_TOOL]))
    assert_error(
        exc,
        "Missing required parameter: 'input'.",
        param="input",
        code="missing_required_parameter",
    )


def test_unknown_top_level_parameter(any_client: OpenAI) -> None:
    """A typo the SDK lets through (``extra_body``) is refused, not ignored."""
    exc = rejected(
        lambda: any_client.responses.create(
            model=GA_MODEL, input=TASK, extra_body={"truncate": "auto"}
        )
    )
    assert_error(exc, "Unknown parameter: 'truncate'.", param="truncate", code="unknown_parameter")


# -- rule 3: previous_response_id ----------------------------------------------------------


def test_unknown_previous_response_id(any_client: OpenAI) -> None:
    exc = rejected(
        lambda: any_client.responses.create(
            model=GA_MODEL, input=TASK, previous_response_id="resp_0123456789abcdef"
        )
    )
    assert_error(
        exc,
        "Previous response with id 'resp_0123456789abcdef' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def test_unstored_response_cannot_be_chained_or_retrieved(any_client: OpenAI) -> None:
    """``store: false`` answers normally but leaves nothing to chain from or fetch."""
    response = start(any_client, store=False)
    assert response.status == "completed"
    call = the_call(response)

    exc = rejected(lambda: follow_up(any_client, response, [answer(call)]))
    assert_error(
        exc,
        f"Previous response with id '{response.id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )
    missing = rejected(lambda: any_client.responses.retrieve(response.id), openai.NotFoundError)
    assert_error(
        missing,
        f"No response found with id '{response.id}'.",
        param="response_id",
        code="response_not_found",
        status=404,
    )


# -- rules 4-6: calls, outputs, safety checks ----------------------------------------------


def test_call_left_without_its_output(any_client: OpenAI) -> None:
    """Chaining with new input while the call is open is refused, naming the call_id."""
    response = start(any_client)
    call = the_call(response)
    exc = rejected(lambda: follow_up(any_client, response, [{"role": "user", "content": "Go on."}]))
    assert_error(exc, f"No tool output found for computer call {call.call_id}.", param="input")


def test_call_left_without_its_output_in_full_history(client: OpenAI) -> None:
    """The same rule when the client replays the history instead of chaining."""
    response = start(client, tool="ga")
    call = the_call(response)
    history: list[Any] = [{"role": "user", "content": TASK}]
    history += [item.to_dict() for item in response.output]
    exc = rejected(lambda: client.responses.create(model=GA_MODEL, tools=[GA_TOOL], input=history))
    assert_error(exc, f"No tool output found for computer call {call.call_id}.", param="input")


def test_output_for_an_unknown_call_id(any_client: OpenAI) -> None:
    response = start(any_client)
    wrong = {**answer(the_call(response)), "call_id": "call_NotAnyCallOfThisChain0"}
    exc = rejected(lambda: follow_up(any_client, response, [wrong]))
    assert_error(
        exc,
        "No tool call found for computer call with call_id call_NotAnyCallOfThisChain0.",
        param="input",
    )


def test_unacknowledged_safety_check(any_client: OpenAI) -> None:
    """The check ids are listed Python-repr style; acknowledging them lets the call through."""
    response = start(any_client)
    call = the_call(response)
    checks = call.pending_safety_checks
    assert [c.code for c in checks] == ["malicious_instructions"]

    exc = rejected(lambda: follow_up(any_client, response, [answer(call, ack=False)]))
    assert_error(
        exc, f"Computer tool has unacknowledged safety check for ['{checks[0].id}']", param="input"
    )
    assert follow_up(any_client, response, [answer(call)]).status == "completed"


# -- rule 7: reasoning pairing and encrypted reasoning -------------------------------------


def test_reasoning_item_without_its_following_item(client: OpenAI) -> None:
    response = start(client, tool="ga")
    reasoning = the_reasoning(response)
    history: list[Any] = [{"role": "user", "content": TASK}, reasoning.to_dict()]
    exc = rejected(lambda: client.responses.create(model=GA_MODEL, tools=[GA_TOOL], input=history))
    assert_error(
        exc,
        f"Item '{reasoning.id}' of type 'reasoning' was provided without its required "
        "following item.",
        param="input",
    )


def test_computer_call_without_its_reasoning_item(client: OpenAI) -> None:
    response = start(client, tool="ga")
    reasoning, call = the_reasoning(response), the_call(response)
    history: list[Any] = [{"role": "user", "content": TASK}, call.to_dict(), answer(call)]
    exc = rejected(lambda: client.responses.create(model=GA_MODEL, tools=[GA_TOOL], input=history))
    assert_error(
        exc,
        f"Item '{call.id}' of type 'computer_call' was provided without its required "
        f"'reasoning' item: '{reasoning.id}'.",
        param="input",
    )


@pytest.mark.parametrize("tamper", ["content", "model"])
def test_tampered_encrypted_reasoning(client: OpenAI, tamper: str) -> None:
    """Encrypted reasoning must come back byte-identical, to the model that produced it."""
    response = start(client, tool="ga", include=ENCRYPTED)
    reasoning, call = the_reasoning(response), the_call(response)
    replayed: dict[str, Any] = reasoning.to_dict()
    model = GA_MODEL
    if tamper == "content":
        replayed["encrypted_content"] = replayed["encrypted_content"][:-4] + "AAAA"
    else:
        model = "gpt-5.5"
    history: list[Any] = [{"role": "user", "content": TASK}, replayed, call.to_dict(), answer(call)]
    exc = rejected(
        lambda: client.responses.create(
            model=model,
            tools=[GA_TOOL],
            input=history,
            include=ENCRYPTED,
        )
    )
    # §5.2 quotes only the message; type and param follow the other history errors.
    assert exc.status_code == 400
    assert isinstance(exc.body, dict)
    assert exc.body["message"] == (
        "Invalid value: the encrypted reasoning content could not be decrypted for this model."
    )
    assert exc.body["type"] == "invalid_request_error"
    assert exc.body["param"] == "input"


# -- rule 8: truncation --------------------------------------------------------------------


@pytest.mark.parametrize("truncation", [None, "disabled"])
def test_preview_tool_requires_truncation_auto(any_client: OpenAI, truncation: str | None) -> None:
    extra: dict[str, Any] = {} if truncation is None else {"truncation": truncation}
    exc = rejected(
        lambda: any_client.responses.create(
            model=PREVIEW_MODEL,
            tools=[PREVIEW_TOOL],
            input=TASK,
            **extra,
        )
    )
    assert_error(
        exc,
        "The 'computer-use-preview' model requires 'truncation' to be set to 'auto'.",
        param="truncation",
        code="invalid_value",
    )


def test_ga_tool_does_not_need_truncation(any_client: OpenAI) -> None:
    response = any_client.responses.create(model=GA_MODEL, tools=[GA_TOOL], input=TASK)
    assert response.status == "completed"
    assert response.truncation == "disabled"
    assert the_call(response).actions is not None


# -- rule 9: images ------------------------------------------------------------------------

BAD_IMAGES = [
    pytest.param(
        base64.b64encode(png()).decode(),
        "a value without the 'data:' prefix.",
        id="no-data-prefix",
    ),
    pytest.param("data:image/png;base64,", "empty base64-encoded bytes.", id="empty-base64"),
    pytest.param(
        "data:image/png;base64,iVBORw0K*not base64*", "invalid base64-encoded bytes.", id="bad-b64"
    ),
]


def image_message(url: str) -> list[Any]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": TASK},
                {"type": "input_image", "image_url": url, "detail": "auto"},
            ],
        }
    ]


@pytest.mark.parametrize(("url", "problem"), BAD_IMAGES)
def test_malformed_image_data_url_in_a_message(any_client: OpenAI, url: str, problem: str) -> None:
    path = "input[0].content[1].image_url"
    exc = rejected(lambda: any_client.responses.create(model=GA_MODEL, input=image_message(url)))
    assert_error(
        exc, f"Invalid '{path}'. {IMAGE_PREAMBLE} {problem}", param=path, code="invalid_value"
    )


@pytest.mark.parametrize(("url", "problem"), BAD_IMAGES)
def test_malformed_image_data_url_in_a_call_output(
    any_client: OpenAI, url: str, problem: str
) -> None:
    response = start(any_client)
    item = answer(the_call(response))
    item["output"]["image_url"] = url
    path = "input[0].output.image_url"
    exc = rejected(lambda: follow_up(any_client, response, [item]))
    assert_error(
        exc, f"Invalid '{path}'. {IMAGE_PREAMBLE} {problem}", param=path, code="invalid_value"
    )


def test_data_url_of_bytes_that_are_no_image(any_client: OpenAI) -> None:
    """Well-formed base64 is not enough: the bytes must be PNG, JPEG, WebP or GIF."""
    url = data_url(b"<html>not a screenshot</html>")
    path = "input[0].content[1].image_url"
    exc = rejected(lambda: any_client.responses.create(model=GA_MODEL, input=image_message(url)))
    assert_error(
        exc,
        f"Invalid image in '{path}': the data is not a PNG, JPEG, WebP or GIF image.",
        param=path,
        code="invalid_image",
    )


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8L", "image/webp"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ],
    ids=["png", "jpeg", "webp", "gif"],
)
def test_each_image_format_is_accepted(any_client: OpenAI, data: bytes, mime: str) -> None:
    response = any_client.responses.create(
        model=GA_MODEL,
        tools=[GA_TOOL],
        input=image_message(data_url(data, mime)),
    )
    assert response.status == "completed"


def test_http_image_url_accepted_by_openai(client: OpenAI) -> None:
    response = client.responses.create(
        model=GA_MODEL,
        tools=[GA_TOOL],
        input=image_message("https://shop.example/screenshot.png"),
    )
    assert response.status == "completed"


def test_http_image_url_refused_on_azure_paths(
    azure: AzureOpenAI, fake_responses_server: FakeResponsesServer
) -> None:
    """Azure takes base64 data URLs only (SEED:002), on both of its route styles."""
    url = "https://shop.example/screenshot.png"
    path = "input[0].content[1].image_url"
    message = f"Invalid '{path}'. {IMAGE_PREAMBLE} a value without the 'data:' prefix."
    exc = rejected(lambda: azure.responses.create(model=GA_MODEL, input=image_message(url)))
    assert_error(exc, message, param=path, code="invalid_value")
    with OpenAI(
        base_url=fake_responses_server.urls.azure_v1_base_url, api_key="k", max_retries=0
    ) as v1:
        exc = rejected(lambda: v1.responses.create(model=GA_MODEL, input=image_message(url)))
    assert_error(exc, message, param=path, code="invalid_value")


@pytest.mark.parametrize("output_type", ["computer_screenshot", "input_image"])
def test_call_output_types_and_extra_keys_are_accepted(
    any_client: OpenAI, output_type: str
) -> None:
    """The SDK's type and the samples' ``input_image``; ``current_url``, ``detail`` too."""
    response = start(any_client)
    item = answer(the_call(response), current_url="https://shop.example/")
    item["output"] = {"type": output_type, "image_url": PNG_URL, "detail": "original"}
    nxt = follow_up(any_client, response, [item])
    assert nxt.status == "completed"
    assert nxt.previous_response_id == response.id
    assert the_call(nxt).action is not None


def test_current_url_inside_the_output_is_accepted(any_client: OpenAI) -> None:
    """The official classic sample app sends ``current_url`` inside ``output`` (issue 13)."""
    response = start(any_client)
    item = answer(the_call(response))
    item["output"] = {
        "type": "computer_screenshot",
        "image_url": PNG_URL,
        "current_url": "https://shop.example/cart",
    }
    nxt = follow_up(any_client, response, [item])
    assert nxt.status == "completed"
    assert nxt.previous_response_id == response.id


def test_current_url_inside_the_output_must_be_a_string(client: OpenAI) -> None:
    response = start(client)
    item = answer(the_call(response))
    item["output"] = {"type": "computer_screenshot", "image_url": PNG_URL, "current_url": 7}
    exc = rejected(lambda: follow_up(client, response, [item]))
    assert exc.status_code == 400
    assert isinstance(exc.body, dict)
    assert exc.body["param"] == "input[0].output.current_url"


# -- stateless full history ----------------------------------------------------------------


class RecordingDriver:
    """A ComputerDriver that only records: the server, not a browser, is under test."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def _record(self, action: Any) -> None:
        self.done.append(action.type)

    click = double_click = drag = keypress = move = scroll = type = wait = _record

    def screenshot(self) -> Screenshot:
        self.done.append("screenshot")
        return {"type": "computer_screenshot", "image_url": PNG_URL}


def test_computer_toolset_runs_stateless_to_the_end(
    fake_responses_server: FakeResponsesServer,
) -> None:
    """The SDK's own loop: full history, encrypted reasoning, no previous_response_id."""
    sent: list[dict[str, Any]] = []

    def capture(request: Any) -> None:
        sent.append(json.loads(request.content))

    http = openai.DefaultHttpxClient(event_hooks={"request": [capture]})
    driver = RecordingDriver()
    with OpenAI(
        base_url=fake_responses_server.urls.openai_base_url,
        api_key="sk-test",
        max_retries=0,
        http_client=http,
    ) as sdk:
        final = ComputerToolset(driver).run(
            sdk,
            {"model": GA_MODEL, "tools": [{"type": "computer"}], "input": TASK},
            approve_safety_checks=lambda call: True,
        )
    assert final.status == "completed"
    assert final.output_text == "Done."
    assert driver.done == ["click", "type", "screenshot"]
    assert len(sent) == 2
    for body in sent:
        assert "previous_response_id" not in body
        assert body["include"] == ["reasoning.encrypted_content"]
    replayed = sent[1]["input"]
    assert [item.get("type") for item in replayed[1:]] == [
        "reasoning",
        "computer_call",
        "computer_call_output",
    ]
    assert replayed[1]["encrypted_content"].startswith("gAAAA")
    assert [r.status for r in fake_responses_server.state.log] == [200, 200]


def test_manual_full_history_replay_with_to_dict(client: OpenAI) -> None:
    """A hand-written stateless loop with the preview tool: two single-action steps, then done."""
    history: list[Any] = [{"role": "user", "content": TASK}]
    response = start(client, include=ENCRYPTED, store=False)
    for expected in ("click", "type"):
        call = the_call(response)
        assert call.action is not None
        assert call.action.type == expected
        history += [item.to_dict() for item in response.output] + [answer(call)]
        response = client.responses.create(
            model=PREVIEW_MODEL,
            tools=[PREVIEW_TOOL],
            truncation="auto",
            include=ENCRYPTED,
            store=False,
            input=history,
        )
    assert response.output_text == "Done."


def test_encrypted_content_only_when_included(client: OpenAI) -> None:
    plain = the_reasoning(start(client, tool="ga"))
    assert plain.encrypted_content is None
    assert "encrypted_content" not in plain.to_dict()
    asked = the_reasoning(start(client, tool="ga", include=ENCRYPTED))
    assert asked.encrypted_content is not None
    assert asked.encrypted_content.startswith("gAAAA")


# -- the successful response ---------------------------------------------------------------

RESPONSE_FIELDS = {
    "id",
    "object",
    "created_at",
    "status",
    "background",
    "completed_at",
    "error",
    "incomplete_details",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "model",
    "output",
    "parallel_tool_calls",
    "previous_response_id",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "usage",
    "user",
    "metadata",
}


def test_successful_response_has_every_field(any_client: OpenAI) -> None:
    raw = any_client.responses.with_raw_response.create(
        model=PREVIEW_MODEL,
        tools=[PREVIEW_TOOL],
        truncation="auto",
        input=TASK,
        reasoning={"summary": "concise"},
    )
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9a-f]{32}", raw.headers["x-request-id"])
    assert raw.request_id == raw.headers["x-request-id"]
    body = json.loads(raw.content)
    assert body.keys() >= RESPONSE_FIELDS
    assert body["usage"]["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}

    response = raw.parse()
    assert isinstance(response, Response)
    assert response.object == "response"
    assert response.status == "completed"
    assert response.tool_choice == "auto"
    assert response.parallel_tool_calls is True
    assert [t.to_dict() for t in response.tools] == [PREVIEW_TOOL]
    assert response.truncation == "auto"
    assert response.model == PREVIEW_MODEL
    usage = response.usage
    assert usage is not None
    assert usage.input_tokens_details.cache_write_tokens == 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_ids_have_the_service_formats(client: OpenAI) -> None:
    """§3.4: resp_/rs_/cu_/cu_sc_/msg_ + hex, call_ + 24 alphanumerics."""
    response = start(client, tool="ga")
    assert re.fullmatch(r"resp_([0-9a-f]{32}|[0-9a-f]{50})", response.id)
    reasoning, call = the_reasoning(response), the_call(response)
    assert re.fullmatch(r"rs_[0-9a-f]+", reasoning.id)
    assert re.fullmatch(r"cu_[0-9a-f]+", call.id)
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.call_id)
    assert all(re.fullmatch(r"cu_sc_[0-9a-f]+", c.id) for c in call.pending_safety_checks)
    assert call.actions is not None
    assert [a.type for a in call.actions] == ["click", "type"]

    outputs: list[Any] = [answer(call)]
    final = client.responses.create(
        model=GA_MODEL, tools=[GA_TOOL], previous_response_id=response.id, input=outputs
    )
    message = final.output[-1]
    assert message.type == "message"
    assert re.fullmatch(r"msg_[0-9a-f]+", message.id)
    assert final.output_text == "Done."
    assert len({response.id, final.id, reasoning.id, call.id, message.id}) == 5
