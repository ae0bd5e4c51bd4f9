"""The contract checker: is this ``POST /responses`` one the real service would accept?

Separate from the brain (which decides what to answer) and stateful per
conversation through :class:`~.state.ServerState`. It enforces docs/api-contract.md
§5.3 with the messages of §5.2, and returns a :class:`CreateRequest` with what
the brain and the renderer need. It never changes the state: a rejected request
leaves no trace.

Rules, in the order they are checked:

1. the body is JSON (else the service's parse error) and an object;
2. no unknown top-level parameter (the SDK's ``ResponseCreateParamsBase`` lists them);
3. ``model`` and ``input`` are present, and every field has the right type and range;
4. a ``computer_use_preview`` tool has all four keys, a GA ``computer`` tool none,
   and with the preview tool ``truncation`` is ``auto``;
5. ``previous_response_id`` names a stored response (``store: false`` ones are not);
6. every input item has the shape its type requires; images are data URLs of
   real PNG/JPEG/WebP/GIF bytes (or, on OpenAI, http(s) URLs);
7. replayed ``reasoning`` items are followed by the item they produced, and a
   replayed item produced after reasoning is preceded by it; encrypted reasoning
   comes back unchanged;
8. every ``computer_call_output`` answers an open call, every open call gets its
   output, and each output acknowledges all the safety checks its call raised.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

from openai.types.responses import response_includable, response_input_item_param
from openai.types.responses.response_create_params import ResponseCreateParamsBase

from ..wire import envelopes as e
from ..wire.envelopes import APIError, Flavour
from .state import Conversation, EmittedItem, ServerState, StoredResponse
from .tokens import image_kind, image_size, image_tokens, text_tokens

TOP_LEVEL = frozenset(ResponseCreateParamsBase.__annotations__) | {"stream"}
INCLUDABLE = tuple(typing.get_args(response_includable.ResponseIncludable))
ROLES = ["assistant", "system", "developer", "user"]
ENVIRONMENTS = ["browser", "mac", "windows", "ubuntu", "linux"]
SUMMARIES = ["auto", "concise", "detailed"]
EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"]
DETAILS = ["low", "high", "auto", "original"]
ITEM_STATUSES = ["in_progress", "completed", "incomplete"]
SERVICE_TIERS = ["auto", "default", "flex", "scale", "priority"]
UNSUPPORTED = ("conversation", "prompt", "background")
"""Accepted by the real service but outside computer use; the fake says so instead of faking."""

PREVIEW_TOOL_KEYS = frozenset({"type", "display_width", "display_height", "environment"})
OUTPUT_KEYS = frozenset(response_input_item_param.ComputerCallOutput.__annotations__) | {
    "current_url"
}
SCREENSHOT_KEYS = frozenset({"type", "image_url", "file_id", "detail", "current_url"})
"""``current_url`` inside ``output`` too: the official classic sample app sends it there."""


def _sdk_item_types() -> list[str]:
    """Every input item ``type`` the SDK can send, read from its own union."""
    found: list[str] = []
    for member in typing.get_args(response_input_item_param.ResponseInputItemParam):
        annotation = member.__annotations__.get("type")
        match = re.search(r"Literal\['([^']+)'\]", str(annotation))
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


ITEM_TYPES = _sdk_item_types()


@dataclass(frozen=True)
class ComputerTool:
    kind: Literal["preview", "ga"]
    width: int | None = None
    height: int | None = None
    environment: str | None = None


@dataclass
class CreateRequest:
    """A request that passed the contract: what the brain and the renderer work from."""

    body: dict[str, Any]
    model: str
    stream: bool
    store: bool
    include: frozenset[str]
    tool: ComputerTool | None
    previous: StoredResponse | None
    conversation: Conversation | None
    """None for a first request: the app opens a conversation only once the request passes."""
    input_items: list[dict[str, Any]]
    task: str | None
    progress: int
    """Script steps the conversation has taken: ``computer_call_output`` items plus
    assistant messages in the whole effective history."""
    current_url: str | None
    acknowledged: frozenset[str]
    """Codes of the safety checks this request acknowledges."""
    summary: str | None
    input_tokens: int


class ContractChecker:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def parse(self, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
        except (ValueError, RecursionError):
            raise e.invalid_json() from None
        if _deeper_than(body, MAX_DEPTH):
            raise e.invalid_json()
        if not isinstance(body, dict):
            raise e.invalid_type("body", "an object", body)
        return body

    def check(self, body: dict[str, Any], flavour: Flavour) -> CreateRequest:
        for key in body:
            if key not in TOP_LEVEL:
                raise e.unknown_parameter(key)
        for key in UNSUPPORTED:
            if body.get(key) not in (None, False):
                raise APIError(
                    400,
                    f"The cua-replay fake server does not support '{key}'. Use "
                    "previous_response_id or send the full history in 'input' instead.",
                    param=key,
                    code="unsupported_parameter",
                )
        model = body.get("model")
        if model is None:
            raise e.missing_parameter("model")
        _string(model, "model", nonempty=True)
        if "input" not in body or body["input"] is None:
            raise e.missing_parameter("input")
        _scalars(body)
        tool = _tools(body.get("tools"))
        truncation = body.get("truncation")
        if truncation is not None:
            _enum(truncation, "truncation", ["auto", "disabled"])
        if tool is not None and tool.kind == "preview" and truncation != "auto":
            raise e.truncation_required(model)
        include = _include(body.get("include"))
        summary = _reasoning(body.get("reasoning"))

        previous: StoredResponse | None = None
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            _string(previous_id, "previous_response_id")
            previous = self.state.retrievable(previous_id)
            if previous is None:
                raise e.previous_response_not_found(previous_id)

        raw_input = body["input"]
        if isinstance(raw_input, str):
            items: list[dict[str, Any]] = [
                {"type": "message", "role": "user", "content": raw_input}
            ]
        elif isinstance(raw_input, list):
            items = raw_input
        else:
            raise e.invalid_type("input", "a string or an array", raw_input)

        tokens = 0
        for index, item in enumerate(items):
            tokens += _item(item, f"input[{index}]", flavour, self.state)
        items = [self._resolve(item, index) for index, item in enumerate(items)]
        self._reasoning_pairs(items, model)
        answered, current_url, acknowledged = self._pairs(items, previous)
        answered += sum(1 for item in items if item.get("role") == "assistant")

        conversation = previous.conversation if previous is not None else self._known(items)
        task = conversation.task if conversation is not None else _task(items)
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            tokens += text_tokens(instructions)
        return CreateRequest(
            body=body,
            model=model,
            stream=bool(body.get("stream")),
            store=body.get("store") is not False,
            include=include,
            tool=tool,
            previous=previous,
            conversation=conversation,
            input_items=items,
            task=task,
            progress=(previous.progress if previous else 0) + answered,
            current_url=current_url,
            acknowledged=acknowledged,
            summary=summary,
            input_tokens=tokens,
        )

    def _resolve(self, item: dict[str, Any], index: int) -> dict[str, Any]:
        """Replace an ``item_reference`` by the item it names."""
        if item.get("type") != "item_reference":
            return item
        emitted = self.state.items.get(item["id"])
        if emitted is None:
            raise APIError(
                400,
                f"Item with id '{e.shorten(item['id'])}' not found.",
                param=f"input[{index}].id",
                code="item_not_found",
            )
        return emitted.item

    def _known(self, items: list[dict[str, Any]]) -> Conversation | None:
        """The conversation a stateless request continues, from the ids it replays."""
        for item in items:
            emitted = self.state.items.get(_id(item))
            if emitted is not None:
                return emitted.conversation
        return None

    def _reasoning_pairs(self, items: list[dict[str, Any]], model: str) -> None:
        for index, item in enumerate(items):
            emitted: EmittedItem | None = self.state.items.get(_id(item))
            following = items[index + 1] if index + 1 < len(items) else None
            if item.get("type") == "reasoning":
                encrypted = item.get("encrypted_content")
                if encrypted is not None and encrypted != self.state.ids.encrypted_reasoning(
                    model, item["id"], ""
                ):
                    raise e.undecryptable_reasoning()
                if emitted is not None and emitted.produces is not None:
                    if following is None or following.get("id") != emitted.produces:
                        raise e.reasoning_without_following(item["id"])
                elif following is None or not _producible(following):
                    raise e.reasoning_without_following(item["id"])
            elif emitted is not None and emitted.reasoning_id is not None:
                before = items[index - 1] if index > 0 else None
                if before is None or before.get("id") != emitted.reasoning_id:
                    if item.get("type") == "computer_call":
                        raise e.call_without_reasoning(item["id"], emitted.reasoning_id)
                    raise APIError(
                        400,
                        f"Item '{item['id']}' of type '{item.get('type')}' was provided without "
                        f"its required 'reasoning' item: '{emitted.reasoning_id}'.",
                        param="input",
                    )

    def _pairs(
        self, items: list[dict[str, Any]], previous: StoredResponse | None
    ) -> tuple[int, str | None, frozenset[str]]:
        """Pair calls with outputs; count outputs, and find the newest URL and acknowledgements."""
        open_calls: dict[str, dict[str, Any]] = dict(previous.pending_calls) if previous else {}
        answered = 0
        current_url: str | None = None
        acknowledged: set[str] = set()
        for item in items:
            kind = item.get("type")
            if kind == "computer_call":
                emitted = self.state.calls.get(item["call_id"])
                open_calls[item["call_id"]] = emitted.item if emitted is not None else item
            elif kind == "computer_call_output":
                call = open_calls.pop(item["call_id"], None)
                if call is None:
                    raise e.no_tool_call(item["call_id"])
                pending = [c["id"] for c in call.get("pending_safety_checks") or []]
                acks = item.get("acknowledged_safety_checks") or []
                acked = {a["id"] for a in acks}
                missing = [p for p in pending if p not in acked]
                if missing:
                    raise e.unacknowledged(missing)
                by_id = {c["id"]: c for c in call.get("pending_safety_checks") or []}
                acknowledged.update(
                    str(by_id[a].get("code")) for a in acked if a in by_id and by_id[a].get("code")
                )
                answered += 1
                url = _current_url(item)
                if url is not None:
                    current_url = url
        if open_calls:
            raise e.no_tool_output(next(iter(open_calls)))
        return answered, current_url, frozenset(acknowledged)


# -- field checks -------------------------------------------------------------------------


MAX_DEPTH = 128
"""Deeper nesting is refused as unparseable, as strict parsers do (serde_json's default
limit). Past a few hundred levels the server's own recursion (copying, encoding an echoed
``text`` or ``tools``) would fail, and for a stream only after the 200 went out."""


def _deeper_than(value: object, limit: int) -> bool:
    """Does ``value`` nest arrays and objects deeper than ``limit``? Walked level by level."""
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            below += [child for child in children if isinstance(child, dict | list)]
        level = below
    return False


def _not_json(constant: str) -> float:
    """``NaN`` and ``Infinity`` are Python's extensions, not JSON: the service refuses them."""
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    """A number past the float range (``1e400``) is a parse error, as in strict parsers."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _string(value: object, path: str, *, nonempty: bool = False, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise e.invalid_type(path, "a string", value)
    if nonempty and not value:
        raise APIError(
            400,
            f"Invalid '{path}': empty string. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param=path,
            code="empty_string",
        )
    if limit is not None and len(value) > limit:
        raise APIError(
            400,
            f"Invalid '{path}': string too long. Expected a string with maximum length "
            f"{limit}, but got a string with length {len(value)} instead.",
            param=path,
            code="string_above_max_length",
        )
    return value


def _enum(value: object, path: str, supported: list[str]) -> str:
    if not isinstance(value, str):
        raise e.invalid_type(path, "a string", value)
    if value not in supported:
        raise e.invalid_value(path, value, supported)
    return value


def _bool(value: object, path: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise e.invalid_type(path, "a boolean", value)


def _number(value: object, path: str, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise e.invalid_type(path, "a number", value)
    try:
        number = float(value)
    except OverflowError:  # an integer past the float range: 10**400
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number) or number > high or number < low:
        raise e.out_of_range(path, number, low, high)


def _integer(value: object, path: str, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise e.invalid_type(path, "an integer", value)
    if value < low or value > high:
        raise e.integer_out_of_range(path, value, low, high)


def _scalars(body: dict[str, Any]) -> None:
    """Type and range of every top-level field the response echoes back."""
    for key in ("stream", "store", "parallel_tool_calls"):
        _bool(body.get(key), key)
    _number(body.get("temperature"), "temperature", 0, 2)
    _number(body.get("top_p"), "top_p", 0, 1)
    _integer(body.get("max_output_tokens"), "max_output_tokens", 16, 1_000_000)
    _integer(body.get("max_tool_calls"), "max_tool_calls", 1, 1_000_000)
    _integer(body.get("top_logprobs"), "top_logprobs", 0, 20)
    for key, limit in (
        ("instructions", None),
        ("user", 256),
        ("safety_identifier", 128),
        ("prompt_cache_key", 1024),
    ):
        if body.get(key) is not None:
            _string(body[key], key, limit=limit)
    if body.get("service_tier") is not None:
        _enum(body["service_tier"], "service_tier", SERVICE_TIERS)
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise e.invalid_type("metadata", "an object", metadata)
        if len(metadata) > 16:
            raise APIError(
                400,
                "Invalid 'metadata': too many properties. Expected an object with at most 16 "
                f"properties, but got an object with {len(metadata)} properties instead.",
                param="metadata",
                code="object_above_max_properties",
            )
        for key, value in metadata.items():
            _string(key, "metadata", limit=64)
            _string(value, f"metadata.{key}", limit=512)
    text = body.get("text")
    if text is not None and not isinstance(text, dict):
        raise e.invalid_type("text", "an object", text)
    choice = body.get("tool_choice")
    if choice is not None:
        if isinstance(choice, dict):
            _string(choice.get("type"), "tool_choice.type")
        else:
            _enum(choice, "tool_choice", ["none", "auto", "required"])
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise e.invalid_type("stream_options", "an object", options)
        _bool(options.get("include_obfuscation"), "stream_options.include_obfuscation")


def _tools(tools: object) -> ComputerTool | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise e.invalid_type("tools", "an array", tools)
    found: ComputerTool | None = None
    for index, tool in enumerate(tools):
        path = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise e.invalid_type(path, "an object", tool)
        kind = tool.get("type")
        if kind is None:
            raise e.missing_parameter(f"{path}.type")
        _string(kind, f"{path}.type")
        if kind in ("computer_use_preview", "computer-preview"):
            for key in ("display_width", "display_height", "environment"):
                if key not in tool:
                    raise e.missing_parameter(f"{path}.{key}")
            for key in tool:
                if key not in PREVIEW_TOOL_KEYS:
                    raise e.unknown_parameter(f"{path}.{key}")
            _integer(tool["display_width"], f"{path}.display_width", 1, 10_000)
            _integer(tool["display_height"], f"{path}.display_height", 1, 10_000)
            _enum(tool["environment"], f"{path}.environment", ENVIRONMENTS)
            found = ComputerTool(
                "preview", tool["display_width"], tool["display_height"], tool["environment"]
            )
        elif kind == "computer":
            for key in tool:
                if key != "type":
                    raise e.unknown_parameter(f"{path}.{key}")
            found = ComputerTool("ga")
    return found


def _include(include: object) -> frozenset[str]:
    if include is None:
        return frozenset()
    if not isinstance(include, list):
        raise e.invalid_type("include", "an array", include)
    for index, value in enumerate(include):
        _enum(value, f"include[{index}]", list(INCLUDABLE))
    return frozenset(include)


def _reasoning(reasoning: object) -> str | None:
    if reasoning is None:
        return None
    if not isinstance(reasoning, dict):
        raise e.invalid_type("reasoning", "an object", reasoning)
    if reasoning.get("effort") is not None:
        _enum(reasoning["effort"], "reasoning.effort", EFFORTS)
    summary: str | None = None
    for key in ("summary", "generate_summary"):
        if reasoning.get(key) is not None:
            summary = _enum(reasoning[key], f"reasoning.{key}", SUMMARIES)
    return summary


# -- input items --------------------------------------------------------------------------


def _item(item: object, path: str, flavour: Flavour, state: ServerState) -> int:
    """Check one input item's shape; return the tokens it adds to the context."""
    if not isinstance(item, dict):
        raise e.invalid_type(path, "an object", item)
    kind = item.get("type")
    if kind is None and "role" in item:
        kind = "message"
    if kind is None:
        raise e.missing_parameter(f"{path}.type")
    if not isinstance(kind, str) or kind not in ITEM_TYPES:
        raise e.invalid_value(f"{path}.type", kind, ITEM_TYPES)
    if kind == "message":
        return _message(item, path, flavour)
    if kind == "computer_call_output":
        return _call_output(item, path, flavour)
    if kind == "reasoning":
        _string(item.get("id"), f"{path}.id") if "id" in item else _missing(f"{path}.id")
        summary = item.get("summary")
        if not isinstance(summary, list):
            raise (
                e.missing_parameter(f"{path}.summary")
                if summary is None
                else e.invalid_type(f"{path}.summary", "an array", summary)
            )
        if item.get("encrypted_content") is not None:
            _string(item["encrypted_content"], f"{path}.encrypted_content")
        return 0
    if kind == "computer_call":
        for key in ("id", "call_id"):
            _string(item.get(key), f"{path}.{key}") if key in item else _missing(f"{path}.{key}")
        if ("action" in item) == ("actions" in item):
            raise APIError(
                400,
                f"Invalid '{path}': a computer_call has exactly one of 'action' or 'actions'.",
                param=path,
                code="invalid_value",
            )
        checks = item.get("pending_safety_checks")
        if checks is not None:
            _checks(checks, f"{path}.pending_safety_checks")
        return text_tokens(json.dumps(item.get("action") or item.get("actions")))
    if kind == "item_reference":
        _string(item.get("id"), f"{path}.id") if "id" in item else _missing(f"{path}.id")
        emitted = state.items.get(item["id"])
        return 0 if emitted is None else text_tokens(json.dumps(emitted.item))
    return text_tokens(json.dumps(item))


