"""The errors the fake server answers with, in the envelope of the API flavour asked.

Every message a client can trigger is quoted from docs/api-contract.md §5.2 where a
verbatim source exists; the few without one say so where they are built. The
checker and the brain raise :class:`APIError`; only the app turns it into bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Flavour(Enum):
    """Which service the client believes it talks to: decides error envelopes and headers."""

    OPENAI = "openai"
    AZURE = "azure"

    @classmethod
    def of_path(cls, path: str) -> Flavour:
        """Azure clients call ``/openai/...`` (classic and v1); OpenAI clients ``/v1/...``."""
        return cls.AZURE if path.startswith("/openai") else cls.OPENAI


@dataclass
class APIError(Exception):
    """A 4xx/5xx answer: status, the OpenAI error fields, and extra response headers.

    A wire-level error, not one of cua-replay's errors (so not a
    ``CuaReplayError``): the fake server raises it internally and answers it
    over HTTP as the API's error envelope; users see it as the SDK's own
    ``openai.APIStatusError``, never as this class.
    """

    status: int
    message: str
    type: str | None = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code or self.type}: {self.message}"

    def envelope(self, flavour: Flavour) -> dict[str, Any]:
        """The JSON body. Azure's gateway errors (401) carry ``code`` as the status string."""
        if flavour is Flavour.AZURE and self.status == 401:
            return {"error": {"code": str(self.status), "message": self.message}}
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def body(self, flavour: Flavour) -> bytes:
        return json.dumps(self.envelope(flavour), ensure_ascii=True).encode()


# -- the messages, verbatim where the contract has a source -------------------------------

INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)

IMAGE_URL_PREAMBLE = (
    "Expected a base64-encoded data URL with an image MIME type "
    "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got"
)

OPENAI_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username. You can obtain an API key from https://platform.openai.com/account/api-keys."
)
AZURE_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when "
    "making requests to an API."
)
AZURE_BAD_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


def invalid_json() -> APIError:
    return APIError(400, INVALID_JSON)


def missing_parameter(path: str) -> APIError:
    return APIError(
        400, f"Missing required parameter: '{path}'.", param=path, code="missing_required_parameter"
    )


def unknown_parameter(path: str) -> APIError:
    shown = shorten(path)
    return APIError(400, f"Unknown parameter: '{shown}'.", param=shown, code="unknown_parameter")


def invalid_type(path: str, expected: str, value: object) -> APIError:
    got = _json_type(value)
    return APIError(
        400,
        f"Invalid type for '{path}': expected {expected}, but got {got} instead.",
        param=path,
        code="invalid_type",
    )


def invalid_value(path: str, value: object, supported: list[str]) -> APIError:
    shown = ", ".join(f"'{s}'" for s in supported[:-1]) + f", and '{supported[-1]}'"
    if len(supported) == 1:
        shown = f"'{supported[0]}'"
    return APIError(
        400,
        f"Invalid value: '{shorten(value)}'. Supported values are: {shown}.",
        param=path,
        code="invalid_value",
    )


def out_of_range(path: str, value: float, low: float | None, high: float | None) -> APIError:
    if high is not None and value > high:
        return APIError(
            400,
            f"Invalid '{path}': decimal above maximum value. Expected a value <= {high:g}, "
            f"but got {value!r} instead.",
            param=path,
            code="decimal_above_max_value",
        )
    return APIError(
        400,
        f"Invalid '{path}': decimal below minimum value. Expected a value >= {low:g}, "
        f"but got {value!r} instead.",
        param=path,
        code="decimal_below_min_value",
    )


def integer_out_of_range(path: str, value: int, low: int, high: int) -> APIError:
    word = "below minimum" if value < low else "above maximum"
    bound = f">= {low}" if value < low else f"<= {high}"
    return APIError(
        400,
        f"Invalid '{path}': integer {word} value. Expected a value {bound}, but got "
        f"{shorten(str(value))} instead.",
        param=path,
        code=f"integer_{word.replace(' ', '_')}_value",
    )


