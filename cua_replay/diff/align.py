"""Sequence alignment of two trajectories: which element of A goes with which of B.

Why Myers' O(ND) diff and not :class:`difflib.SequenceMatcher`: SequenceMatcher
anchors on the longest common block first, which is fast but not a minimal edit
script, so one inserted step can show up as several "only in" entries when the
trajectory repeats itself (agents do: click, type, click, type). Myers gives a
shortest edit script (a longest common subsequence) in O((N+M)·D) time, where D
is the number of differences: two similar 500-step runs cost almost nothing.
Past :data:`MAX_EDITS` differences (two unrelated runs) it falls back to
SequenceMatcher, whose cost does not grow with D.

Elements are compared by an exact key (kind, target, executed positions). Runs
of unmatched elements between two matched ones (a "hunk") are then paired up by
a small dynamic programme that prefers, in order: the same kind within the
position tolerance (``moved``), then the same kind (``changed``); the rest are
``only_a`` / ``only_b``. Order is kept throughout: pairs never cross.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Sequence
from typing import Final

MAX_EDITS: Final = 2000
MAX_HUNK_CELLS: Final = 250_000

Op = tuple[int | None, int | None]
"""An aligned pair of indices: (i, j) matched, (i, None) only in A, (None, j) only in B."""


def _myers(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Op] | None:
    """A shortest edit script as aligned index pairs; None past MAX_EDITS differences."""
    n, m = len(a), len(b)
    limit = min(n + m, MAX_EDITS)
    offset = limit + 1
    v = [0] * (2 * limit + 3)
    trace: list[list[int]] = []
    found = -1
    for d in range(limit + 1):
        trace.append(v[:])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[offset + k] = x
            if x >= n and y >= m:
                found = d
                break
        if found >= 0:
            break
    if found < 0:
        return None
    ops: list[Op] = []
    x, y = n, m
    for d in range(found, 0, -1):
        vd = trace[d]
        k = x - y
        down = k == -d or (k != d and vd[offset + k - 1] < vd[offset + k + 1])
        prev_k = k + 1 if down else k - 1
        prev_x = vd[offset + prev_k]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x -= 1
            y -= 1
            ops.append((x, y))
        if x == prev_x:
            y -= 1
            ops.append((None, y))
        else:
            x -= 1
            ops.append((x, None))
    while x > 0 and y > 0:
        x -= 1
        y -= 1
        ops.append((x, y))
    ops.reverse()
    return ops


def _difflib(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Op]:
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            ops.extend((i, None) for i in range(i1, i2))
            ops.extend((None, j) for j in range(j1, j2))
    return ops


def match(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Op]:
    """Align two key sequences: a longest common subsequence, in order."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    mid_a, mid_b = a[start : len(a) - end], b[start : len(b) - end]
    middle = _myers(mid_a, mid_b)
    if middle is None:
        middle = _difflib(mid_a, mid_b)
    ops: list[Op] = [(i, i) for i in range(start)]
    ops.extend(
        (None if i is None else i + start, None if j is None else j + start) for i, j in middle
    )
    ops.extend((len(a) - end + t, len(b) - end + t) for t in range(end))
    return ops


Score = Callable[[int, int], int]
"""How well A's element i pairs with B's element j: 0 not at all, higher is better."""


def _pair_hunk(dels: list[int], ins: list[int], score: Score) -> list[Op]:
    """Pair a hunk's deleted and inserted elements, order kept, total score maximal."""
    if not dels or not ins:
        return [(i, None) for i in dels] + [(None, j) for j in ins]
    if len(dels) * len(ins) > MAX_HUNK_CELLS:  # pathological: pair greedily by position
        ops: list[Op] = []
        for t in range(max(len(dels), len(ins))):
            i = dels[t] if t < len(dels) else None
            j = ins[t] if t < len(ins) else None
            if i is not None and j is not None and score(i, j) == 0:
                ops.extend([(i, None), (None, j)])
            else:
                ops.append((i, j))
        return ops
    p, q = len(dels), len(ins)
    best = [[0] * (q + 1) for _ in range(p + 1)]
    for x in range(p - 1, -1, -1):
        for y in range(q - 1, -1, -1):
            s = score(dels[x], ins[y])
            take = best[x + 1][y + 1] + s if s else -1
            best[x][y] = max(take, best[x + 1][y], best[x][y + 1])
    ops = []
    x = y = 0
    while x < p and y < q:
        s = score(dels[x], ins[y])
        if s and best[x][y] == best[x + 1][y + 1] + s:
            ops.append((dels[x], ins[y]))
            x += 1
            y += 1
        elif best[x][y] == best[x + 1][y]:
            ops.append((dels[x], None))
            x += 1
        else:
            ops.append((None, ins[y]))
            y += 1
    ops.extend((dels[t], None) for t in range(x, p))
    ops.extend((None, ins[t]) for t in range(y, q))
    return ops


def align(a: Sequence[Hashable], b: Sequence[Hashable], score: Score) -> list[Op]:
    """Match equal keys (:func:`match`), then pair up each hunk's leftovers by ``score``.

    Symmetric by construction: a longest common subsequence is not unique, and
    which one an edit-script algorithm finds depends on which side is "A". So the
    two sides are put in a canonical order (by the text of their keys) before
    aligning, and the result swapped back; diff(B, A) is then exactly diff(A, B)
    mirrored. ``score`` must be symmetric too.
    """
    if (len(a), repr(a)) > (len(b), repr(b)):
        swapped = _align(b, a, lambda i, j: score(j, i))
        return [(j, i) for i, j in swapped]
    return _align(a, b, score)


def _align(a: Sequence[Hashable], b: Sequence[Hashable], score: Score) -> list[Op]:
    result: list[Op] = []
    dels: list[int] = []
    ins: list[int] = []
    for i, j in match(a, b):
        if i is not None and j is not None:
            result.extend(_pair_hunk(dels, ins, score))
            dels, ins = [], []
            result.append((i, j))
        elif i is not None:
            dels.append(i)
        elif j is not None:
            ins.append(j)
    result.extend(_pair_hunk(dels, ins, score))
    return result
