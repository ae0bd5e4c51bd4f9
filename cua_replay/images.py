"""Screenshot comparison and masking for cassette replay.

A replay compares the screenshot the browser produces now with the one the
cassette recorded. Byte equality is too strict (font antialiasing, a blinking
caret, a GPU rounding difference all change bytes), and a perceptual score
is hard to pick a threshold for or to explain when it fails. So the metric
here is deliberately simple, and what it counts is exactly what
:func:`diff_png` paints::

    distance = (pixels whose |difference| in R, G or B exceeds ``tolerance``)
               / (all pixels)

Antialiasing and caret blinks change *few* pixels by *small* amounts: the
tolerance ignores the small amounts and a threshold on the fraction (the
caller's choice) ignores the few. A click that lands elsewhere opens a menu,
navigates or highlights a row: *many* pixels change by *large* amounts.
Different sizes are as different as it gets (1.0).

Every operation on pixels is a Pillow C operation (``ImageChops``, ``point``
look-up tables, ``histogram``, ``paste``), so comparing two decoded 1024x768
screenshots costs about 2 ms; decoding the PNGs (about 5 ms each) is the larger
part. Sizes come from the PNG header without decoding, and identical bytes
never get decoded at all. Output PNG bytes are deterministic for the same
inputs and Pillow/zlib (fixed encoder settings, no metadata copied except an
ICC profile when masking), so a cassette written twice does not churn.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Sequence
from typing import Final, TypeAlias

from PIL import Image, ImageChops

from .errors import InvalidImage, InvalidSetting

#: A rectangle in image pixels: ``(x, y, width, height)``, top-left origin.
Rect: TypeAlias = tuple[int, int, int, int]

#: Default per-channel tolerance: above the few levels antialiasing and GPU
#: rounding move a pixel, well below a real content change (text on its
#: background differs by 100+ levels).
DEFAULT_TOLERANCE: Final = 24

#: The colour :func:`diff_png` paints differing pixels with: absent from real UIs.
MAGENTA: Final = (255, 0, 255)

#: Largest coordinate or size :func:`parse_rect` accepts: PNG's own limit.
MAX_COORDINATE: Final = 2**31 - 1

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# Signature, IHDR length (4), type (4), width (4), height (4).
_HEADER_LENGTH: Final = 24

# Recognised only to say what the bytes are instead of "not a PNG".
_OTHER_FORMATS: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"<", "text/HTML"),
    (b"{", "JSON"),
    (b"iVBORw0KGgo", "base64-encoded PNG (decode it first)"),
)

# Pixels of the dimmed background in diff_png keep 40% of their brightness.
_DIM: Final = [value * 2 // 5 for value in range(256)]

# A separator between the two images in a side-by-side diff_png.
_GAP: Final = 8

# ASCII digits only (``int`` would also take "1_0" and non-ASCII digits), and
# few enough that ``int`` never meets its digit limit.
_NUMBER: Final = r"\s*([0-9]{1,10})\s*"
_RECT: Final = re.compile(",".join([_NUMBER] * 4))


def png_size(data: bytes) -> tuple[int, int]:
    """Return ``(width, height)`` of a PNG from its IHDR header, without decoding it.

    Reading 24 bytes is enough to compare sizes or validate a cassette, which
    matters when a cassette holds hundreds of screenshots.
    """
    return _header_size(data, "data")


def image_distance(a: bytes, b: bytes, *, tolerance: int = DEFAULT_TOLERANCE) -> float:
    """Fraction (0.0..1.0) of pixels whose R, G or B differs by more than ``tolerance``.

    See the module docstring for why this metric. Both headers are checked
    first, so garbage raises :class:`InvalidImage` even when the two are equal;
    identical bytes then give 0.0 and different sizes 1.0 without decoding.
    Alpha is ignored: screenshots are opaque.
    """
    _check_tolerance(tolerance)
    size_a, size_b = _header_size(a, "a"), _header_size(b, "b")
    if a == b:
        return 0.0
    if size_a != size_b:
        return 1.0
    changed = _changed_mask(_decode_color(a, "a"), _decode_color(b, "b"), tolerance)
    width, height = size_a
    return _count_set(changed) / (width * height)


def diff_png(a: bytes, b: bytes, *, tolerance: int = DEFAULT_TOLERANCE) -> bytes:
    """A PNG showing where replayed ``b`` differs from recorded ``a``.

    Same size: ``a`` dimmed to 40%, with every pixel that counts towards
    :func:`image_distance` (same ``tolerance``) painted solid magenta, so what
    the picture shows is exactly what the metric counted. Different sizes: no
    pixel correspondence exists, so both are shown side by side on a magenta
    canvas (``a`` left), magenta meaning "differs" as before.
    """
    _check_tolerance(tolerance)
    image_a, image_b = _decode_color(a, "a"), _decode_color(b, "b")
    if image_a.size != image_b.size:
        return _encode(_side_by_side(image_a.convert("RGB"), image_b.convert("RGB")))
    changed = _changed_mask(image_a, image_b, tolerance)
    dimmed = image_a.convert("RGB").point(_DIM * 3)
    dimmed.paste(MAGENTA, (0, 0, *dimmed.size), changed)
    return _encode(dimmed)


def mask_png(data: bytes, rects: Sequence[Rect]) -> bytes:
    """Paint each ``(x, y, width, height)`` of ``rects`` solid black; return PNG bytes.

    Used to redact screenshot regions (account numbers, avatars, clocks)
    before a cassette stores them. Rectangles are clipped to the image, since
    a mask written for one viewport must not fail on a smaller one. A
    rectangle with a non-positive width or height is an error rather than a
    no-op: a redaction that silently covers nothing is a leak. With no
    rectangles the input is returned as is (not even decoded).
    """
    if not rects:
        return data
    for rect in rects:
        _check_rect(rect)
    image = _decode(data, "data")
    icc_profile = image.info.get("icc_profile")
    mode = "RGBA" if image.has_transparency_data else "RGB"
    image = image.convert(mode)
    black = (0, 0, 0, 255) if mode == "RGBA" else (0, 0, 0)
    for rect in rects:
        box = _clip(rect, image.size)
        if box is not None:
            image.paste(black, box)
    return _encode(image, icc_profile=icc_profile)


def parse_rect(text: str) -> Rect:
    """Parse a CLI mask value ``"X,Y,W,H"`` (e.g. ``"10,20,300,40"``) into a :data:`Rect`.

    Strict on purpose: a typo in a redaction rectangle should fail the command,
    not leave the region unmasked. Spaces around numbers are allowed; X and Y
    are non-negative, W and H positive, all at most :data:`MAX_COORDINATE`.
    """
    match = _RECT.fullmatch(text)
    if match is None:
        raise _bad_rect(text, "expected four comma-separated non-negative integers")
    x, y, width, height = (int(group) for group in match.groups())
    if max(x, y, width, height) > MAX_COORDINATE:
        raise _bad_rect(text, f"values must be at most {MAX_COORDINATE}")
    if width == 0 or height == 0:
        raise _bad_rect(text, "width and height must be positive")
    return x, y, width, height


def _bad_rect(text: str, problem: str) -> InvalidSetting:
    return InvalidSetting(
        f"Invalid mask rectangle {_shorten(text)}: {problem}. Write it as X,Y,W,H in pixels, "
        "e.g. '10,20,300,40' (left, top, width, height).",
        setting="mask",
    )


def _shorten(text: str, limit: int = 60) -> str:
    """``repr`` of a user value, cut short so a pasted blob cannot flood the message."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _header_size(data: bytes, label: str) -> tuple[int, int]:
    """Validate the PNG signature and IHDR chunk of ``data``; return its size.

    ``label`` names the argument in messages, so a caller comparing two images
    learns which one is broken.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImage(f"{label} is not a PNG: expected bytes, got {type(data).__name__}.")
    head = bytes(data[:_HEADER_LENGTH])
    if not head:
        raise InvalidImage(f"{label} is not a PNG: it is empty (0 bytes).")
    if not head.startswith(PNG_SIGNATURE):
        if PNG_SIGNATURE.startswith(head):
            raise InvalidImage(
                f"{label} is not a PNG: only {len(data)} bytes, a truncated PNG signature."
            )
        guess = next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), None)
        looks = f" (it looks like {guess})" if guess else ""
        raise InvalidImage(
            f"{label} is not a PNG{looks}: it starts with {head[:8]!r}, not the PNG "
            f"signature {PNG_SIGNATURE!r} ({len(data)} bytes)."
        )
    if len(head) < _HEADER_LENGTH:
        raise InvalidImage(
            f"{label} is a truncated PNG: {len(data)} bytes, too short for the IHDR "
            f"header ({_HEADER_LENGTH} bytes)."
        )
    length, chunk_type, width, height = struct.unpack(">I4sII", head[8:])
    if chunk_type != b"IHDR" or length != 13:
        raise InvalidImage(
            f"{label} is a malformed PNG: the first chunk is {chunk_type!r} of length "
            f"{length}, not IHDR of length 13."
        )
    if not (0 < width <= MAX_COORDINATE and 0 < height <= MAX_COORDINATE):
        raise InvalidImage(
            f"{label} is a malformed PNG: its header gives size {width}x{height}; both "
            f"must be between 1 and {MAX_COORDINATE}."
        )
    return width, height


def _decode(data: bytes, label: str) -> Image.Image:
    """Decode a PNG fully (checked header first), turning Pillow's errors into ours."""
    _header_size(data, label)
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidImage(f"{label} is a PNG that cannot be decoded: {error}.") from error
    return image


