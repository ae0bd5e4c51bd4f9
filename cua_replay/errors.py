"""The error tree of cua-replay: one root, and user errors that are also builtin errors.

::

    CuaReplayError
    ├── InvalidAction (ValueError)       a computer_call the model sent cannot be executed
    ├── UnknownKey (ValueError)          a key name that maps to no browser key
    ├── InvalidViewport (ValueError)     a viewport / display size that is not a positive size
    ├── InvalidSafetyPolicy (ValueError) a safety gate spec or policy that cannot decide anything
    ├── InvalidDomainEntry (ValueError)  an allow/block entry that is not a bare host name
    ├── ChromiumNotFound (RuntimeError)  no Chromium to drive, with how to get one
    ├── MissingExtra (ImportError)       an integration whose tool (an extra) is not installed
    ├── FixtureSiteError (RuntimeError)  the bundled fixture site is missing or unreadable
    ├── ExecutorError (RuntimeError)     the browser could not do what an executor asked
    ├── MissingSetting (ValueError)      a model connection setting or credential nobody gave
    ├── InvalidSetting (ValueError)      a setting, or the config file, that cannot be used
    ├── InvalidImage (ValueError)        screenshot bytes that are not a readable PNG
    ├── BackendClosed (RuntimeError)     a model backend used after ``aclose()``
    ├── ModelStreamError (RuntimeError)  a streamed response that broke before it finished
    ├── CassetteNotFound (FileNotFoundError)  no cassette where one should be
    ├── InvalidCassette (ValueError)     a cassette that does not load: corrupt, edited, too new
    ├── CassetteNotWritable (OSError)    a cassette directory that cannot be written or cleaned
    ├── ReplayMismatch (AssertionError)  a replayed run did something the recording did not
    ├── NotReplayable (RuntimeError)     a request a replay cannot answer (cua_replay.replay.http)
    ├── ScenarioError (ValueError)       a fake-server scenario file or name that cannot be used
    └── NetworkBlocked (OSError)         a non-loopback connection while replaying offline

Callers catch ``CuaReplayError`` for everything we raise on purpose, or a
builtin (``ValueError``) where they do not want to import us. All of them are
importable from :mod:`cua_replay`. (``cua_replay.wire.envelopes.APIError`` is
not in the tree: it is an HTTP answer of the fake server, never raised to
users.)
"""

from __future__ import annotations

from dataclasses import dataclass
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


class MissingExtra(CuaReplayError, ImportError):
    """An integration imported without the tool it adapts, e.g. the vcrpy adapter without vcrpy.

    Raised when the integration module is imported, so the user learns it at
    the top of a test run, not from a failure deep inside a call. Also an
    ``ImportError``: ``pytest.importorskip`` and ``except ImportError`` work.
    """

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is not installed: pip install 'cua-replay[{extra}]'")


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


class InvalidImage(CuaReplayError, ValueError):
    """Screenshot bytes that are not a PNG, or a PNG that cannot be decoded.

    The message says what is wrong (empty, another format, a bad header,
    truncated data) so a corrupt cassette is found at the image, not later as
    a confusing replay mismatch.
    """


class BackendClosed(CuaReplayError, RuntimeError):
    """A model backend was used after ``aclose()``; build a new one instead."""


class ModelStreamError(CuaReplayError, RuntimeError):
    """A streamed model response that ended without a whole response.

    Either the stream sent an ``error`` event (``code`` is its code, ``None``
    if it gave none) or it ended before ``response.completed`` /
    ``response.failed`` / ``response.incomplete``. ``events`` is how many
    events arrived, the failing one included.
    """

    def __init__(self, message: str, *, code: str | None = None, events: int = 0) -> None:
        self.code = code
        self.events = events
        super().__init__(message)

    def __repr__(self) -> str:
        return f"ModelStreamError(code={self.code!r}, events={self.events!r})"


class CassetteNotFound(CuaReplayError, FileNotFoundError):
    """No cassette (no ``run.json``) in ``directory``."""

    def __init__(self, directory: Path, advice: str = "") -> None:
        self.directory = directory
        super().__init__(
            f"No cassette at {directory} (no run.json). "
            + (
                advice
                or "Record one first: cua-replay run ... --record DIR, "
                "or pytest --cua-record-mode=once."
            )
        )


class ScenarioError(CuaReplayError, ValueError):
    """A scenario file or name that cannot be used; the message says where and why.

    Raised by :mod:`cua_replay.server.scenario` (and re-exported there).
    """


class NetworkBlocked(CuaReplayError, OSError):
    """A connection to a non-loopback host while replaying offline.

    Raised by :func:`cua_replay.netguard.loopback_only` (and re-exported there);
    ``host`` is the host that was refused.
    """

    def __init__(self, host: object) -> None:
        self.host = host
        super().__init__(
            f"Network access to {host!r} is blocked: this test replays a cassette offline and may "
            "reach only loopback. Record the traffic it needs (--cua-record-mode=once) or point "
            "the client at a fake server on 127.0.0.1."
        )


class InvalidCassette(CuaReplayError, ValueError):
    """A cassette that cannot be loaded or written as asked: corrupt, edited, too new, in use."""


class CassetteNotWritable(CuaReplayError, OSError):
    """A cassette directory the file system will not let us write or clean.

    A path under a file, a read-only or full file system, no permission:
    ``path`` is what could not be written or removed, and the message says what
    to do. Raised instead of the bare ``OSError`` so a recording or ``gc``
    fails in one line.
    """

    def __init__(self, path: Path, problem: str, advice: str) -> None:
        self.path = path
        super().__init__(f"Cannot write {path}: {problem}. {advice}")

    def __repr__(self) -> str:
        return f"CassetteNotWritable(path={str(self.path)!r})"


@dataclass(frozen=True)
class Difference:
    """One field that differs: where (a JSON path), the recorded and the live value."""

    path: str
    recorded: object
    live: object
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: recorded {_brief(self.recorded)}, live {_brief(self.live)}"
        return f"{text} ({self.note})" if self.note else text


def _brief(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"... ({len(text)} chars)"


class ReplayMismatch(CuaReplayError, AssertionError):
    """A replay diverged from its recording at ``step``.

    ``what`` is ``request`` (the code under test sent a different request),
    ``action`` (it executed a different action), ``safety`` (it decided a check
    differently), ``exhausted`` (it asked for more than was recorded) or
    ``stop`` (it stopped earlier or otherwise). ``differences`` are field by
    field; ``files`` are the recorded / live / diff screenshots written for an
    image that differs.
    """

    def __init__(
        self,
        step: int,
        what: str,
        summary: str,
        *,
        cassette: Path | None = None,
        differences: tuple[Difference, ...] = (),
        files: tuple[Path, ...] = (),
    ) -> None:
        self.step = step
        self.what = what
        self.summary = summary
        self.cassette = cassette
        self.differences = differences
        self.files = files
        lines = [
            f"Replay of {cassette or 'the cassette'} diverged at step {step} ({what}): {summary}"
        ]
        lines += [f"  - {difference}" for difference in differences[:20]]
        if len(differences) > 20:
            lines.append(f"  ... and {len(differences) - 20} more differences")
        if files:
            lines.append("  screenshots: " + ", ".join(str(f) for f in files))
        super().__init__("\n".join(lines))

    def __repr__(self) -> str:
        count = len(self.differences)
        return f"ReplayMismatch(step={self.step!r}, what={self.what!r}, differences={count})"
