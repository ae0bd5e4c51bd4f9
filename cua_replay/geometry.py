"""Where a model's pointer coordinates land on the page: scaling and clamping.

The model sees screenshots of ``model_width x model_height`` pixels; the page
is ``width x height`` CSS pixels. There is one conversion, done in integers so
it is exact and deterministic::

    page_x = clamp((2 * clamp(x, 0, model_width - 1) + 1) * width // (2 * model_width),
                   0, width - 1)

i.e. the centre of the model's pixel ``x``, scaled, rounded down. With equal
sizes it is the identity; with a HiDPI screenshot (``device_scale_factor`` 2,
model space twice the CSS size) model pixels 2k and 2k+1 both land on CSS
pixel k. Clamping happens in model space *before* scaling and again in page
space, so no coordinate outside ``[0, width-1] x [0, height-1]`` can come out.
The seeds clamp to ``[0, width]``, one pixel off-screen; we do not.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from .errors import InvalidViewport

#: Largest scroll distance, in CSS pixels, sent to the browser in one action.
#: A hostile ``scroll_y=10**12`` becomes this, which still reaches any end of any page.
MAX_SCROLL = 100_000


class Position(BaseModel):
    """A pointer position: the model's original coordinates and where they execute."""

    model_config = ConfigDict(frozen=True)

    model_x: int
    model_y: int
    x: int
    y: int
    clamped: bool


@dataclass(frozen=True, slots=True, init=False)
class Viewport:
    """The page's CSS size and the size of the screenshots the model reasons about."""

    width: int
    height: int
    model_width: int
    model_height: int

    def __init__(
        self,
        width: int,
        height: int,
        *,
        model_width: int | None = None,
        model_height: int | None = None,
    ) -> None:
        sizes = {
            "width": width,
            "height": height,
            "model_width": width if model_width is None else model_width,
            "model_height": height if model_height is None else model_height,
        }
        for name, value in sizes.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidViewport(
                    f"Viewport {name}={value!r} is not a positive pixel size; "
                    "pass the browser viewport in CSS pixels, e.g. Viewport(1024, 768)."
                )
            object.__setattr__(self, name, value)

    @classmethod
    def hidpi(cls, width: int, height: int, device_scale_factor: float) -> Viewport:
        """A page of ``width x height`` CSS px whose screenshots are device pixels."""
        if not device_scale_factor > 0 or device_scale_factor != device_scale_factor:
            raise InvalidViewport(
                f"device_scale_factor={device_scale_factor!r} must be a positive number, e.g. 2."
            )
        return cls(
            width,
            height,
            model_width=max(1, round(width * device_scale_factor)),
            model_height=max(1, round(height * device_scale_factor)),
        )

    @property
    def scaled(self) -> bool:
        """True when the model's pixels are not the page's CSS pixels."""
        return (self.model_width, self.model_height) != (self.width, self.height)

    def position(self, x: int, y: int) -> Position:
        """Map a model coordinate to a page coordinate inside the viewport."""
        mx = min(max(x, 0), self.model_width - 1)
        my = min(max(y, 0), self.model_height - 1)
        px = _scale_pixel(mx, self.model_width, self.width)
        py = _scale_pixel(my, self.model_height, self.height)
        return Position(model_x=x, model_y=y, x=px, y=py, clamped=(mx, my) != (x, y))

    def scroll_delta(self, dx: int, dy: int) -> tuple[int, int]:
        """Scale a scroll distance to CSS px, rounding half away from zero, capped at MAX_SCROLL."""
        return (
            _scale_delta(dx, self.model_width, self.width),
            _scale_delta(dy, self.model_height, self.height),
        )


def _scale_pixel(value: int, source: int, target: int) -> int:
    return min(max((2 * value + 1) * target // (2 * source), 0), target - 1)


def _scale_delta(value: int, source: int, target: int) -> int:
    magnitude = min(abs(value), MAX_SCROLL * source // target + 1)
    scaled = min((2 * magnitude * target + source) // (2 * source), MAX_SCROLL)
    return -scaled if value < 0 else scaled
