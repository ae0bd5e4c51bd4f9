"""Redaction and ``verify`` agree on every spelling of a secret, and miss none (pure, no I/O).

A secret is planted in text in one of its spellings (the standard library's,
and the package's own list), with text around it; the redactor must leave no
spelling of it, in a string or in the JSON a recording writes, and the
``verify`` scan must find each spelling planted in a file.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cua_replay.cassette.canonical import dumps
from cua_replay.cassette.leaks import find_leaks, secret_patterns, secret_values
from cua_replay.cassette.redact import SECRET_ENV, RedactionPolicy, Redactor, literal
from cua_replay.cassette.spellings import spellings
from tests.secrets.common import found, independent, secrets

ISSUE_SECRET = 'Cnry p@ss"wörd!x'
CHROMIUM_QUERY_SPELLING = "Cnry%20p@ss%22w%C3%B6rd!x"
"""How Chromium stored :data:`ISSUE_SECRET`, typed into a start URL's query (issue 16)."""
_AROUND = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, str]:
    """``(secret, text holding it in one spelling, with text around it)``."""
    secret = draw(secrets())
    forms = sorted({f.decode("utf-8") for f in independent(secret).values()} | spellings(secret))
    form = draw(st.sampled_from(forms))
    return secret, draw(_AROUND) + form + draw(_AROUND)


def test_the_spelling_chromium_gave_the_issue_is_listed_redacted_and_found(tmp_path: Path) -> None:
    assert CHROMIUM_QUERY_SPELLING in spellings(ISSUE_SECRET)
    url = f"https://shop.example/?pw={CHROMIUM_QUERY_SPELLING}&x=1"
    redactor = Redactor(secrets={ISSUE_SECRET})
    assert redactor.text(url) == f"https://shop.example/?pw={redactor.marker}&x=1"
    line = dumps({"url": url})
    (tmp_path / "steps.jsonl").write_text(line + "\n", "utf-8")
    values = secret_values({"SHOP_PASSWORD": ISSUE_SECRET}, SECRET_ENV)
    leaks, _ = find_leaks(tmp_path, values, secret_patterns())
    assert [leak.where for leak in leaks] == [f"steps.jsonl@{line.index('Cnry%20')}"]


@pytest.mark.parametrize(
    ("name", "spelling"),
    [
        ("form body", "Cnry+p%40ss%22w%C3%B6rd%21x"),
        ("lower-case hex", "Cnry%20p@ss%22w%c3%b6rd!x"),
        ("encodeURIComponent", "Cnry%20p%40ss%22w%C3%B6rd!x"),
        ("JSON ensure_ascii", 'Cnry p@ss\\"w\\u00f6rd!x'),
        ("JSON, upper-case hex", 'Cnry p@ss\\"w\\u00F6rd!x'),
        ("JSON, UTF-8", 'Cnry p@ss\\"wörd!x'),
        ("html.escape", "Cnry p@ss&quot;wörd!x"),
        ("markupsafe", "Cnry p@ss&#34;wörd!x"),
        ("hex reference", "Cnry p@ss&#x22;wörd!x"),
        ("named, non-ASCII too", "Cnry p@ss&quot;w&ouml;rd!x"),
        ("numeric, non-ASCII too", "Cnry p@ss&#34;w&#246;rd!x"),
        ("base64", base64.b64encode(ISSUE_SECRET.encode()).decode()),
    ],
)
def test_each_family_is_listed(name: str, spelling: str) -> None:
    assert spelling in spellings(ISSUE_SECRET), name


@given(planted())
def test_redacted_text_holds_no_spelling_of_the_secret(case: tuple[str, str]) -> None:
    secret, text = case
    redactor = Redactor(secrets={secret})
    redacted = redactor.text(text)
    assert redactor.marker in redacted
    assert found(redacted.encode("utf-8"), secret) == []
    assert redactor.text(redacted) == redacted


@given(planted(), st.sampled_from(["value", "key", "nested JSON text"]))
def test_a_recorded_document_holds_no_spelling_in_its_bytes(
    case: tuple[str, str], place: str
) -> None:
    """What the writer stores is the canonical JSON of the redacted document: scanned as bytes."""
    secret, text = case
    document = {"value": text} if place == "value" else {text: 1}
    if place == "nested JSON text":
        document = {"arguments": json.dumps({"text": text})}
    written = dumps(Redactor(secrets={secret}).json({"output": [document]}))
    assert found(written.encode("utf-8"), secret) == []


@settings(max_examples=50)
@given(planted())
def test_verify_finds_every_spelling_planted_in_a_file(case: tuple[str, str]) -> None:
    secret, text = case
    values = secret_values({"MY_SERVICE_PASSWORD": secret}, SECRET_ENV)
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "steps.jsonl").write_text(dumps({"text": text}) + "\n", "utf-8")
        leaks, scanned = find_leaks(Path(directory), values, patterns=[])
    assert scanned == 1
    assert [leak.where.split("@")[0] for leak in leaks] == ["steps.jsonl"]
    assert secret not in leaks[0].message


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(r"Cnry\ p@ss\"wörd!x", ISSUE_SECRET), (r"a\.b\*c\-d\ e", "a.b*c-d e"), ("plain-text", None)],
)
def test_a_plain_text_pattern_is_a_secret_with_every_spelling(
    pattern: str, value: str | None
) -> None:
    expected = value or pattern
    assert literal(pattern) == expected
    redactor = Redactor(RedactionPolicy(patterns=(pattern,)))
    for form in spellings(expected):
        assert redactor.text(f"x {form} y") == f"x {redactor.marker} y"


def test_a_regex_matching_only_once_decoded_takes_the_whole_string() -> None:
    """``pw-\\d+`` has no spellings to list: a string it matches decoded is replaced whole."""
    assert literal(r"pw-\d+") is None
    redactor = Redactor(RedactionPolicy(patterns=(r"pw-\d+",)))
    assert redactor.text("https://shop.example/?q=pw%2D1234") == redactor.marker
    assert redactor.text("<b>pw&#45;1234</b>") == redactor.marker
    assert redactor.text("q=pw-1234&x=1") == f"q={redactor.marker}&x=1"
    assert redactor.text("q=nothing%20here") == "q=nothing%20here"
    document = {"url": "https://shop.example/?q=pw%2D1234", "other": "kept"}
    assert redactor.json(document) == {"url": redactor.marker, "other": "kept"}