def _decode_color(data: bytes, label: str) -> Image.Image:
    """Decode to 8-bit RGB or RGBA, the modes the comparison works on.

    RGBA stays RGBA (its alpha band is simply not compared) because a
    conversion would cost as much as the comparison itself.
    """
    image = _decode(data, label)
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGB")


def _changed_mask(a: Image.Image, b: Image.Image, tolerance: int) -> Image.Image:
    """An ``L`` image, 255 where any RGB channel of ``a`` and ``b`` differs by > ``tolerance``.

    The largest channel difference is taken first (``lighter`` is a per-pixel
    max) so the threshold runs on one band instead of three.
    """
    if a.mode != b.mode:
        a, b = a.convert("RGB"), b.convert("RGB")
    red, green, blue = ImageChops.difference(a, b).split()[:3]
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return largest.point([0] * (tolerance + 1) + [255] * (255 - tolerance))


def _count_set(mask: Image.Image) -> int:
    """Number of 255 pixels in a 0/255 ``L`` mask.

    The histogram is the slowest step, so it runs only on the bounding box of
    the changes: nothing when nothing changed, a few pixels for a caret blink.
    """
    box = mask.getbbox()
    return 0 if box is None else mask.crop(box).histogram()[255]


def _side_by_side(a: Image.Image, b: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (a.width + _GAP + b.width, max(a.height, b.height)), MAGENTA)
    canvas.paste(a, (0, 0))
    canvas.paste(b, (a.width + _GAP, 0))
    return canvas


