"""The URL members paste into BGS-Tally: who can reach it, and what the operator must set."""

from __future__ import annotations

import pytest

from bgs.listener_address import Scope, listener_address


@pytest.mark.parametrize(
    ("host", "url", "scope"),
    [
        ("127.0.0.1", "http://127.0.0.1:8085/", Scope.LOOPBACK),
        ("127.5.6.7", "http://127.5.6.7:8085/", Scope.LOOPBACK),
        ("::1", "http://[::1]:8085/", Scope.LOOPBACK),
        ("[::1]", "http://[::1]:8085/", Scope.LOOPBACK),
        ("localhost", "http://localhost:8085/", Scope.LOOPBACK),
        ("LocalHost", "http://LocalHost:8085/", Scope.LOOPBACK),
        ("0.0.0.0", "http://0.0.0.0:8085/", Scope.WILDCARD),
        ("::", "http://[::]:8085/", Scope.WILDCARD),
        ("", "http://:8085/", Scope.WILDCARD),
        ("192.168.1.20", "http://192.168.1.20:8085/", Scope.HOST),
        ("2001:db8::7", "http://[2001:db8::7]:8085/", Scope.HOST),
        ("bgs.example.org", "http://bgs.example.org:8085/", Scope.HOST),
    ],
)
def test_the_bound_address_and_who_can_reach_it(host: str, url: str, scope: Scope) -> None:
    address = listener_address(None, host, 8085)
    assert (address.url, address.scope) == (url, scope)
    assert address.reachable is (scope is Scope.HOST)
    assert (address.problem is None) is address.reachable
    assert (address.fix is None) is address.reachable


def test_a_public_url_wins_whatever_the_listener_binds() -> None:
    for public in ("https://bgs.example.org/warden", "https://bgs.example.org/warden/ "):
        address = listener_address(public, "127.0.0.1", 8085)
        assert (address.url, address.scope) == ("https://bgs.example.org/warden/", Scope.PUBLIC)
        assert address.reachable and address.problem is None
    assert listener_address("  ", "0.0.0.0", 8085).scope is Scope.WILDCARD  # blank: not set


def test_what_the_operator_must_set() -> None:
    loopback = listener_address(None, "127.0.0.1", 8085)
    assert (
        loopback.fix
        == "the bot's operator must set `LISTENER_HOST=0.0.0.0` and `LISTENER_PUBLIC_URL`"
    )
    assert loopback.problem is not None
    assert loopback.problem.startswith(
        "Members cannot reach `http://127.0.0.1:8085/`: the listener accepts connections from "
        "the bot's own computer only"
    )
    wildcard = listener_address(None, "0.0.0.0", 8085)
    assert wildcard.fix == "the bot's operator must set `LISTENER_PUBLIC_URL`"
    assert wildcard.problem is not None and "LISTENER_HOST" not in wildcard.problem
    assert "not an address to connect to" in wildcard.problem
