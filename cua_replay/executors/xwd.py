"""``xwd -root`` output -> PNG: the desktop executor's screenshots.

``xwd`` (Debian ``x11-apps``) is the screenshot command that needs nothing
but the X display, locally or in a container; Pillow reads no XWD, so this
module reads its header (X11's ``XWDFile.h``: 25 big-endian 32-bit fields,
the window name, the colour map) and hands the pixels to Pillow. Only
TrueColor screens of 24 or 32 bits per pixel are read (Xvfb's ``x24``, every
desktop today); anything else is refused with the fix.
"""

from __future__ import annotations

import io
import struct

from PIL import Image

from ..errors import ExecutorError

_HEADER = struct.Struct(">25I")
_ZPIXMAP = 2
_LSB_FIRST = 0
_TRUE_COLOR = 4


def xwd_to_png(data: bytes, *, label: str = "the X display") -> bytes:
    """PNG bytes of the XWD image ``data`` (fast zlib level, no metadata)."""
    image = xwd_image(data, label=label)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def xwd_image(data: bytes, *, label: str = "the X display") -> Image.Image:
    """The RGB image in ``data``; raises :class:`ExecutorError` for what it cannot read."""
    if len(data) < _HEADER.size:
        raise _unreadable(label, f"{len(data)} bytes is shorter than an XWD header")
    (
        header_size,
        version,
        pixmap_format,
        depth,
        width,
        height,
        _xoffset,
        byte_order,
        _bitmap_unit,
        _bit_order,
        _bitmap_pad,
        bits_per_pixel,
        bytes_per_line,
        visual_class,
        red_mask,
        _green_mask,
        blue_mask,
        _bits_per_rgb,
        _colormap_entries,
        ncolors,
        *_window,
    ) = _HEADER.unpack_from(data)
    if version != 7 or pixmap_format != _ZPIXMAP:
        raise _unreadable(label, f"XWD version {version}, format {pixmap_format}")
    if visual_class != _TRUE_COLOR or bits_per_pixel != 32 or depth not in (24, 32):
        raise _unreadable(
            label,
            f"a {depth}-bit screen at {bits_per_pixel} bits per pixel (visual class "
            f"{visual_class}); run the display at 24 bits (Xvfb -screen 0 1024x768x24)",
        )
    start = header_size + 12 * ncolors
    end = start + bytes_per_line * height
    if len(data) < end or width * 4 > bytes_per_line:
        raise _unreadable(label, f"{len(data)} bytes do not hold {width}x{height} pixels")
    red_first = (red_mask, blue_mask) == (0xFF, 0xFF0000)
    if byte_order == _LSB_FIRST:
        raw = "RGBX" if red_first else "BGRX"
    else:
        raw = "XBGR" if red_first else "XRGB"
    return Image.frombuffer("RGB", (width, height), data[start:end], "raw", raw, bytes_per_line, 1)


def _unreadable(label: str, problem: str) -> ExecutorError:
    return ExecutorError(f"Cannot read the screenshot of {label}: {problem}.", url="")
