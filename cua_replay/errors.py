"""The error tree of cua-replay: one root, and user errors that are also builtin errors.

::

    CuaReplayError
    ├── InvalidAction (ValueError)       a computer_call the model sent cannot be executed
    ├── UnknownKey (ValueError)          a key name that maps to no browser key
    ├── InvalidViewport (ValueError)     a viewport / display size that is not a positive size
    ├── ChromiumNotFound (RuntimeError)  no Chromium to drive, with how to get one
    └── FixtureSiteError (RuntimeError)  the bundled fixture site is missing or unreadable

Callers catch ``CuaReplayError`` for everything we raise on purpose, or a
builtin (``ValueError``) where they do not want to import us.
"""

from __future__ import annotations


class CuaReplayError(Exception):
    """Root of every error cua-replay raises on purpose."""


class UnknownKey(CuaReplayError, ValueError):
    """A key name that maps to no key the browser can press.

    Raised before anything reaches the browser; ``suggestions`` lists close
    matches from the documented vocabulary.
    """

    def __init__(self, name: str, suggestions: tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = (
            f" Did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else " Use a name from cua_replay.keys.KEY_ALIASES or a Playwright key name"
            " (https://playwright.dev/python/docs/api/class-keyboard)."
        )
        super().__init__(f"Unknown key name={name!r}.{hint}")

    def __repr__(self) -> str:
        return f"UnknownKey(name={self.name!r}, suggestions={self.suggestions!r})"


class InvalidAction(CuaReplayError, ValueError):
    """A ``computer_call`` (or one action in its batch) that cannot be executed.

    Carries where the problem is (``call_id``, ``index`` into the batch, the
    ``field`` path) and the offending ``value``, so the loop can report it to
    the model or the user without re-parsing anything.
    """

    def __init__(
        self,
        problem: str,
        *,
        call_id: str | None,
        index: int | None = None,
        field: str | None = None,
        value: object = None,
        advice: str = "",
    ) -> None:
        self.problem = problem
        self.call_id = call_id
        self.index = index
        self.field = field
        self.value = value
        self.advice = advice
        where = f"computer_call call_id={call_id!r}"
        if index is not None:
            where += f", action[{index}]"
        if field is not None:
            where += f", field {field!r}"
        message = f"{where}: {problem}"
        if advice:
            message += f" {advice}"
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"InvalidAction(call_id={self.call_id!r}, index={self.index!r}, "
            f"field={self.field!r}, problem={self.problem!r})"
        )


class InvalidViewport(CuaReplayError, ValueError):
    """A viewport or model display size that is not a positive pixel size."""


class ChromiumNotFound(CuaReplayError, RuntimeError):
    """No Chromium executable could be found for Playwright to launch."""


class FixtureSiteError(CuaReplayError, RuntimeError):
    """The bundled fixture site is missing or a path escapes its root."""
