"""Replay a cassette as a whole run: the recorded task repeated through the loop engine.

Orchestration, on top of :mod:`cua_replay.replay` (which checks) and
:mod:`cua_replay.run` (which runs a task): the run's options come back from the
manifest, and the loop runs again with the model replayed, either in the real
browser (every action executed again) or against the recorded observations
(:class:`~cua_replay.replay.recorded.RecordedExecutor`, no browser at all).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .cassette.store import Cassette, load_cassette
from .errors import InvalidCassette, InvalidSetting
from .replay.behaviour import WatchedAsRecorded
from .replay.hosts import ReplayPolicy, is_local
from .replay.options import ReplayOptions
from .replay.session import ReplayResult, ReplaySession
from .safety import SafetyGate
from .settings import Settings

if TYPE_CHECKING:
    from .loop import RunResult
    from .run import RunOptions


ExecutorKind = Literal["browser", "recorded"]


def run_options(
    cassette: Cassette, *, environ: Mapping[str, str] = os.environ, **overrides: Any
) -> RunOptions:
    """The :class:`~cua_replay.run.RunOptions` the cassette was recorded with; ``overrides`` win.

    The connection is resolved from ``environ`` (and ``./cua-replay.toml``) with
    the recorded model. Raises :class:`InvalidCassette` for a recording that
    does not say what task it ran (a transport-only recording: replay it
    through the transport).
    """
    from .run import RunOptions
    from .settings import Settings

    check_repeatable(cassette)
    manifest = cassette.manifest
    options = RunOptions(
        task=manifest.task,
        start_url=manifest.start_url,
        settings=Settings(_environ=environ).replace("the recording", model=manifest.model),
        tool=manifest.tool,
        display=manifest.display,
        **_computer(cassette),
    ).with_recorded(manifest.settings)
    return dataclasses.replace(options, **overrides)


def _computer(cassette: Cassette) -> dict[str, Any]:
    """``computer`` and ``environment`` for a recording: a desktop one's environment is not
    ``browser``, and it is repeated on a private Xvfb."""
    environment = cassette.manifest.environment
    if environment in (None, "browser"):
        return {}
    return {"computer": "desktop", "environment": environment}


def check_repeatable(cassette: Cassette) -> None:
    """Raise :class:`InvalidCassette` unless our loop ran this recording and can run it again.

    A cassette of another client (recorded from its HTTP traffic only: no step
    holds an action the loop executed, or no task and model in the manifest) is
    replayed for that client, not re-run by ours; the error says how.
    """
    manifest = cassette.manifest
    directory = cassette.directory
    instead = (
        f"replay it for the client that made it: `cua-replay serve --cassette {directory}` "
        f"(any language) or `replay_client('{directory}')` (Python), or show/report/diff it."
    )
    from_wire = any(
        item.get("type") == "computer_call"
        for step in cassette.steps
        for item in (step.response or {}).get("output") or []
        if isinstance(item, dict)
    ) and not any(step.actions or step.observations for step in cassette.steps)
    if from_wire:
        raise InvalidCassette(
            f"{directory} was recorded from another client's HTTP traffic, not by "
            f"`cua-replay run`, so our loop cannot re-run it; {instead}"
        )
    if not manifest.task or not manifest.model:
        raise InvalidCassette(
            f"{directory}/run.json names no task or model (task={manifest.task!r}, "
            f"model={manifest.model!r}), so the run cannot be repeated in-process; {instead}"
        )


def url_problem(url: str, *, schemes: tuple[str, ...]) -> str | None:
    """What is wrong with ``url`` as a page to open (``None`` if nothing), for a one-line error.

    ``urlsplit`` raises on a bracket left open (``http://[::1``) and ``.port`` on a port past
    65535, so both are asked here, where the answer is a sentence, not a traceback.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in schemes:
        named = "an http(s) page" if schemes == ("http", "https") else "a " + "/".join(schemes)
        return f"is not {named}"
    if parts.scheme in ("http", "https") and not parts.hostname:
        return "names no host"
    return None


def check_start_url(cassette: Cassette, *, allow_local: bool = False) -> None:
    """Refuse a start page a replay in the browser must not open, in one line.

    The manifest says where the run began, and a cassette from elsewhere may say
    ``file:///etc/passwd``, ``javascript:...`` or an address on this machine or
    its network. Only ``http(s)`` pages open, and loopback, private and
    link-local hosts only with ``allow_local`` (``--allow-local``); every
    request after it keeps to :class:`~cua_replay.replay.hosts.ReplayPolicy`.
    """
    url = cassette.manifest.start_url
    if not url:
        return
    where = f"{cassette.directory}/run.json's start_url {url[:200]!r}"
    problem = url_problem(url, schemes=("http", "https"))
    if problem is not None:
        raise InvalidCassette(
            f"{where} {problem}, so the browser will not open it; replay the "
            "cassette offline with --executor recorded."
        )
    if is_local(urlsplit(url).hostname or "") and not allow_local:
        raise InvalidCassette(
            f"{where} is on this machine or a private network; pass --allow-local "
            "(allow_local=True) if you trust this cassette, or replay it with --executor "
            "recorded."
        )


async def replay_cassette(
    directory: Path | str,
    *,
    executor: ExecutorKind = "browser",
    options: ReplayOptions | None = None,
    gate: SafetyGate | None = None,
    listeners: Iterable[Any] = (),
    environ: Mapping[str, str] = os.environ,
    allow_local: bool = False,
    allow_hosts: Iterable[str] = (),
    on_blocked: Callable[[str], None] | None = None,
) -> ReplayResult:
    """Replay the cassette in ``directory`` and check it; raises :class:`ReplayMismatch`.

    ``executor="browser"`` re-executes every action in Chromium (on the
    bundled fixture site when the start page is there), or for a desktop
    recording on a private Xvfb (with the bundled app), with the model
    replayed; ``"recorded"`` needs no browser: the recorded screenshots and
    URLs come back in order. ``options`` say how strictly each request is
    checked. ``gate`` replaces the recorded decisions (asked with the
    recording's ``watched``). No credential is needed. A cassette is untrusted
    input: the browser opens only an ``http(s)`` start page, and one on this
    machine or a private network only with ``allow_local``
    (:func:`check_start_url`), and every request keeps to the hosts the
    recording visited, the fixture hosts and ``allow_hosts`` (``HOST`` or
    ``HOST:PORT``), within the recording's own domain policy
    (:class:`~cua_replay.replay.hosts.ReplayPolicy`); each refused host is
    reported once, in one line, to ``on_blocked`` (default: a logged warning).
    """
    cassette = load_cassette(directory)
    policy = None
    if executor == "browser" and not _computer(cassette):  # a desktop run opens no page
        from .site import FixtureSite

        check_start_url(cassette, allow_local=allow_local)
        policy = ReplayPolicy.for_cassette(
            cassette,
            fixture_hosts=FixtureSite().hosts,
            allow_hosts=allow_hosts,
            allow_local=allow_local,
            report=on_blocked,
        )
    session = ReplaySession(cassette, options, environ=environ)
    recorded = run_options(cassette, environ=environ)
    decider: SafetyGate = WatchedAsRecorded(
        gate or session.gate, cassette.manifest.settings.watched
    )
    watchers = [session.listener, *listeners]
    if executor == "recorded":
        result = await _replay_recorded(session, recorded, decider, watchers)
    elif executor == "browser":
        from .run import run_task

        outcome = await run_task(
            recorded,
            backend=session.backend,
            gate=decider,
            listeners=watchers,
            environ=environ,
            policy=policy,
        )
        result = outcome.result
    else:
        raise InvalidSetting(
            f"executor={executor!r} is not 'browser' or 'recorded'.", setting="executor"
        )
    return session.finish(result)


async def _replay_recorded(
    session: ReplaySession, options: RunOptions, gate: SafetyGate, listeners: list[Any]
) -> RunResult:
    from .loop import Loop
    from .replay.recorded import RecordedExecutor
    from .run import loop_config, plan

    resolved = plan(options)
    executor = RecordedExecutor(session.cassette, session=session)
    config = loop_config(
        options, resolved, options.model or "", watched=session.cassette.manifest.settings.watched
    )
    loop = Loop(session.backend, executor, gate, config, listeners=listeners, domains=executor)
    return await loop.run(resolved.task)


def resumed_options(
    options: RunOptions, cassette: Cassette, *, explicit: Iterable[str] = ()
) -> RunOptions:
    """``options`` with what the recording says filled in: the run being resumed.

    The task, start page, model, tool and display come from the recording
    where ``options`` leaves them unset; the run settings the recording holds
    (:class:`~cua_replay.cassette.format.RunSettings`) come from it unless
    named in ``explicit`` (the options the user gave), since the replayed
    steps only match when the run is set up as it was.
    """
    check_repeatable(cassette)
    manifest = cassette.manifest
    changes: dict[str, Any] = {}
    for name in ("task", "start_url", "tool", "display"):
        if getattr(options, name) is None:
            changes[name] = getattr(manifest, name)
    settings = options.settings or Settings()
    if settings.model is None and manifest.model is not None:
        settings = settings.replace("the recording", model=manifest.model)
    changes["settings"] = settings
    if options.computer == "browser":
        changes |= _computer(cassette)
    return dataclasses.replace(options, **changes).with_recorded(manifest.settings, keep=explicit)