def _missing(path: str) -> None:
    raise e.missing_parameter(path)


def _message(item: dict[str, Any], path: str, flavour: Flavour) -> int:
    if "role" not in item:
        raise e.missing_parameter(f"{path}.role")
    _enum(item["role"], f"{path}.role", ROLES)
    if item.get("status") is not None:
        _enum(item["status"], f"{path}.status", ITEM_STATUSES)
    if "content" not in item or item["content"] is None:
        raise e.missing_parameter(f"{path}.content")
    content = item["content"]
    if isinstance(content, str):
        return text_tokens(content) + 4
    if not isinstance(content, list):
        raise e.invalid_type(f"{path}.content", "a string or an array", content)
    tokens = 4
    for index, part in enumerate(content):
        where = f"{path}.content[{index}]"
        if not isinstance(part, dict):
            raise e.invalid_type(where, "an object", part)
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            tokens += text_tokens(_string(part.get("text"), f"{where}.text"))
        elif kind == "input_image":
            if part.get("detail") is not None:
                _enum(part["detail"], f"{where}.detail", DETAILS)
            if part.get("image_url") is not None:
                tokens += image_tokens(_image_url(part["image_url"], f"{where}.image_url", flavour))
            elif part.get("file_id") is not None:
                _string(part["file_id"], f"{where}.file_id")
                tokens += image_tokens(None)
            else:
                raise e.missing_parameter(f"{where}.image_url")
        elif kind in ("input_file", "refusal"):
            tokens += text_tokens(json.dumps(part))
        else:
            raise e.invalid_value(
                f"{where}.type", kind, ["input_text", "input_image", "input_file", "output_text"]
            )
    return tokens


