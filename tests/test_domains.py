"""The domain policy, pure: subdomain matching, block over allow, normalisation, bad entries."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cua_replay.domains import DomainPolicy
from cua_replay.errors import CuaReplayError, InvalidDomainEntry

#: A small pool, so generated hosts and entries often share labels (and suffixes).
POOL = ("a", "b", "shop", "news", "example", "xn--bcher-kva", "b-2", "0")


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


LABEL = r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?"


def labels() -> st.SearchStrategy[str]:
    """Host labels: mostly from :data:`POOL`, sometimes any valid LDH label."""
    return st.sampled_from(POOL) | st.from_regex(LABEL, fullmatch=True)


def hostnames(*, min_labels: int = 1, max_labels: int = 4) -> st.SearchStrategy[tuple[str, ...]]:
    """Host names as label tuples (``("a", "example")`` is ``a.example``), lowercase.

    IP addresses are left out: they match only themselves (see the examples).
    """
    if not 1 <= min_labels <= max_labels:
        raise ValueError(f"need 1 <= min_labels <= max_labels, got {min_labels}, {max_labels}")
    return (
        st.lists(labels(), min_size=min_labels, max_size=max_labels)
        .map(tuple)
        .filter(lambda host: not is_ip(".".join(host)))
    )


@st.composite
def spellings(draw: st.DrawFn, host: str) -> str:
    """``host`` in random letter case, perhaps with a trailing dot."""
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in host)
    return cased + draw(st.sampled_from(["", "."]))


def name(labels: tuple[str, ...]) -> str:
    return ".".join(labels)


def under(host: tuple[str, ...], entry: tuple[str, ...]) -> bool:
    """The reference: ``entry``'s labels are a suffix of ``host``'s; an IP matches only itself."""
    if is_ip(name(host)):
        return host == entry
    return len(entry) <= len(host) and host[len(host) - len(entry) :] == entry


entry_lists = st.lists(hostnames(max_labels=3), max_size=3)


@given(host=hostnames(), allow=entry_lists, block=entry_lists)
@example(host=("a", "b", "example"), allow=[("b", "example")], block=[])
@example(host=("notb", "example"), allow=[("b", "example")], block=[])
@example(host=("a", "example"), allow=[("example",)], block=[("a", "example")])
def test_allows_agrees_with_label_suffix_reference(
    host: tuple[str, ...], allow: list[tuple[str, ...]], block: list[tuple[str, ...]]
) -> None:
    policy = DomainPolicy(allow=tuple(map(name, allow)), block=tuple(map(name, block)))
    expected = not any(under(host, e) for e in block) and (
        not allow or any(under(host, e) for e in allow)
    )
    assert policy.allows(name(host)) is expected


@given(entry=hostnames(max_labels=3), prefix=st.lists(labels(), max_size=3))
@example(entry=("0", "0"), prefix=["0", "0"])  # 0.0.0.0 is an IP, not a subdomain of 0.0
def test_entry_matches_itself_and_every_subdomain(
    entry: tuple[str, ...], prefix: list[str]
) -> None:
    host = (*prefix, *entry)
    assert DomainPolicy(allow=(name(entry),)).allows(name(host)) is under(host, entry)
    assert under(host, entry) or is_ip(name(host))  # a subdomain unless it spells an IP


@given(entry=hostnames(max_labels=3), glued=st.from_regex(r"[a-z0-9-]{1,6}", fullmatch=True))
@example(entry=("b", "example"), glued="not")
@example(entry=("news", "example"), glued="-")
def test_lookalikes_glued_to_an_entry_do_not_match(entry: tuple[str, ...], glued: str) -> None:
    policy = DomainPolicy(allow=(name(entry),))
    fused_front = f"{glued}{name(entry)}".lstrip("-") or "x"
    if fused_front != name(entry):
        assert not policy.allows(fused_front)  # notb.example for b.example
    assert not policy.allows(f"{name(entry)}{glued}".rstrip("-") + "z")  # b.examplez


@given(entry=hostnames(max_labels=3), suffix=labels())
@example(entry=("0", "0", "0"), suffix="0")
def test_entry_followed_by_another_label_does_not_match(
    entry: tuple[str, ...], suffix: str
) -> None:
    host = (*entry, suffix)  # news.example.evil
    assert DomainPolicy(allow=(name(entry),)).allows(name(host)) is under(host, entry)


@given(entry=hostnames(max_labels=3), prefix=st.lists(labels(), max_size=2))
def test_block_wins_over_the_same_or_a_broader_allow(
    entry: tuple[str, ...], prefix: list[str]
) -> None:
    host = (*prefix, *entry)
    broad = DomainPolicy(allow=(entry[-1],), block=(name(entry),))
    assert not DomainPolicy(allow=(name(entry),), block=(name(entry),)).allows(name(host))
    assert broad.allows(name(host)) is (not under(host, entry) and under(host, entry[-1:]))


@given(host=hostnames(), block=entry_lists)
def test_empty_allow_list_allows_everything_not_blocked(
    host: tuple[str, ...], block: list[tuple[str, ...]]
) -> None:
    policy = DomainPolicy(block=tuple(map(name, block)))
    assert policy.allows(name(host)) is not any(under(host, e) for e in block)
    assert DomainPolicy().allows(name(host))


@given(data=st.data(), host=hostnames(), entry=hostnames(max_labels=3))
def test_case_and_trailing_dots_never_change_the_answer(
    data: st.DataObject, host: tuple[str, ...], entry: tuple[str, ...]
) -> None:
    canonical = DomainPolicy(allow=(name(entry),))
    respelled = DomainPolicy(allow=(data.draw(spellings(name(entry))),))
    assert respelled.allow == canonical.allow
    spelled_host = data.draw(spellings(name(host)))
    assert respelled.allows(spelled_host) is canonical.allows(name(host))


@given(
    host=hostnames(),
    entry=hostnames(max_labels=3),
    scheme=st.sampled_from(["http", "https", "ws", "wss", "HTTPS"]),
    port=st.none() | st.integers(1, 65535),
    path=st.sampled_from(["", "/", "/a/b.html", "/?q=1#f", "/path?next=https://x.example/"]),
)
def test_url_forms_get_the_same_answer_as_the_bare_host(
    host: tuple[str, ...], entry: tuple[str, ...], scheme: str, port: int | None, path: str
) -> None:
    policy = DomainPolicy(block=(name(entry),))
    authority = name(host) + (f":{port}" if port is not None else "")
    assert policy.allows(f"{scheme}://{authority}{path}") is policy.allows(name(host))
    assert policy.allows(authority) is policy.allows(name(host))


SHOP_ONLY = DomainPolicy(allow=("shop.example",), block=("bank.example",))


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://shop.example/", True),
        ("https://cdn.shop.example/app.js", True),  # subdomain
        ("https://SHOP.Example./form.html", True),  # case and the root dot
        ("shop.example", True),  # a bare host
        ("shop.example:8443", True),  # a bare host with a port
        ("https://news.example/", False),  # not allowed
        ("https://notshop.example/", False),  # lookalike prefix
        ("https://shop.example.evil/", False),  # lookalike suffix
        ("https://shop.example@news.example/", False),  # userinfo is not the host
        ("https://news.example/?to=https://shop.example/", False),  # nor is the query
        ("wss://news.example/socket", False),  # websockets name a host too
        ("blob:https://news.example/6a1c", False),  # a blob's origin is its host
        ("blob:https://shop.example/6a1c", True),
        ("https:news.example", False),  # no authority: no host to allow
        ("https://", False),
        ("about:blank", True),  # no network host
        ("data:text/html,<h1>hi</h1>", True),
        ("chrome-error://chromewebdata/", True),
        ("javascript:void(0)", True),
        ("https://bank.example/", False),  # blocked, and not allowed either
        ("https://exa mple/", False),  # not a host
    ],
)
def test_allows_examples(target: str, allowed: bool) -> None:
    assert SHOP_ONLY.allows(target) is allowed


@pytest.mark.parametrize(
    ("entry", "target", "allowed"),
    [
        ("bücher.example", "https://xn--bcher-kva.example/", True),  # IDNA
        ("xn--bcher-kva.example", "bücher.example", True),
        ("BÜCHER.example", "https://www.xn--bcher-kva.example/", True),
        ("bücher.example", "https://bucher.example/", False),
        ("shop\u3002example", "https://shop.example/", True),  # ideographic full stop
        ("127.0.0.1", "http://127.0.0.1:8000/", True),
        ("0.0.1", "http://127.0.0.1/", False),  # an IP has no subdomains
        ("::1", "http://[::1]:8000/", True),
        ("[::1]", "http://[0:0::1]/", True),
        ("my_host.example", "https://my_host.example/", True),  # underscores occur
    ],
)
def test_allow_entry_normalisation(entry: str, target: str, allowed: bool) -> None:
    assert DomainPolicy(allow=(entry,)).allows(target) is allowed


@pytest.mark.parametrize(
    ("entry", "advice"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        (".", "only dots"),
        ("https://shop.example", "it has a scheme ('https')"),
        ("mailto:a", "it has a scheme ('mailto')"),
        ("shop.example/", "keep only the host"),  # a path, even just '/'
        ("shop.example?x", "keep only the host"),
        ("shop .example", "whitespace"),
        ("shop.example\n", "whitespace"),
        ("shop.example:443", "it has a port"),
        ("user@shop.example", "user info"),
        ("*.shop.example", "wildcards are implied"),
        ("shop..example", "not a valid host name"),
        ("-shop.example", "not a valid host name"),
        ("shop!.example", "not a valid host name"),
        ("a" * 64 + ".example", "not a valid host name"),  # a label is at most 63
        (3, "expected a str"),
    ],
)
def test_invalid_entries_raise_with_advice(entry: Any, advice: str) -> None:
    for kind in ("allow", "block"):
        with pytest.raises(InvalidDomainEntry) as raised:
            DomainPolicy(**{kind: (entry,)})
        message = str(raised.value)
        assert repr(entry) in message and advice in message
        assert "Write a bare host such as 'example.com'" in message
        assert raised.value.entry == entry
        assert isinstance(raised.value, CuaReplayError) and isinstance(raised.value, ValueError)


def test_a_single_string_instead_of_a_tuple_raises() -> None:
    with pytest.raises(InvalidDomainEntry, match=r"allow must be a tuple of hosts"):
        DomainPolicy(allow="shop.example")  # type: ignore[arg-type]


def test_policy_normalises_and_deduplicates_entries_and_reprs_them() -> None:
    policy = DomainPolicy(allow=("Shop.Example.", "shop.example", "bücher.example"))
    assert policy.allow == ("shop.example", "xn--bcher-kva.example")
    assert repr(policy) == (
        "DomainPolicy(allow=('shop.example', 'xn--bcher-kva.example'), block=())"
    )
    assert policy.blocked == []
