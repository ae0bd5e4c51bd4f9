"""Screenshot comparison and masking: the metric's properties, masks, diffs, and bad input.

Every image is a real PNG made with Pillow here. Property tests use small
images (a few pixels a side) so hundreds of examples stay fast; one test uses
a Chromium-sized 1024x768 screenshot.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cua_replay.errors import CuaReplayError, InvalidImage, InvalidSetting
from cua_replay.images import (
    DEFAULT_TOLERANCE,
    MAGENTA,
    MAX_COORDINATE,
    Rect,
    diff_png,
    image_distance,
    mask_png,
    parse_rect,
    png_size,
)

BLACK = (0, 0, 0)


def encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


sides = st.integers(1, 12)
modes = st.sampled_from(["RGB", "RGBA"])


@st.composite
def images(
    draw: st.DrawFn, width: int | None = None, height: int | None = None, mode: str | None = None
) -> Image.Image:
    """A small RGB or RGBA image with arbitrary pixels."""
    width = draw(sides) if width is None else width
    height = draw(sides) if height is None else height
    mode = draw(modes) if mode is None else mode
    size = width * height * len(mode)
    return Image.frombytes(mode, (width, height), draw(st.binary(min_size=size, max_size=size)))


@st.composite
def same_size_pairs(draw: st.DrawFn) -> tuple[Image.Image, Image.Image]:
    """Two images of one size, each RGB or RGBA independently."""
    first = draw(images())
    return first, draw(images(first.width, first.height))


rects = st.tuples(st.integers(-5, 15), st.integers(-5, 15), st.integers(1, 20), st.integers(1, 20))


def covered(x: int, y: int, rect_list: list[Rect]) -> bool:
    return any(rx <= x < rx + w and ry <= y < ry + h for rx, ry, w, h in rect_list)


# -- image_distance --------------------------------------------------------------------


@given(images())
def test_distance_to_itself_is_zero(image: Image.Image) -> None:
    data = encode(image)
    assert image_distance(data, data) == 0.0
    # Different bytes, same pixels: decoded, still zero.
    assert image_distance(data, encode(image.convert("RGB"))) == 0.0


@given(same_size_pairs(), st.integers(0, 255))
def test_distance_is_symmetric_and_a_fraction(
    pair: tuple[Image.Image, Image.Image], tolerance: int
) -> None:
    a, b = encode(pair[0]), encode(pair[1])
    forward = image_distance(a, b, tolerance=tolerance)
    assert forward == image_distance(b, a, tolerance=tolerance)
    assert 0.0 <= forward <= 1.0


@given(images(), images())
def test_distance_is_in_unit_interval_for_any_pair(a: Image.Image, b: Image.Image) -> None:
    assert 0.0 <= image_distance(encode(a), encode(b)) <= 1.0


@given(st.data())
def test_painting_k_pixels_gives_k_over_n(data: st.DataObject) -> None:
    image = data.draw(images())
    n = image.width * image.height
    chosen = data.draw(st.sets(st.integers(0, n - 1)))
    changed = image.copy()
    for index in chosen:
        xy = (index % image.width, index // image.width)
        pixel = list(changed.getpixel(xy))  # type: ignore[arg-type]
        channel = data.draw(st.integers(0, 2))
        pixel[channel] ^= 0x80  # a change of exactly 128 levels
        changed.putpixel(xy, tuple(pixel))
    assert image_distance(encode(image), encode(changed)) == len(chosen) / n


@given(st.data())
def test_changes_within_tolerance_count_for_nothing(data: st.DataObject) -> None:
    image = data.draw(images(mode="RGB"))
    tolerance = data.draw(st.integers(0, 255))
    deltas = data.draw(
        st.lists(
            st.integers(-tolerance, tolerance),
            min_size=len(image.tobytes()),
            max_size=len(image.tobytes()),
        )
    )
    shifted = bytes(
        min(255, max(0, value + delta))
        for value, delta in zip(image.tobytes(), deltas, strict=True)
    )
    other = Image.frombytes("RGB", image.size, shifted)
    assert image_distance(encode(image), encode(other), tolerance=tolerance) == 0.0


@given(images(), images())
def test_different_sizes_are_completely_different(a: Image.Image, b: Image.Image) -> None:
    if a.size == b.size:
        b = b.resize((b.width + 1, b.height))
    assert image_distance(encode(a), encode(b)) == 1.0


def test_alpha_is_not_compared() -> None:
    opaque = Image.new("RGBA", (4, 4), (10, 20, 30, 255))
    clear = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    assert image_distance(encode(opaque), encode(clear)) == 0.0
    assert image_distance(encode(opaque), encode(opaque.convert("RGB"))) == 0.0


def test_tolerance_is_exclusive() -> None:
    a = encode(Image.new("RGB", (2, 1), (100, 100, 100)))
    b = encode(Image.new("RGB", (2, 1), (100, 124, 100)))
    assert image_distance(a, b, tolerance=24) == 0.0
    assert image_distance(a, b, tolerance=23) == 1.0


@pytest.mark.parametrize("tolerance", [-1, 256, True, 2.5])
def test_tolerance_out_of_range_is_rejected(tolerance: int) -> None:
    data = encode(Image.new("RGB", (1, 1)))
    with pytest.raises(InvalidSetting, match=r"tolerance=.*0 to 255"):
        image_distance(data, data, tolerance=tolerance)


def screenshot() -> Image.Image:
    """A Chromium-sized page: text lines, a button, a text field."""
    image = Image.new("RGB", (1024, 768), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for line in range(30):
        draw.text((40, 80 + 20 * line), f"Row {line}: some text of the page", fill=(20, 20, 20))
    draw.rectangle((700, 80, 860, 120), fill=(30, 100, 220))
    draw.rectangle((700, 200, 980, 230), outline=(120, 120, 120))
    return image


def test_screenshot_sized_caret_blink_and_misclick() -> None:
    page = screenshot()
    caret = page.copy()
    ImageDraw.Draw(caret).line((705, 205, 705, 224), fill=(0, 0, 0))
    menu = page.copy()
    ImageDraw.Draw(menu).rectangle((700, 120, 1000, 420), fill=(45, 45, 60), outline=BLACK)
    recorded = encode(page)

    assert image_distance(recorded, encode(caret)) == 20 / (1024 * 768)
    assert image_distance(recorded, encode(menu)) > 0.1
    assert image_distance(recorded, encode(page.resize((800, 600)))) == 1.0

    diff = diff_png(recorded, encode(menu))
    assert decode(diff).size == (1024, 768)
    assert decode(diff).getpixel((850, 300)) == MAGENTA


# -- diff_png --------------------------------------------------------------------------


@given(same_size_pairs())
def test_diff_marks_exactly_the_counted_pixels(pair: tuple[Image.Image, Image.Image]) -> None:
    a, b = encode(pair[0]), encode(pair[1])
    diff = diff_png(a, b)
    assert diff == diff_png(a, b)
    shown = decode(diff)
    assert shown.size == pair[0].size
    assert shown.mode == "RGB"
    rgb_a, rgb_b = pair[0].convert("RGB"), pair[1].convert("RGB")
    magenta = 0
    for y in range(shown.height):
        for x in range(shown.width):
            pa, pb = rgb_a.getpixel((x, y)), rgb_b.getpixel((x, y))
            differs = any(abs(u - v) > DEFAULT_TOLERANCE for u, v in zip(pa, pb, strict=True))  # type: ignore[arg-type]
            expected = MAGENTA if differs else tuple(v * 2 // 5 for v in pa)  # type: ignore[union-attr]
            assert shown.getpixel((x, y)) == expected
            magenta += differs
    assert magenta / (shown.width * shown.height) == image_distance(a, b)


@given(images(), images())
def test_diff_of_different_sizes_is_side_by_side(a: Image.Image, b: Image.Image) -> None:
    if a.size == b.size:
        b = b.resize((b.width, b.height + 1))
    diff = diff_png(encode(a), encode(b))
    assert diff == diff_png(encode(a), encode(b))
    shown = decode(diff)
    assert shown.size == (a.width + 8 + b.width, max(a.height, b.height))
    assert shown.crop((0, 0, *a.size)).tobytes() == a.convert("RGB").tobytes()
    assert shown.getpixel((a.width, 0)) == MAGENTA


# -- mask_png --------------------------------------------------------------------------


@given(images(), st.lists(rects, max_size=4))
def test_mask_paints_black_inside_and_nothing_outside(
    image: Image.Image, rect_list: list[Rect]
) -> None:
    data = encode(image)
    masked = mask_png(data, rect_list)
    assert masked == mask_png(data, rect_list)
    out = decode(masked)
    assert (out.size, out.mode) == (image.size, image.mode)
    black = (0, 0, 0, 255) if image.mode == "RGBA" else BLACK
    for y in range(image.height):
        for x in range(image.width):
            expected = black if covered(x, y, rect_list) else image.getpixel((x, y))
            assert out.getpixel((x, y)) == expected


@given(images(), st.lists(rects, min_size=1, max_size=4))
def test_mask_is_idempotent(image: Image.Image, rect_list: list[Rect]) -> None:
    once = mask_png(encode(image), rect_list)
    twice = mask_png(once, rect_list)
    assert decode(twice).tobytes() == decode(once).tobytes()


def test_mask_without_rects_is_the_identity() -> None:
    data = encode(Image.new("RGB", (3, 3), (1, 2, 3)))
    assert mask_png(data, []) is data


def test_mask_of_a_screenshot_redacts_one_region() -> None:
    page = screenshot()
    masked = decode(mask_png(encode(page), [(700, 80, 161, 41), (1000, 700, 500, 500)]))
    assert masked.crop((700, 80, 861, 121)).getcolors() == [(161 * 41, BLACK)]
    assert masked.crop((1000, 700, 1024, 768)).getcolors() == [(24 * 68, BLACK)]
    assert masked.getpixel((699, 80)) == page.getpixel((699, 80))


def test_mask_keeps_palette_and_transparency_visible_as_rgb() -> None:
    palette = Image.new("P", (4, 4), 3)
    palette.putpalette([255, 255, 255] * 4)
    out = decode(mask_png(encode(palette), [(0, 0, 2, 2)]))
    assert out.mode == "RGB"
    assert out.getpixel((0, 0)) == BLACK
    assert out.getpixel((3, 3)) == (255, 255, 255)
    grey_alpha = Image.new("LA", (2, 2), (200, 100))
    assert decode(mask_png(encode(grey_alpha), [(0, 0, 1, 1)])).getpixel((0, 0)) == (0, 0, 0, 255)


def test_mask_keeps_the_colour_profile_and_nothing_else() -> None:
    image = Image.new("RGB", (3, 3), (1, 2, 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", icc_profile=b"profile bytes", dpi=(144, 144))
    out = decode(mask_png(buffer.getvalue(), [(0, 0, 1, 1)]))
    assert out.info.get("icc_profile") == b"profile bytes"
    assert "dpi" not in out.info


@pytest.mark.parametrize("rect", [(0, 0, 0, 5), (0, 0, 5, -1)])
def test_mask_rect_covering_nothing_is_an_error(rect: Rect) -> None:
    with pytest.raises(InvalidSetting, match="width and height must be positive"):
        mask_png(encode(Image.new("RGB", (3, 3))), [rect])


# -- png_size and bad input ------------------------------------------------------------


@given(st.integers(1, 64), st.integers(1, 64), st.sampled_from(["RGB", "RGBA", "L", "P", "1"]))
def test_png_size_matches_pillow(width: int, height: int, mode: str) -> None:
    image = Image.new(mode, (width, height))
    assert png_size(encode(image)) == (width, height) == decode(encode(image)).size


def header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )


def test_png_size_reads_only_the_header() -> None:
    # No image data at all, and far too large to decode: the header is enough.
    assert png_size(header_only(100_000, 70_000)) == (100_000, 70_000)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, format="JPEG")
    return buffer.getvalue()


VALID = encode(Image.new("RGB", (4, 4), (9, 9, 9)))
NOT_PNG = [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"\x89PN", "truncated PNG signature", id="short-signature"),
    pytest.param(jpeg(), "looks like JPEG", id="jpeg"),
    pytest.param(b"GIF89a\x01\x00\x01\x00", "looks like GIF", id="gif"),
    pytest.param(b"<html>not an image</html>", "looks like text/HTML", id="html"),
    pytest.param(b"iVBORw0KGgoAAAANSUhEUg", "base64-encoded PNG", id="base64"),
    pytest.param(VALID[:20], "too short for the IHDR header", id="no-ihdr"),
    pytest.param(VALID[:12] + b"IDAT" + VALID[16:], "not IHDR", id="wrong-chunk"),
    pytest.param(header_only(0, 5), "size 0x5", id="zero-width"),
]


@pytest.mark.parametrize(("data", "problem"), NOT_PNG)
def test_non_png_bytes_are_rejected_with_what_is_wrong(data: bytes, problem: str) -> None:
    with pytest.raises(InvalidImage, match=problem) as caught:
        png_size(data)
    assert isinstance(caught.value, CuaReplayError)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(InvalidImage, match=f"^b .*{problem}"):
        image_distance(VALID, data)
    with pytest.raises(InvalidImage, match=f"^a .*{problem}"):
        image_distance(data, data)  # identical bytes are still checked


# Pixels that do not compress away, so cutting the file loses some of them.
NOISE = encode(Image.frombytes("RGB", (16, 16), bytes(range(256)) * 3))


def corrupt_pixels(data: bytes) -> bytes:
    start = data.index(b"IDAT") + 4
    return data[:start] + bytes(byte ^ 0xFF for byte in data[start : start + 6]) + data[start + 6 :]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(NOISE[: len(NOISE) // 2], id="truncated"),
        pytest.param(corrupt_pixels(NOISE), id="corrupt-pixels"),
    ],
)
def test_undecodable_png_is_rejected(data: bytes) -> None:
    assert png_size(data) == (16, 16)  # the header is fine; only decoding finds it
    with pytest.raises(InvalidImage, match=r"^b is a PNG that cannot be decoded"):
        image_distance(NOISE, data)
    with pytest.raises(InvalidImage, match="cannot be decoded"):
        mask_png(data, [(0, 0, 1, 1)])


# -- parse_rect ------------------------------------------------------------------------

coordinates = st.integers(0, MAX_COORDINATE)
lengths = st.integers(1, MAX_COORDINATE)
spaces = st.sampled_from(["", " ", "  "])


@given(coordinates, coordinates, lengths, lengths, spaces)
@example(10, 20, 300, 40, "")
def test_parse_rect_round_trips(x: int, y: int, width: int, height: int, space: str) -> None:
    text = f"{space},{space}".join(map(str, (x, y, width, height)))
    assert parse_rect(f"{space}{text}{space}") == (x, y, width, height)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10,20,300",
        "10,20,300,40,5",
        "a,b,c,d",
        "-1,20,300,40",
        "1.5,20,300,40",
        "10 20 300 40",
        "10;20;300;40",
        "1_0,20,300,40",
        "\u0661,20,300,40",  # an Arabic-Indic digit, which int() would accept
        "10,20,0,40",
        "10,20,300,0",
        f"{MAX_COORDINATE + 1},0,1,1",
        "9" * 5000 + ",0,1,1",
    ],
)
def test_parse_rect_rejects_garbage(text: str) -> None:
    with pytest.raises(InvalidSetting, match="X,Y,W,H") as caught:
        parse_rect(text)
    assert repr(text)[:40] in str(caught.value)
    assert caught.value.setting == "mask"


@given(st.text(alphabet=st.sampled_from("0123456789, -x.\t"), max_size=20) | st.text(max_size=20))
def test_parse_rect_accepts_only_valid_rects(text: str) -> None:
    try:
        x, y, width, height = parse_rect(text)
    except InvalidSetting as error:
        assert "X,Y,W,H" in str(error)
    else:
        assert min(x, y) >= 0 and min(width, height) >= 1
        assert parse_rect(f"{x},{y},{width},{height}") == (x, y, width, height)
