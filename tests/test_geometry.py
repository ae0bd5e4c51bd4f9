from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cua_replay.errors import InvalidViewport
from cua_replay.geometry import MAX_SCROLL, Viewport

from .strategies import viewports

huge = st.integers(-(10**30), 10**30)


def test_identity_when_sizes_match() -> None:
    position = Viewport(1024, 768).position(10, 20)
    assert (position.x, position.y, position.clamped) == (10, 20, False)


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (
            1024,
            768,
            (1023, 767),
        ),  # the seeds' inclusive clamp would send x=1024, one pixel off-screen
        (-5, -1, (0, 0)),
        (10**12, 3, (1023, 3)),
        (1023, 767, (1023, 767)),
    ],
)
def test_clamps_to_the_last_visible_pixel(x: int, y: int, expected: tuple[int, int]) -> None:
    position = Viewport(1024, 768).position(x, y)
    assert (position.x, position.y) == expected
    assert (position.model_x, position.model_y) == (x, y)


def test_hidpi_model_pixels_map_to_css_pixels() -> None:
    viewport = Viewport.hidpi(1024, 768, 2)
    assert (viewport.model_width, viewport.model_height) == (2048, 1536)
    assert viewport.position(2047, 1535).x == 1023
    assert viewport.position(200, 100).x == 100
    assert viewport.position(201, 100).x == 100


def test_display_larger_than_viewport_scales_down() -> None:
    viewport = Viewport(1024, 768, model_width=1280, model_height=960)
    assert viewport.position(1279, 959).x == 1023
    assert viewport.position(640, 480).x == 512


@pytest.mark.parametrize(
    "args",
    [(0, 768), (1024, -1), (True, 768)],
)
def test_non_positive_viewport_raises(args: tuple[int, int]) -> None:
    with pytest.raises(InvalidViewport, match="positive pixel size"):
        Viewport(*args)


@pytest.mark.parametrize("scale", [0, -1, float("nan")])
def test_bad_device_scale_factor_raises(scale: float) -> None:
    with pytest.raises(InvalidViewport, match="device_scale_factor"):
        Viewport.hidpi(10, 10, scale)


@given(viewports(), huge, huge)
@example(Viewport(1, 1), 10**30, -(10**30))
def test_every_position_is_inside_the_viewport(viewport: Viewport, x: int, y: int) -> None:
    position = viewport.position(x, y)
    assert 0 <= position.x <= viewport.width - 1
    assert 0 <= position.y <= viewport.height - 1
    inside = 0 <= x < viewport.model_width and 0 <= y < viewport.model_height
    assert position.clamped is not inside


@given(viewports(), st.integers(0, 10**6), st.integers(0, 10**6))
def test_scaling_is_monotonic(viewport: Viewport, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert viewport.position(low, low).x <= viewport.position(high, high).x


@given(viewports(), huge, huge)
def test_scroll_delta_is_bounded_and_keeps_sign(viewport: Viewport, dx: int, dy: int) -> None:
    sx, sy = viewport.scroll_delta(dx, dy)
    for model, scaled in ((dx, sx), (dy, sy)):
        assert abs(scaled) <= MAX_SCROLL
        assert scaled == 0 or (scaled > 0) == (model > 0)


@given(st.integers(-(10**6), 10**6))
def test_scroll_delta_is_symmetric(d: int) -> None:
    viewport = Viewport.hidpi(800, 600, 1.5)
    assert viewport.scroll_delta(-d, -d) == tuple(-v for v in viewport.scroll_delta(d, d))
