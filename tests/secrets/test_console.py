"""The run console prints through the recording's redaction: the one point all output passes."""

from __future__ import annotations

import contextlib
import io
import sys

import click
import pytest
from pydantic import SecretStr

from cua_replay.console import MaskedStream, masked_output, run_redactor
from cua_replay.settings import Settings

SECRET = 'Cnry p@ss"wörd!x'


def test_a_secret_split_over_writes_is_masked_in_every_spelling() -> None:
    out = io.StringIO()
    stream = MaskedStream(out, run_redactor(environ={"SHOP_PASSWORD": SECRET}))
    stream.write("typed Cnry p@")
    stream.flush()
    assert out.getvalue() == ""  # a partial line waits for the rest of the secret
    stream.write('ss"wörd!x at https://shop.example/?pw=Cnry%20p@ss%22w%C3%B6rd!x\nlast ')
    stream.write("&quot;Cnry p@ss&quot;wörd!x")
    stream.finish()
    assert out.getvalue() == (
        "typed [redacted] at https://shop.example/?pw=[redacted]\nlast &quot;[redacted]"
    )


def test_the_mask_knows_flags_settings_and_patterns() -> None:
    settings = Settings(api_key=SecretStr("flag-key-0123456789"), _environ={})
    redactor = run_redactor(patterns=(r"hunter\d+",), settings=settings, environ={})
    assert redactor.text("k=flag-key-0123456789 pw=hunter42") == "k=[redacted] pw=[redacted]"
    assert redactor.text("sk-" + "a" * 24) == "[redacted]"  # the built-in patterns too


@pytest.mark.parametrize("exit_by", [None, click.exceptions.Exit(1)])
def test_the_streams_come_back_after_a_run_or_an_exit(exit_by: Exception | None) -> None:
    before = sys.stdout, sys.stderr
    expected = pytest.raises(type(exit_by)) if exit_by else contextlib.nullcontext()
    with expected, masked_output(run_redactor(environ={})) as (out, err):
        assert (sys.stdout, sys.stderr) == (out, err)
        if exit_by:
            raise exit_by
    assert (sys.stdout, sys.stderr) == before


def test_a_bug_keeps_the_mask_for_the_traceback_printed_after() -> None:
    before = sys.stdout, sys.stderr
    try:
        with pytest.raises(KeyError), masked_output(run_redactor(environ={})) as (out, err):
            raise KeyError(SECRET)
        assert (sys.stdout, sys.stderr) == (out, err)
    finally:
        sys.stdout, sys.stderr = before
