"""The URL members paste into BGS-Tally, and whether their computers can reach it.

`LISTENER_PUBLIC_URL` wins when the operator sets it. Otherwise the URL is built from the address
the listener binds, which members can use only when it is an address of the machine other
computers can reach: a loopback address (127.x, ::1, localhost) serves the bot's own computer
alone, and a wildcard address (0.0.0.0, ::) means "every address of this machine", not an
address to connect to. For those two the replies that hand out a key, `/status` and the command
line say so and name what the operator must set.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

LOCALHOST = "localhost"


class Scope(StrEnum):
    """Who can use the listener's URL."""

    PUBLIC = "public"  # LISTENER_PUBLIC_URL: the operator says members reach this
    HOST = "host"  # a specific address of this machine
    LOOPBACK = "loopback"  # only this machine
    WILDCARD = "wildcard"  # every address of this machine: not one to connect to


@dataclass(frozen=True, slots=True)
class ListenerAddress:
    """The URL to paste into BGS-Tally and who can use it."""

    url: str
    scope: Scope

    @property
    def reachable(self) -> bool:
        """Whether members' computers can use `url` (as far as the settings tell)."""
        return self.scope in (Scope.PUBLIC, Scope.HOST)

    @property
    def fix(self) -> str | None:
        """One line: what the operator must set for members to reach the listener."""
        needed = _NEEDED.get(self.scope)
        return None if needed is None else f"the bot's operator must set {needed}"

    @property
    def problem(self) -> str | None:
        """Why members cannot use `url` and what the operator must set; None when they can."""
        why, needed = _WHY.get(self.scope), _NEEDED.get(self.scope)
        if why is None or needed is None:
            return None
        return (
            f"Members cannot reach `{self.url}`: {why}. The bot's operator must set {needed} "
            "(`LISTENER_PUBLIC_URL` to the address members reach the bot's machine at, e.g. "
            "`http://bgs.example.org:8085/`) and restart the bot."
        )


_NEEDED = {
    Scope.LOOPBACK: "`LISTENER_HOST=0.0.0.0` and `LISTENER_PUBLIC_URL`",
    Scope.WILDCARD: "`LISTENER_PUBLIC_URL`",
}
_WHY = {
    Scope.LOOPBACK: "the listener accepts connections from the bot's own computer only, so that "
    "URL works just for BGS-Tally running there",
    Scope.WILDCARD: "the listener accepts connections on every address of the bot's machine, "
    "but that is not an address to connect to",
}


def host_scope(host: str) -> Scope:
    """What binding `host` means for who can connect."""
    cleaned = host.strip().strip("[]").lower()
    if cleaned in ("", "*"):
        return Scope.WILDCARD
    if cleaned == LOCALHOST or cleaned.endswith("." + LOCALHOST):
        return Scope.LOOPBACK
    try:
        address = ipaddress.ip_address(cleaned)
    except ValueError:
        return Scope.HOST  # a host name of this machine
    if address.is_unspecified:
        return Scope.WILDCARD
    return Scope.LOOPBACK if address.is_loopback else Scope.HOST


def bound_url(host: str, port: int) -> str:
    """`http://host:port/`, an IPv6 address in brackets."""
    cleaned = host.strip().strip("[]")
    shown = f"[{cleaned}]" if ":" in cleaned else cleaned
    return f"http://{shown}:{port}/"


def listener_address(public_url: str | None, host: str, port: int) -> ListenerAddress:
    """The listener's address for members: LISTENER_PUBLIC_URL (ending in one slash) when set,
    else the bound `host` and `port` with who can use them."""
    if public_url and public_url.strip():
        return ListenerAddress(public_url.strip().rstrip("/") + "/", Scope.PUBLIC)
    return ListenerAddress(bound_url(host, port), host_scope(host))
