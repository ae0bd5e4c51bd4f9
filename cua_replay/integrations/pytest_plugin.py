"""pytest plugin (entry point ``pytest11``): ``fake_responses_server`` and ``cua_cassette``.

``fake_responses_server`` starts the fake Responses API in-process on an ephemeral loopback
port for one test and yields the :class:`~cua_replay.server.FakeResponsesServer`
(``.urls`` holds the base URLs, ``.state.log`` the handled requests). Pick the
scenario with a marker, a built-in name, a file or an inline ``Scenario``::

    @pytest.mark.fake_scenario("form", api_key="sk-test")
    def test_form(fake_responses_server):
        client = OpenAI(base_url=fake_responses_server.urls.openai_base_url, api_key="sk-test")

``cua_cassette`` gives each test its own cassette directory
(``cassettes/<module>/<test>/`` beside the test file, pytest-recording's
naming) and the parts to plug into a loop::

    def test_mug(cua_cassette):
        loop = Loop(cua_cassette.backend(), executor, gate, config,
                    listeners=cua_cassette.listeners)
        result = asyncio.run(loop.run("Find the blue mug"))
        cua_cassette.check(result)   # replay: raise the first divergence

Code that takes a client (a team's own loop, the SDK's ``ComputerToolset``, the
Agents SDK) gets one from the same cassette instead: ``cua_openai``,
``cua_async_openai``, ``cua_azure_openai`` and ``cua_async_azure_openai`` are SDK
clients, ``cua_http_client`` and ``cua_async_http_client`` the ``httpx2`` clients
under them (for ``OpenAI(http_client=...)`` built by the test itself)::

    def test_checkout(cua_openai):
        response = ComputerToolset(driver).run(cua_openai, params)

    def test_agent(cua_async_openai):
        set_default_openai_client(cua_async_openai, use_for_tracing=False)
        asyncio.run(Runner.run(agent, task))

Recording, they send to the service the environment names (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``, ``AZURE_OPENAI_ENDPOINT``, ...) or to what the
``cua_client_options`` fixture returns (the clients' keyword arguments; override
it, e.g. with a fake server's base URL), and every exchange is recorded, retries
included. Replaying, every answer comes from the cassette: the recorded retries
and errors too, so the client's retry logic runs as it did, and the safety
checks it acknowledged must be acknowledged again; no credentials are needed
(placeholders stand in for those the environment lacks). A request that
differs from the recorded one fails the test naming the step and the field,
with the screenshots written beside the cassette; so does a test that stops
before the recording does. Close an async client in its own event loop
(``async with cua_async_openai:``); sync ones are closed after the test.

``--cua-record-mode=none`` (default) replays only and blocks the network
except loopback; ``once``, ``new`` and ``all`` record (see :class:`RecordMode`).
Under ``new`` the client fixtures do what ``cua-replay proxy --record-mode new``
does: each conversation is answered from the cassette as far as its recording
goes; its first request with no recorded counterpart (a new task, a step past
where the recording ends) goes to the service, and so does the rest of that
conversation, recorded; the new steps are added to the cassette when the test
ends. Only ``new`` and recording let anything past loopback.
``--cua-match`` and ``--cua-threshold`` set the match policy. Replays are
independent of each other, so ``pytest -n auto`` (pytest-xdist) spreads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:  # loaded by pytest itself (entry point pytest11); imported by hand it needs the extra
    import pytest
except ModuleNotFoundError as missing:
    if missing.name != "pytest":
        raise
    from ..errors import MissingExtra

    raise MissingExtra("pytest", "pytest") from None

# The client fixtures (cua_openai, cua_http_client, ...): pytest finds a plugin's fixtures
# in its namespace.
from .pytest_clients import *  # noqa: F403

if TYPE_CHECKING:
    import httpx2

    from ..backends import ModelBackend
    from ..events import Listener
    from ..record.recorder import Recorder
    from ..replay.session import ReplaySession
    from ..replay.transport import ReplayTransport
    from ..server import FakeResponsesServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_scenario(scenario, *, api_key=None, seed=None): the scenario (built-in name, file "
        "path or Scenario) the fake_responses_server fixture serves; default 'demo'",
    )
    config.addinivalue_line(
        "markers",
        "cua_cassette(name=None, *, path=None, record_mode=None, match=None, threshold=None): "
        "the cassette the cua_cassette fixture records or replays (default: named after the "
        "test, in cassettes/<module>/ beside the test file; path= names a directory)",
    )


@pytest.fixture
def fake_responses_server(request: pytest.FixtureRequest) -> Iterator[FakeResponsesServer]:
    """The fake Responses API on ``127.0.0.1:<free port>`` for this test."""
    from ..server import FakeResponsesServer

    marker = request.node.get_closest_marker("fake_scenario")
    scenario = marker.args[0] if marker and marker.args else getattr(request, "param", "demo")
    options = dict(marker.kwargs) if marker else {}
    with FakeResponsesServer(scenario, **options) as server:
        yield server


# -- cassettes -----------------------------------------------------------------------------


class RecordMode(StrEnum):
    """pytest-recording's modes, for cassettes of computer-use runs.

    ``none`` (default) replays only: a missing cassette fails the test, no
    credentials are needed and the network is blocked except loopback.
    ``once`` records a missing cassette and replays an existing one. ``new``
    replays what is recorded and records the steps beyond it (the run goes
    live where the recording ends): through the loop (:meth:`CassetteFixture.backend`)
    the whole run is written again; through the client fixtures only what the
    cassette lacks is recorded, per conversation, and added to it (as the
    proxy's ``new``). A missing cassette is recorded whole. ``all`` records
    every time, replacing the cassette.
    """

    NONE = "none"
    ONCE = "once"
    NEW = "new"
    ALL = "all"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cua-replay", "cua-replay cassettes of computer-use runs")
    group.addoption(
        "--cua-record-mode",
        default=None,
        choices=[mode.value for mode in RecordMode],
        help="none (default: replay only), once, new or all.",
    )
    group.addoption(
        "--cua-match",
        default=None,
        choices=["strict", "structural", "sequential"],
        help="How replayed requests must match the recorded ones (default structural).",
    )
    group.addoption(
        "--cua-threshold",
        default=None,
        type=float,
        help="Fraction of pixels two screenshots may differ in (structural; default 0.01).",
    )
    group.addoption(
        "--cua-cassette-dir",
        default=None,
        help="Root of the cassettes (default: a 'cassettes' directory beside each test file).",
    )
    parser.addini("cua_record_mode", "Default --cua-record-mode.", default="none")
    parser.addini("cua_match", "Default --cua-match.", default="structural")


def cassette_path(request: pytest.FixtureRequest, name: str | None = None) -> Path:
    """``<root>/<module>/<[Class.]test>``, pytest-recording's naming, as a directory."""
    option = request.config.getoption("--cua-cassette-dir")
    module: Path = request.node.path
    root = Path(option) if option else module.parent / "cassettes"
    if name is None:
        name = request.node.name
        if request.cls is not None:
            name = f"{request.cls.__name__}.{name}"
    safe = "".join(c if c.isalnum() or c in "._-[]" else "_" for c in name)
    return root / module.stem / safe


@dataclass
class CassetteFixture:
    """One test's cassette: what to plug into the loop (or the client) to record or replay it."""

    path: Path
    mode: RecordMode
    match: str
    threshold: float
    replaying: bool
    session: ReplaySession | None = None
    recorder: Recorder | None = None
    _live: list[ModelBackend] = field(default_factory=list)
    _replay: ReplayTransport | None = None
    _resumed: bool = False

    def backend(
        self, live: ModelBackend | Callable[[], ModelBackend] | None = None
    ) -> ModelBackend:
        """The model backend for the loop.

        Replaying: the recorded responses (``live`` is not called, so no credentials are needed).
        Recording: ``live`` (a backend, or a function making one), by default the real API
        from the environment (``OPENAI_API_KEY``, ``AZURE_OPENAI_*``), its traffic recorded.
        With ``--cua-record-mode=new`` the recorded steps are replayed and the run goes live
        after them.
        """
        if self.offline:
            assert self.session is not None
            return self.session.backend
        made = self._make_live(live)
        if self.mode is RecordMode.NEW and self.session is not None:
            from ..replay.resume import resume_backend

            self._one_way_to_extend(loop=True)
            return resume_backend(
                self.session.cassette, made, from_step=len(self.session.cassette) + 1
            )
        return made

    def _make_live(self, live: ModelBackend | Callable[[], ModelBackend] | None) -> ModelBackend:
        if live is None:
            from ..backends import backend_from_settings
            from ..record.transport import async_recording_client
            from ..settings import Settings

            assert self.recorder is not None
            made = backend_from_settings(
                Settings(), http_client=async_recording_client(self.recorder.exchange)
            )
            self._live.append(made)
            return made
        from ..backends import ModelBackend

        return live if isinstance(live, ModelBackend) else live()

    @property
    def offline(self) -> bool:
        """Whether everything is answered from the cassette (``new`` may go upstream)."""
        return self.replaying and self.mode is not RecordMode.NEW

    @property
    def extending(self) -> bool:
        """``new`` over an existing cassette: recorded steps replay, the rest is recorded."""
        return self.replaying and self.mode is RecordMode.NEW

    @property
    def listeners(self) -> list[Listener]:
        """Pass these to the :class:`~cua_replay.loop.Loop` (its ``listeners=``)."""
        if self.recorder is not None:
            return [self.recorder]
        assert self.session is not None
        return [self.session.listener]

    @property
    def recorded_gate(self) -> Any:
        """A safety gate deciding as the recording did (replay only)."""
        if self.session is None:
            raise RuntimeError(f"{self.path} is being recorded; there is no recorded decision yet.")
        return self.session.gate

    def executor(self) -> Any:
        """A :class:`~cua_replay.replay.recorded.RecordedExecutor`: replay with no browser."""
        if self.session is None:
            raise RuntimeError(
                f"{self.path} is being recorded: a recorded executor needs a recording. "
                "Use a real executor when recording."
            )
        from ..replay.recorded import RecordedExecutor

        return RecordedExecutor(self.session.cassette, session=self.session)

    def http_client(self, **kwargs: Any) -> httpx2.Client:
        """A sync ``httpx2`` client for the test's own SDK client: it records or replays.

        Recording, one :func:`~cua_replay.record.recording_client` (the SDK's
        defaults; ``kwargs`` go to it); replaying, a client answered by the
        cassette, never the network; under ``new``, a client answered by the
        cassette as far as it goes, each conversation recorded from its first
        request the cassette cannot answer (see
        :class:`~cua_replay.record.rest.RecordRestTransport`). The async twin is
        :meth:`async_http_client`.
        """
        if self.extending:
            from ..record.rest import record_rest_client

            return record_rest_client(self._replay_transport(), self._sink(), **kwargs)
        if self.replaying:
            from ..replay.transport import ReplayClient

            return ReplayClient(self._replay_transport(), **kwargs)
        from ..record.transport import recording_client

        return recording_client(self._sink(), **kwargs)

    def async_http_client(self, **kwargs: Any) -> httpx2.AsyncClient:
        """The async twin of :meth:`http_client`, for ``AsyncOpenAI(http_client=...)``."""
        if self.extending:
            from ..record.rest import async_record_rest_client

            return async_record_rest_client(self._replay_transport(), self._sink(), **kwargs)
        if self.replaying:
            from ..replay.transport import AsyncReplayClient

            return AsyncReplayClient(self._replay_transport(), **kwargs)
        from ..record.transport import async_recording_client

        return async_recording_client(self._sink(), **kwargs)

    def _sink(self) -> Callable[[Any], None]:
        assert self.recorder is not None
        return self.recorder.exchange

    def _replay_transport(self) -> ReplayTransport:
        """One transport (one cursor) for every client of the test, sync or async.

        Under ``new`` it picks each request's step as the proxy does, by the
        conversation the request continues
        (:class:`~cua_replay.replay.conversations.Conversations`), and hands a
        request it has no step for back, to be sent upstream.
        """
        if self._replay is None:
            from ..replay.conversations import Conversations
            from ..replay.cursor import ReplayCursor
            from ..replay.matchers import MatchPolicy
            from ..replay.options import ReplayOptions
            from ..replay.transport import ReplayTransport

            assert self.session is not None
            options = ReplayOptions(MatchPolicy.parse(self.match), self.threshold)
            if self.extending:
                self._one_way_to_extend(loop=False)
                cursor = ReplayCursor(self.session.cassette, options)
                select = Conversations(cursor, record_rest=True).select
                self._replay = ReplayTransport(cursor, select=select)
            else:
                self._replay = ReplayTransport(self.session.cassette, options)
        return self._replay

    def _one_way_to_extend(self, *, loop: bool) -> None:
        """``new`` extends a cassette through the loop or through clients, not both at once.

        The loop re-records the whole run and replaces the cassette; the clients
        record only what the cassette lacks and add it. One test doing both would
        leave a cassette holding neither run whole.
        """
        other = self._replay is not None if loop else self._resumed
        self._resumed = self._resumed or loop
        if other:
            from ..errors import InvalidSetting

            raise InvalidSetting(
                f"--cua-record-mode=new cannot extend {self.path} through both the loop "
                "(cua_cassette.backend()) and a client fixture in one test; use one of them, "
                "or record the test with --cua-record-mode=all.",
                setting="cua_record_mode",
            )

    def wire_failure(self) -> Exception | None:
        """The first divergence of the clients' replay, or its end before the recording's.

        Under ``new`` a test may stop before the recording does: the cassette
        keeps its steps, so only a divergence counts.
        """
        replay = self._replay
        if replay is None:
            return None
        if replay.failures:
            return replay.failures[0]
        if replay.finished or self.extending:
            return None
        from ..errors import ReplayMismatch

        sent, recorded = replay.cursor.position, len(replay.cursor.cassette.steps)
        return ReplayMismatch(
            sent + 1,
            "stop",
            f"the test sent {sent} of the {recorded} recorded requests and stopped; "
            "re-record with --cua-record-mode=all if it now does less on purpose",
            cassette=self.path,
        )

    def check(self, result: Any) -> Any:
        """After the run: raise the first divergence (replay); returns the replay report."""
        if self.session is None or self.mode is RecordMode.NEW:
            return None
        return self.session.finish(result)


@pytest.fixture
def cua_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteFixture]:
    """A cassette for this test (see :class:`RecordMode` and ``cua_cassette`` marker)."""
    from ..cassette.format import RunSettings
    from ..cassette.store import load_cassette
    from ..errors import CassetteNotFound
    from ..netguard import loopback_only
    from ..record.extend import extend, rest_directory
    from ..record.recorder import Recorder, new_manifest
    from ..replay.matchers import MatchPolicy
    from ..replay.options import ReplayOptions
    from ..replay.session import ReplaySession

    marker = request.node.get_closest_marker("cua_cassette")
    options = dict(marker.kwargs) if marker else {}
    name = marker.args[0] if marker and marker.args else options.pop("name", None)
    config = request.config
    mode = RecordMode(
        options.get("record_mode")
        or config.getoption("--cua-record-mode")
        or config.getini("cua_record_mode")
    )
    match = options.get("match") or config.getoption("--cua-match") or config.getini("cua_match")
    threshold = options.get("threshold") or config.getoption("--cua-threshold") or 0.01
    explicit = options.get("path")
    path = Path(explicit) if explicit is not None else cassette_path(request, name)
    exists = (path / "run.json").is_file()
    if mode is RecordMode.NONE and not exists:
        pytest.fail(
            str(
                CassetteNotFound(
                    path,
                    "Record it with: pytest --cua-record-mode=once "
                    f"{request.node.nodeid} (needs credentials or a fake server).",
                )
            ),
            pytrace=False,
        )
    replaying = exists and mode in (RecordMode.NONE, RecordMode.ONCE, RecordMode.NEW)
    fixture = CassetteFixture(path, mode, str(match), float(threshold), replaying)
    if replaying:
        fixture.session = ReplaySession(
            load_cassette(path), ReplayOptions(MatchPolicy.parse(str(match)), float(threshold))
        )
    if not fixture.offline:
        target = rest_directory(path) if fixture.extending else path
        fixture.recorder = Recorder.open(
            target,
            new_manifest(settings=RunSettings(test=request.node.nodeid)),
            overwrite=True,
        )
    guard = loopback_only() if fixture.offline else None
    try:
        if guard is not None:
            with guard:
                yield fixture
        else:
            yield fixture
    finally:
        if fixture.recorder is not None:
            fixture.recorder.close()
            if fixture.extending and fixture._resumed:
                _replace(fixture.recorder.directory, path)  # the loop re-recorded the whole run
            elif fixture.extending:
                extend(path, fixture.recorder.directory)  # the clients recorded what it lacked
    if fixture.extending:
        failure = fixture.wire_failure()
    else:
        failure = getattr(fixture.session, "failure", None) or fixture.wire_failure()
    if failure is not None:
        pytest.fail(str(failure), pytrace=False)


def _replace(source: Path, target: Path) -> None:
    """Swap a finished re-recording in for the old cassette, never leaving neither."""
    import shutil

    backup = target.with_name(target.name + ".old")
    shutil.rmtree(backup, ignore_errors=True)
    target.rename(backup)
    source.rename(target)
    shutil.rmtree(backup, ignore_errors=True)
