"""Build the ``Response`` object the real service would send, every field, deterministically.

Field order follows the service's own replies; values the request set are
echoed, the rest get the service's defaults. ``created_at`` counts from a fixed
epoch by the conversation's counter, never from the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from .brain import Reply
from .contract import CreateRequest
from .ids import CREATED_AT_BASE
from .state import Conversation, ServerState
from .tokens import text_tokens

Status = Literal["completed", "failed", "incomplete"]


@dataclass(frozen=True)
class Outcome:
    """How the response ended: normally, or as a scripted ``failed``/``incomplete``."""

    status: Status = "completed"
    error: dict[str, Any] | None = None
    incomplete_reason: str | None = None


def render(
    request: CreateRequest,
    reply: Reply,
    conversation: Conversation,
    state: ServerState,
    outcome: Outcome = Outcome(),
) -> dict[str, Any]:
    ids = state.ids
    number = conversation.number
    tick = conversation.tick()
    response_id = ids.hex("resp_", number, tick)
    output: list[dict[str, Any]] = []
    reasoning_tokens = 0
    if reply.reasoning is not None:
        reasoning_id = ids.hex("rs_", number, conversation.tick())
        item: dict[str, Any] = {
            "id": reasoning_id,
            "type": "reasoning",
            "summary": (
                [{"type": "summary_text", "text": reply.reasoning}] if request.summary else []
            ),
        }
        if "reasoning.encrypted_content" in request.include:
            item["encrypted_content"] = ids.encrypted_reasoning(request.model, reasoning_id, "")
        output.append(item)
        reasoning_tokens = 48 + 2 * text_tokens(reply.reasoning)
    if reply.actions is not None:
        call: dict[str, Any] = {
            "id": ids.hex("cu_", number, conversation.tick()),
            "type": "computer_call",
            "call_id": ids.call_id(number, conversation.tick()),
        }
        if request.tool is not None and request.tool.kind == "ga":
            call["actions"] = [dict(a) for a in reply.actions]
        else:
            call["action"] = dict(reply.actions[0])
        call["pending_safety_checks"] = [
            {
                "id": ids.hex("cu_sc_", number, conversation.tick()),
                "code": check.code,
                "message": check.text,
            }
            for check in reply.checks
        ]
        call["status"] = "completed"
        output.append(call)
    if reply.message is not None:
        message: dict[str, Any] = {
            "id": ids.hex("msg_", number, conversation.tick()),
            "type": "message",
            "status": "completed",
            "content": [
                {"type": "output_text", "annotations": [], "logprobs": [], "text": reply.message}
            ],
            "role": "assistant",
        }
        if request.tool is not None and request.tool.kind == "ga":
            message["phase"] = "final_answer"
        output.append(message)
    if outcome.status != "completed":
        output = [o for o in output if o["type"] == "reasoning" and outcome.status == "incomplete"]

    context = request.input_tokens
    if request.previous is not None:
        context += request.previous.context_tokens
    visible = text_tokens(json.dumps([_without_ids(o) for o in output]))
    body = request.body
    created_at = CREATED_AT_BASE + number * 3600 + tick * 2
    reasoning = body.get("reasoning") or {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": outcome.status,
        "background": False,
        "completed_at": created_at + 1 if outcome.status == "completed" else None,
        "error": outcome.error,
        "incomplete_details": (
            {"reason": outcome.incomplete_reason} if outcome.status == "incomplete" else None
        ),
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": request.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort") or "medium", "summary": request.summary},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": request.store,
        "temperature": body.get("temperature") if body.get("temperature") is not None else 1.0,
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": body.get("top_p") if body.get("top_p") is not None else 1.0,
        "truncation": body.get("truncation") or "disabled",
        "usage": {
            "input_tokens": context,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": visible + reasoning_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": context + visible + reasoning_tokens,
        },
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def _without_ids(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("id", "call_id")}


def dumps(body: dict[str, Any]) -> bytes:
    """Compact JSON; UTF-8 as the service sends it, ASCII-escaped if input had lone surrogates."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, ensure_ascii=True, allow_nan=False).encode("ascii")