def previous_response_not_found(response_id: str) -> APIError:
    return APIError(
        400,
        f"Previous response with id '{shorten(response_id)}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def response_not_found(response_id: str) -> APIError:
    # Emulator consensus only (docs/api-contract.md §5.2): the real 404 body is unverified.
    return APIError(
        404,
        f"No response found with id '{shorten(response_id)}'.",
        param="response_id",
        code="response_not_found",
    )


def no_tool_output(call_id: str) -> APIError:
    return APIError(400, f"No tool output found for computer call {call_id}.", param="input")


def no_tool_call(call_id: str) -> APIError:
    # Prefix verified only (docs/api-contract.md §10); the suffix follows the function-call sibling.
    return APIError(
        400, f"No tool call found for computer call with call_id {shorten(call_id)}.", param="input"
    )


def unacknowledged(check_ids: list[str]) -> APIError:
    return APIError(
        400, f"Computer tool has unacknowledged safety check for {check_ids!r}", param="input"
    )


def reasoning_without_following(item_id: str) -> APIError:
    return APIError(
        400,
        f"Item '{shorten(item_id)}' of type 'reasoning' was provided without its required "
        "following item.",
        param="input",
    )


def call_without_reasoning(item_id: str, reasoning_id: str) -> APIError:
    return APIError(
        400,
        f"Item '{item_id}' of type 'computer_call' was provided without its required "
        f"'reasoning' item: '{reasoning_id}'.",
        param="input",
    )


def undecryptable_reasoning() -> APIError:
    return APIError(
        400,
        "Invalid value: the encrypted reasoning content could not be decrypted for this model.",
        param="input",
        code="invalid_encrypted_content",
    )


def truncation_required(model: str) -> APIError:
    # No verbatim string exists (docs/api-contract.md §10); this is the contract's suggestion.
    return APIError(
        400,
        f"The '{shorten(model)}' model requires 'truncation' to be set to 'auto'.",
        param="truncation",
        code="invalid_value",
    )


def invalid_image_url(path: str, problem: str) -> APIError:
    return APIError(
        400, f"Invalid '{path}'. {IMAGE_URL_PREAMBLE} {problem}", param=path, code="invalid_value"
    )


def invalid_image(path: str, problem: str) -> APIError:
    return APIError(400, f"Invalid image in '{path}': {problem}", param=path, code="invalid_image")


def invalid_url(method: str, path: str) -> APIError:
    return APIError(404, f"Invalid URL ({method} {shorten(path)})")


def missing_key(flavour: Flavour) -> APIError:
    if flavour is Flavour.AZURE:
        return APIError(401, AZURE_MISSING_KEY, type=None, code="401")
    return APIError(401, OPENAI_MISSING_KEY)


def bad_key(flavour: Flavour, key: str) -> APIError:
    if flavour is Flavour.AZURE:
        return APIError(401, AZURE_BAD_KEY, type=None, code="401")
    return APIError(
        401,
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def mask_key(key: str) -> str:
    """Show a key the way the service does, never whole: a secret must not reach a log."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


def request_too_large(limit: int, declared: int | None) -> APIError:
    """A body over the server's bound (:class:`~cua_replay.server.limits.Limits`).

    The service's own answer is ``413 Payload Too Large`` from its edge, an HTML page
    rather than an envelope (docs/api-contract.md §5.2, OBS openai/codex#2908); the
    fake server keeps the status and answers in the envelope, so the SDK's
    ``APIStatusError`` carries a message that names the bound and how to raise it.
    """
    size = f"{declared:,} bytes" if declared is not None else f"more than {limit:,} bytes"
    return APIError(
        413,
        f"Request body too large: {size}; this server accepts at most {limit:,} bytes. "
        "Send a smaller request, or raise the bound with --max-body-bytes or "
        "CUA_REPLAY_SERVER_MAX_BODY_BYTES.",
        code="request_too_large",
    )


def server_error(request_id: str) -> APIError:
    return APIError(
        500,
        "An error occurred while processing your request. You can retry your request, or contact "
        "us through our help center at help.openai.com if the error persists. Please include the "
        f"request ID {request_id} in your message.",
        type="server_error",
        code="server_error",
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def shorten(value: object, limit: int = 200) -> str:
    """Quote user input in a message without echoing megabytes back."""
    if isinstance(value, dict | list):
        return "{...}" if isinstance(value, dict) else "[...]"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."
