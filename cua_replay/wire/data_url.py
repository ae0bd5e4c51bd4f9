"""Screenshots as the wire carries them: ``data:image/png;base64,...`` URLs.

Encoding a 300 KB screenshot costs about as much as a replay step's other work
together, and the same bytes are encoded twice in a replay: once by the loop to
send them, once by the replay cursor to recognise them in the request. A short
memo by identity makes the second one free: the recorded executor hands out the
very bytes object the cursor reads back from the cassette, so the cursor gets
the very string the request carries.
"""

from __future__ import annotations

import base64
import threading
from typing import Final

PNG_PREFIX: Final = "data:image/png;base64,"
_MEMO_SIZE: Final = 8

_memo: list[tuple[bytes, str]] = []
_lock = threading.Lock()


def png_data_url(png: bytes) -> str:
    """``png`` as a data URL; the same string again for the same bytes object."""
    with _lock:
        for data, url in _memo:
            if data is png:
                return url
    url = PNG_PREFIX + base64.b64encode(png).decode("ascii")
    with _lock:
        _memo.append((png, url))  # holding the bytes keeps their id from being reused
        del _memo[:-_MEMO_SIZE]
    return url
