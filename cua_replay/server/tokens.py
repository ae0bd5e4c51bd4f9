"""Deterministic, plausible token counts: no tokenizer, but the right order of magnitude.

Text is about four characters a token; an image costs what the vision models
charge for its tiles at high detail (85 + 170 per 512-px tile after scaling to
fit 2048 and a 768-px short side), so a 1024x768 screenshot costs 765 tokens.
"""

from __future__ import annotations

import math
import struct

DEFAULT_IMAGE_TOKENS = 765


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def image_tokens(size: tuple[int, int] | None) -> int:
    if size is None:
        return DEFAULT_IMAGE_TOKENS
    if size[0] <= 0 or size[1] <= 0:
        return 85
    scale = min(1.0, 2048 / max(size))
    width, height = size[0] * scale, size[1] * scale
    scale = min(1.0, 768 / min(width, height))
    return 85 + 170 * math.ceil(width * scale / 512) * math.ceil(height * scale / 512)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or GIF from its header; None for the other formats."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    return None


def image_kind(data: bytes) -> str | None:
    """The format the bytes really are (by magic number), whatever the data URL claims."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
