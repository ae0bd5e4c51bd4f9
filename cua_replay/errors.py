"""The error tree of cua-replay: one root, and user errors that are also builtin errors.

::

    CuaReplayError
    ├── InvalidAction (ValueError)       a computer_call the model sent cannot be executed
    ├── UnknownKey (ValueError)          a key name that maps to no browser key
    ├── InvalidViewport (ValueError)     a viewport / display size that is not a positive size
    ├── InvalidSafetyPolicy (ValueError) a safety gate spec or policy that cannot decide anything
    ├── InvalidDomainEntry (ValueError)  an allow/block entry that is not a bare host name
    ├── ChromiumNotFound (RuntimeError)  no Chromium to drive, with how to get one
    ├── FixtureSiteError (RuntimeError)  the bundled fixture site is missing or unreadable
    ├── ExecutorError (RuntimeError)     the browser could not do what an executor asked
    ├── MissingSetting (ValueError)      a model connection setting or credential nobody gave
    ├── InvalidSetting (ValueError)      a setting, or the config file, that cannot be used
    └── BackendClosed (RuntimeError)     a model backend used after ``aclose()``

Callers catch ``CuaReplayError`` for everything we raise on purpose, or a
builtin (``ValueError``) where they do not want to import us.
"""

from __future__ import annotations

from pathlib import Path


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


class InvalidSafetyPolicy(CuaReplayError, ValueError):
    """A safety gate spec (``prompt``, ``deny``, ``allow:CODE,...``) or policy that is invalid.

    Raised when the gate is built, before any call is decided.
    """


class InvalidDomainEntry(CuaReplayError, ValueError):
    """An allow/block entry of a domain policy that is not a bare host name.

    ``entry`` is the offending value; raised when the policy is built.
    """

    def __init__(self, entry: object, problem: str) -> None:
        self.entry = entry
        self.problem = problem
        super().__init__(
            f"Invalid domain entry={entry!r}: {problem}. Write a bare host such as "
            "'example.com'; it also matches every subdomain (a.example.com)."
        )

    def __repr__(self) -> str:
        return f"InvalidDomainEntry(entry={self.entry!r}, problem={self.problem!r})"


class ChromiumNotFound(CuaReplayError, RuntimeError):
    """No Chromium executable could be found for Playwright to launch."""


class FixtureSiteError(CuaReplayError, RuntimeError):
    """The bundled fixture site is missing or a path escapes its root."""


class ExecutorError(CuaReplayError, RuntimeError):
    """The browser failed at something an executor must not skip, e.g. a screenshot.

    ``url`` is the page's URL when it failed; the Playwright error is the
    ``__cause__``.
    """

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)

    def __repr__(self) -> str:
        return f"ExecutorError(url={self.url!r}, message={str(self)!r})"


class MissingSetting(CuaReplayError, ValueError):
    """A model connection setting or credential that no source provided.

    The message names the environment variable(s) and CLI flag(s) that would
    provide it; ``setting``, ``env`` and ``flags`` carry the same for callers.
    """

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        env: tuple[str, ...] = (),
        flags: tuple[str, ...] = (),
    ) -> None:
        self.setting = setting
        self.env = env
        self.flags = flags
        super().__init__(message)

    def __repr__(self) -> str:
        return f"MissingSetting(setting={self.setting!r}, env={self.env!r}, flags={self.flags!r})"


class InvalidSetting(CuaReplayError, ValueError):
    """A setting that cannot be used, or a config file that cannot be read.

    ``setting`` is the field (``None`` for a whole-file problem), ``source``
    where the value came from (``"--api-key"``, ``"env OPENAI_API_KEY"``, a
    config file) and ``path`` the config file involved, if any. Secret values
    never appear in the message.
    """

    def __init__(
        self,
        message: str,
        *,
        setting: str | None = None,
        source: str | None = None,
        path: Path | None = None,
    ) -> None:
        self.setting = setting
        self.source = source
        self.path = path
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"InvalidSetting(setting={self.setting!r}, source={self.source!r}, path={self.path!r})"
        )


class BackendClosed(CuaReplayError, RuntimeError):
    """A model backend was used after ``aclose()``; build a new one instead."""