def _call_output(item: dict[str, Any], path: str, flavour: Flavour) -> int:
    for key in item:
        if key not in OUTPUT_KEYS:
            raise e.unknown_parameter(f"{path}.{key}")
    if "call_id" not in item:
        raise e.missing_parameter(f"{path}.call_id")
    _string(item["call_id"], f"{path}.call_id", nonempty=True)
    output = item.get("output")
    if output is None:
        raise e.missing_parameter(f"{path}.output")
    if not isinstance(output, dict):
        raise e.invalid_type(f"{path}.output", "an object", output)
    for key in output:
        if key not in SCREENSHOT_KEYS:
            raise e.unknown_parameter(f"{path}.output.{key}")
    if "type" not in output:
        raise e.missing_parameter(f"{path}.output.type")
    _enum(output["type"], f"{path}.output.type", ["computer_screenshot", "input_image"])
    if output.get("detail") is not None:
        _enum(output["detail"], f"{path}.output.detail", DETAILS)
    tokens = 4
    if output.get("image_url") is not None:
        tokens += image_tokens(_image_url(output["image_url"], f"{path}.output.image_url", flavour))
    elif output.get("file_id") is not None:
        _string(output["file_id"], f"{path}.output.file_id")
        tokens += image_tokens(None)
    else:
        raise e.missing_parameter(f"{path}.output.image_url")
    if item.get("acknowledged_safety_checks") is not None:
        _checks(item["acknowledged_safety_checks"], f"{path}.acknowledged_safety_checks")
    if item.get("current_url") is not None:
        tokens += text_tokens(_string(item["current_url"], f"{path}.current_url"))
    if output.get("current_url") is not None:
        tokens += text_tokens(_string(output["current_url"], f"{path}.output.current_url"))
    if item.get("status") is not None:
        _enum(item["status"], f"{path}.status", ITEM_STATUSES)
    if item.get("id") is not None:
        _string(item["id"], f"{path}.id")
    return tokens


