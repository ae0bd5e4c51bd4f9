"""Properties of the diff over hand-built trajectories (in memory, no browser)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cua_replay.diff import DiffOptions, DiffResult, diff_cassettes
from cua_replay.diff.align import match

from .builders import build, click, drag, key, run_of, scroll, type_

TOL = 8.0
coord = st.integers(min_value=0, max_value=1000)
actions = st.one_of(
    st.builds(click, coord, coord, st.sampled_from(["left", "right"])),
    st.builds(type_, st.sampled_from(["a", "b", "hello"])),
    st.builds(key, st.sampled_from(["Enter", "Tab", "Escape"])),
    st.builds(scroll, coord, coord, st.sampled_from([0, 100, -100]), st.sampled_from([0, 300])),
    st.builds(lambda x, y, u, v: drag((x, y), (u, v)), coord, coord, coord, coord),
)
trajectories = st.lists(actions, min_size=0, max_size=25)


def _diff(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> DiffResult:
    return diff_cassettes(build(run_of(a)), build(run_of(b)), DiffOptions(tolerance=TOL))


def _differences(result: DiffResult) -> list[str]:
    return [p.kind for p in result.pairs if p.kind in {"changed", "only_a", "only_b"}]


@given(trajectories)
def test_a_run_diffed_with_itself_reports_nothing(a: list[dict[str, Any]]) -> None:
    result = _diff(a, a)
    assert result.same
    assert all(p.kind == "same" for p in result.pairs)
    assert result.first_divergence is None
    assert not result.differing_outcomes


@given(trajectories, trajectories)
def test_diff_mirrors_its_reverse(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    ab, ba = _diff(a, b), _diff(b, a)
    assert ab.same == ba.same
    swapped = {"only_a": "only_b", "only_b": "only_a"}
    assert {swapped.get(k, k): v for k, v in ab.counts.items()} == ba.counts
    assert [o.name for o in ab.differing_outcomes] == [o.name for o in ba.differing_outcomes]
    assert (ab.first_divergence is None) == (ba.first_divergence is None)

    def ref(e: Any) -> tuple[int, int] | None:
        return None if e is None else (e.step, e.index)

    forward = sorted((swapped.get(p.kind, p.kind), ref(p.b), ref(p.a)) for p in ab.pairs)
    backward = sorted((p.kind, ref(p.a), ref(p.b)) for p in ba.pairs)
    assert forward == backward


@given(trajectories, actions, st.data())
def test_inserting_one_step_gives_exactly_one_only_in(
    a: list[dict[str, Any]], extra: dict[str, Any], data: st.DataObject
) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(a)))
    b = [*a[:at], extra, *a[at:]]
    result = _diff(a, b)
    assert _differences(result) == ["only_b"]
    assert result.counts["only_b"] == 1 and result.counts["only_a"] == 0
    assert _differences(_diff(b, a)) == ["only_a"]
    assert not result.same


@given(
    trajectories,
    st.data(),
    st.integers(min_value=-50, max_value=50),
    st.integers(min_value=-50, max_value=50),
)
def test_a_move_within_tolerance_is_no_difference_and_beyond_it_is(
    a: list[dict[str, Any]], data: st.DataObject, dx: int, dy: int
) -> None:
    a = [*a, click(500, 500)]
    index = data.draw(st.integers(min_value=0, max_value=len(a) - 1))
    moved = dict(a[index])
    if moved["type"] != "click":
        index, moved = len(a) - 1, dict(a[-1])
    at = moved["at"]
    moved["at"] = {**at, "x": at["x"] + dx, "y": at["y"] + dy}
    b = [*a[:index], moved, *a[index + 1 :]]
    result = _diff(a, b)
    distance = (dx * dx + dy * dy) ** 0.5
    if distance == 0:
        assert all(p.kind == "same" for p in result.pairs)
    elif distance <= TOL:
        assert result.same, result.pairs
        assert result.counts["moved"] >= 1
    else:
        assert not result.same
        assert _differences(result) == ["changed"]


@given(st.lists(st.integers(0, 4), max_size=30), st.lists(st.integers(0, 4), max_size=30))
def test_match_is_a_longest_common_subsequence(a: list[int], b: list[int]) -> None:
    pairs = [(i, j) for i, j in match(a, b) if i is not None and j is not None]
    assert all(a[i] == b[j] for i, j in pairs)
    n, m = len(a), len(b)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            lcs[i + 1][j + 1] = lcs[i][j] + 1 if a[i] == b[j] else max(lcs[i][j + 1], lcs[i + 1][j])
    assert len(pairs) == lcs[n][m]
    ops = match(a, b)
    assert [i for i, _ in ops if i is not None] == list(range(n))
    assert [j for _, j in ops if j is not None] == list(range(m))