def _check_tolerance(tolerance: int) -> None:
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or not 0 <= tolerance <= 255:
        raise InvalidSetting(
            f"Invalid image tolerance={tolerance!r}: expected an integer from 0 to 255 "
            "(the largest per-channel difference that still counts as equal).",
            setting="tolerance",
        )


def _check_rect(rect: Rect) -> None:
    if rect[2] <= 0 or rect[3] <= 0:
        raise InvalidSetting(
            f"Invalid mask rectangle {rect!r}: width and height must be positive "
            "(x, y, width, height).",
            setting="mask",
        )


def _clip(rect: Rect, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """``rect`` as a Pillow box (left, top, right, bottom) inside ``size``, or None if outside."""
    x, y, width, height = rect
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + width, size[0]), min(y + height, size[1])
    if left >= right or top >= bottom:
        return None
    return left, top, right, bottom


def _encode(image: Image.Image, *, icc_profile: bytes | None = None) -> bytes:
    """PNG bytes with fixed settings and no metadata but an optional ICC profile."""
    image.info = {}
    buffer = io.BytesIO()
    # Fixed encoder settings, so the bytes depend only on the pixels (and profile).
    image.save(buffer, format="PNG", compress_level=6, optimize=False, icc_profile=icc_profile)
    return buffer.getvalue()