def _current_url(item: dict[str, Any]) -> str | None:
    """The page URL an output reports: on the item, or in its ``output`` (the classic sample)."""
    if item.get("current_url") is not None:
        return str(item["current_url"])
    output = item.get("output")
    if isinstance(output, dict) and output.get("current_url") is not None:
        return str(output["current_url"])
    return None


def _checks(checks: object, path: str) -> None:
    if not isinstance(checks, list):
        raise e.invalid_type(path, "an array", checks)
    for index, check in enumerate(checks):
        where = f"{path}[{index}]"
        if not isinstance(check, dict):
            raise e.invalid_type(where, "an object", check)
        if "id" not in check:
            raise e.missing_parameter(f"{where}.id")
        _string(check["id"], f"{where}.id")
        for key in ("code", "message"):
            if check.get(key) is not None:
                _string(check[key], f"{where}.{key}")


_DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.ASCII)
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEAD_CHARS = 64
"""Base64 characters decoded to read an image's format and size: 48 bytes, past every header."""


def _base64_head(payload: str) -> bytes | None:
    """The first bytes ``payload`` decodes to, or None unless it is strict RFC 4648 base64.

    Only the alphabet, a length that is a multiple of 4, and at most two ``=`` at the very
    end: the verdict of ``binascii.a2b_base64(payload, strict_mode=True)``, except that
    Python 3.11's also lets surplus ``=`` follow a complete quad (``QUJD=``), as 3.13's
    does not. A screenshot is ~400 KB of base64: decoding all of it cost more than
    everything else the server does with the request, and ``bytes.translate`` checks the
    characters ~7x faster. Only the head is decoded, for the format and the size.
    """
    try:
        encoded = payload.encode("ascii")
    except UnicodeEncodeError:
        return None
    padding = 2 if encoded.endswith(b"==") else 1 if encoded.endswith(b"=") else 0
    if len(encoded) % 4 or encoded.translate(None, _BASE64_ALPHABET) != b"=" * padding:
        return None
    return binascii.a2b_base64(encoded[:_HEAD_CHARS], strict_mode=True)


