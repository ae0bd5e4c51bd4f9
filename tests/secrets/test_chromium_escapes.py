"""The spellings are Chromium's: what the browser does to a secret is on the list.

The percent-encode sets of :mod:`cua_replay.cassette.spellings` were measured
in Chromium; these tests measure again, in the Chromium the recorder drives: a
real navigation to the fixture site with the secret in the query (the
``current_url`` a recording stores), ``new URL`` for a path and a fragment,
``URLSearchParams`` (a form's body), ``encodeURIComponent``, and the DOM
serialization of a text node and an attribute (a saved page, ``outerHTML``).
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings

from cua_replay.cassette.spellings import CHROMIUM_FRAGMENT, CHROMIUM_PATH, CHROMIUM_QUERY
from cua_replay.cassette.spellings import spellings as listed
from tests.conftest import BROWSER_EXAMPLES, BrowserHarness
from tests.secrets.common import secrets

pytestmark = pytest.mark.browser

SPELL = """(secret) => {
  const url = new URL('https://shop.example/p' + secret + '?q=' + secret + '#' + secret);
  const text = document.createElement('p');
  text.textContent = secret;
  const attribute = document.createElement('a');
  attribute.setAttribute('title', secret);
  return {
    path: url.pathname.slice(2),
    query: url.search.slice(3),
    fragment: url.hash.slice(1),
    form: new URLSearchParams({q: secret}).toString().slice(2),
    component: encodeURIComponent(secret),
    text: text.innerHTML,
    attribute: attribute.outerHTML.slice('<a title="'.length, -'"></a>'.length),
  };
}"""


def _page(browser: BrowserHarness) -> Any:
    return browser.sandbox.page


def test_the_escape_sets_are_what_chromium_escapes(browser: BrowserHarness) -> None:
    printable = [c for c in string.printable[:95] if c not in "#?%/\\"]
    spelled: dict[str, dict[str, str]] = browser.run(
        lambda: _page(browser).evaluate(
            "(chars) => Object.fromEntries(chars.map((c) => [c, (" + SPELL + ")('a' + c + 'b')]))",
            printable,
        )
    )
    for where, escaped in (
        ("query", CHROMIUM_QUERY),
        ("path", CHROMIUM_PATH),
        ("fragment", CHROMIUM_FRAGMENT),
    ):
        measured = {c for c in printable if spelled[c][where] != f"a{c}b"}
        assert measured == set(escaped), where


@settings(max_examples=BROWSER_EXAMPLES)
@given(secrets())
def test_every_spelling_chromium_gives_a_secret_is_listed(
    browser: BrowserHarness, secret: str
) -> None:
    page = _page(browser)
    spelled: dict[str, str] = browser.run(lambda: page.evaluate(SPELL, secret))
    browser.run(lambda: page.goto("https://shop.example/?pw=" + secret))
    spelled["navigation"] = page.url.partition("?pw=")[2]
    forms = listed(secret)
    assert {name: form for name, form in spelled.items() if form not in forms} == {}
