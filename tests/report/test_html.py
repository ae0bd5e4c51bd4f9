"""The report page for the shipped cassettes: structure, self-containment, escaping."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cua_replay.cassette.store import load_cassette
from cua_replay.report import build_timeline, render_report

from .conftest import CASSETTES, EVIL, SHIPPED


class Tags(HTMLParser):
    """Every start tag with its attributes, and every <script> body."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def classes(attrs: dict[str, str | None]) -> set[str]:
    return set((attrs.get("class") or "").split())


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> tuple[str, str]:
    name = str(request.param)
    return name, render_report(load_cassette(CASSETTES / name))


def test_one_section_and_one_thumbnail_per_step(shipped: tuple[str, str]) -> None:
    name, page = shipped
    cassette = load_cassette(CASSETTES / name)
    tags = parsed(page)
    sections = [a for t, a in tags.tags if t == "section" and "step" in classes(a)]
    thumbs = [a for t, a in tags.tags if t == "a" and "thumb" in classes(a)]
    assert [s["id"] for s in sections] == [f"step-{r.step}" for r in cassette.steps]
    assert [t["href"] for t in thumbs] == [f"#step-{r.step}" for r in cassette.steps]


def test_nothing_is_loaded_from_anywhere(shipped: tuple[str, str]) -> None:
    _, page = shipped
    tags = parsed(page)
    for tag, attrs in tags.tags:
        for name in ("src", "href", "action", "srcset", "data", "poster"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
    for target in re.findall(r"url\(([^)]{0,40})", page):
        assert target.lstrip("\"'").startswith("data:"), target
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    policy = next(
        a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None and policy.startswith("default-src 'none';")  # forbids what we missed


def test_each_distinct_screenshot_is_embedded_once(shipped: tuple[str, str]) -> None:
    name, page = shipped
    timeline = build_timeline(load_cassette(CASSETTES / name))
    assert page.count("base64,") == len(timeline.shots) > 0
    assert not timeline.missing


def test_manifest_summary_is_in_the_header() -> None:
    cassette = load_cassette(CASSETTES / "demo")
    page = render_report(cassette)
    header = page[page.index('<header class="run">') : page.index("</header>")]
    for value in ("gpt-5.4", "computer", "127.0.0.1", "1024 x 768", "completed"):
        assert value in header
    assert cassette.manifest.task is not None


def test_injection_shows_the_safety_check_and_who_decided() -> None:
    cassette = load_cassette(CASSETTES / "injection")
    page = render_report(cassette)
    record = next(s for step in cassette.steps for s in step.safety)
    assert 'class="safety" data-approved="true"' in page
    assert 'class="decision approved">approved</span>' in page
    assert f'<code class="decided-by">{record.decided_by}</code>' in page
    assert "malicious_instructions" in page
    thumbs = [a for t, a in parsed(page).tags if t == "a" and "has-safety" in classes(a)]
    assert len(thumbs) == 1


def test_drag_is_drawn_as_a_path_on_the_screen_it_started_from() -> None:
    cassette = load_cassette(CASSETTES / "drag-stream")
    timeline = build_timeline(cassette)
    call = timeline.steps[0].calls[0]
    assert call.before is not None and call.after is not None and call.before != call.after
    initial = cassette.steps[0].observations[0]
    assert initial.call_id is None and call.before.digest == initial.screenshot["$blob"]
    page = render_report(cassette)
    assert 'data-action="drag"' in page and "<polyline" in page


def test_form_shows_typed_text_and_key_chords() -> None:
    page = render_report(load_cassette(CASSETTES / "demo"))
    assert '<code class="typed">Grace Hopper</code>' in page
    assert '<span class="kbd">Control</span>+<span class="kbd">A</span>' in page
    form = render_report(load_cassette(CASSETTES / "form-full"))
    assert '<code class="typed">[redacted]</code>' in form


def test_actions_are_drawn_on_the_screenshot_they_were_performed_on() -> None:
    cassette = load_cassette(CASSETTES / "form-full")
    timeline = build_timeline(cassette)
    steps = timeline.steps
    for previous, view in itertools.pairwise(steps):
        if view.calls and previous.calls:
            assert view.calls[0].before == previous.calls[-1].after


def test_hostile_cassette_text_appears_as_text(evil_cassette: Path) -> None:
    page = render_report(load_cassette(evil_cassette))
    tags = parsed(page)
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(tags.scripts) == 1 and "alert" not in tags.scripts[0]
    assert not [a for t, a in tags.tags if t == "img"]  # the reasoning's <img onerror> is text
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    assert not any((a.get("href") or "").startswith("javascript:") for _, a in tags.tags)