def _image_url(value: object, path: str, flavour: Flavour) -> tuple[int, int] | None:
    """Check an image URL; return the image's size when its header says."""
    url = _string(value, path)
    if url.startswith(("http://", "https://")) and flavour is Flavour.OPENAI:
        return None
    match = _DATA_URL.match(url)
    if match is None:
        raise e.invalid_image_url(path, "a value without the 'data:' prefix.")
    mime, params = match.group(1).lower(), match.group(2).lower()
    if not mime.startswith("image/"):
        raise e.invalid_image_url(path, f"a data URL with MIME type '{e.shorten(mime, 40)}'.")
    if ";base64" not in params:
        raise e.invalid_image_url(path, "a data URL that is not base64-encoded.")
    payload = url[match.end() :]
    if not payload:
        raise e.invalid_image_url(path, "empty base64-encoded bytes.")
    data = _base64_head(payload)
    if data is None:
        raise e.invalid_image_url(path, "invalid base64-encoded bytes.")
    if image_kind(data) is None:
        raise e.invalid_image(path, "the data is not a PNG, JPEG, WebP or GIF image.")
    return image_size(data)


def _id(item: dict[str, Any]) -> str:
    """An item's id if it is a string: unchecked items may carry anything there."""
    value = item.get("id")
    return value if isinstance(value, str) else ""


def _producible(item: dict[str, Any]) -> bool:
    """Could ``item`` be what a reasoning item produced (an output, not an input)?"""
    if item.get("type") == "message" or ("role" in item and "type" not in item):
        return item.get("role") == "assistant"
    return item.get("type") not in ("reasoning", "computer_call_output", "function_call_output")


def _task(items: list[dict[str, Any]]) -> str | None:
    """The first user message's text: the task the conversation is about."""
    for item in items:
        # Only a message's content was checked: another item may carry any "role".
        if item.get("role") == "user" and item.get("type") in (None, "message"):
            content = item.get("content")
            if isinstance(content, str):
                return content
            texts = [p["text"] for p in content or [] if p.get("type") == "input_text"]
            return "\n".join(texts)
    return None
