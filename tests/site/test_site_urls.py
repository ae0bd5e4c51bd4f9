"""Fixture URLs and their loopback form; scenario URL checks follow the loopback site."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import OpenAI

from cua_replay.server import FakeResponsesServer
from cua_replay.server.scenario import url_matches
from cua_replay.site import FixtureSite, fixture_url, loopback_url
from tests.server.images import data_url, png
from tests.server.test_brain import PREVIEW, SCENARIO

SHOT = data_url(png())


@pytest.mark.parametrize(
    ("fixture", "port", "loopback"),
    [
        ("https://shop.example/", 8000, "http://shop.example.localhost:8000/"),
        (
            "https://bank.example/pay.html?x=1#top",
            41234,
            "http://bank.example.localhost:41234/pay.html?x=1#top",
        ),
        (
            "https://shop.example/file.txt?download",
            9,
            "http://shop.example.localhost:9/file.txt?download",
        ),
    ],
)
def test_loopback_url_and_back(fixture: str, port: int, loopback: str) -> None:
    assert loopback_url(fixture, port) == loopback
    assert fixture_url(loopback) == fixture
    assert loopback_url(loopback, port) == loopback  # already loopback: unchanged


def test_a_bare_origin_gets_its_root_path() -> None:
    assert loopback_url("https://shop.example", 8000) == "http://shop.example.localhost:8000/"
    assert fixture_url("http://shop.example.localhost:8000") == "https://shop.example/"


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/form.html",  # already a fixture URL
        "http://localhost:8000/",  # plain localhost is no fixture host
        "https://shop.example.localhost:8000/",  # the site is plain http
        "http://user@shop.example.localhost:8000/",  # credentials: not ours
        "about:blank",
        "",
    ],
)
def test_fixture_url_leaves_other_urls_alone(url: str) -> None:
    assert fixture_url(url) == url


@given(st.text(), st.integers(min_value=1, max_value=65535))
def test_fixture_url_never_raises_and_is_idempotent(text: str, port: int) -> None:
    """``current_url`` is whatever a client sends: the brain maps it, so this must not raise."""
    for url in (text, f"http://{text}.localhost:{port}/", loopback_url(f"https://{text}/", port)):
        once = fixture_url(url)
        assert fixture_url(once) == once


def test_url_matches_takes_a_url_or_the_fixture_url_it_stands_for() -> None:
    glob = "https://shop.example/*"
    assert url_matches("https://shop.example/form.html", glob)
    assert url_matches("http://shop.example.localhost:5000/form.html", glob)
    assert not url_matches("http://bank.example.localhost:5000/pay.html", glob)
    assert not url_matches("http://shop.example.evil.com/form.html", glob)
    assert not url_matches(None, glob)
    # A scenario that names loopback URLs itself still matches them as they are.
    assert url_matches("http://127.0.0.1:5000/x", "http://127.0.0.1:5000/*")


def test_every_fixture_host_has_a_loopback_origin() -> None:
    site = FixtureSite()
    for host in site.hosts:
        assert fixture_url(loopback_url(site.url("/", host=host), 1234)) == site.url("/", host=host)


# -- the scripted brain, through the wire, with loopback current_url -----------------------


def _next(client: OpenAI, previous: Any, url: str) -> Any:
    call = next(item for item in previous.output if item.type == "computer_call")
    return client.responses.create(
        model="computer-use-preview",
        tools=[PREVIEW],
        truncation="auto",
        previous_response_id=previous.id,
        input=[
            {
                "type": "computer_call_output",
                "call_id": call.call_id,
                "output": {"type": "computer_screenshot", "image_url": SHOT},
                "acknowledged_safety_checks": [c.model_dump() for c in call.pending_safety_checks],
                "current_url": url,
            }
        ],
    )


def test_expectations_and_url_safety_rules_follow_the_loopback_site() -> None:
    with FakeResponsesServer(SCENARIO) as server:
        client = OpenAI(base_url=server.urls.openai_base_url, api_key="sk-test", max_retries=0)
        first = client.responses.create(
            model="computer-use-preview",
            tools=[PREVIEW],
            truncation="auto",
            input="Pay with MyBank please",
        )
        # expect.current_url https://bank.example/* and the sensitive_domain rule both
        # match the bank's loopback URL, whatever the port.
        second = _next(client, first, "http://bank.example.localhost:39999/pay.html")
        assert [c.code for c in second.output[-1].pending_safety_checks] == ["sensitive_domain"]

        again = client.responses.create(
            model="computer-use-preview",
            tools=[PREVIEW],
            truncation="auto",
            input="Pay with MyBank please",
        )
        with pytest.raises(openai.BadRequestError) as caught:
            _next(client, again, "http://shop.example.localhost:39999/checkout.html")
    assert caught.value.code == "scenario_expectation_failed"
    assert "'https://bank.example/*'" in caught.value.message
    assert "'http://shop.example.localhost:39999/checkout.html'" in caught.value.message
