"""Inara profiles (inara-api.md): what a look-up found for a cmdr, the rank names, which cmdrs
are looked up, and how the outcome is stored on the guild's cmdr rows.

A profile is stored only when Inara found the cmdr by that very name. A partial match (another
name, or several candidates) could be someone else, so it is recorded with the names Inara
offered, and the profile stored before is kept; so it is when the cmdr is not found or the
look-up failed. Every outcome records its status, the reason and when it was checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cmdr, Tenant

ACTIVE_DAYS = 30  # a cmdr seen within this many days is looked up by the daily job
REASON_LENGTH = 300
INARA_URL_PREFIX = "https://inara.cz/"

_ELITE = ["Elite", "Elite I", "Elite II", "Elite III", "Elite IV", "Elite V"]
RANK_NAMES: Final[Mapping[str, Sequence[str]]] = {
    "combat": [
        "Harmless",
        "Mostly Harmless",
        "Novice",
        "Competent",
        "Expert",
        "Master",
        "Dangerous",
        "Deadly",
        *_ELITE,
    ],
    "trade": [
        "Penniless",
        "Mostly Penniless",
        "Peddler",
        "Dealer",
        "Merchant",
        "Broker",
        "Entrepreneur",
        "Tycoon",
        *_ELITE,
    ],
    "exploration": [
        "Aimless",
        "Mostly Aimless",
        "Scout",
        "Surveyor",
        "Trailblazer",
        "Pathfinder",
        "Ranger",
        "Pioneer",
        *_ELITE,
    ],
    "cqc": [
        "Helpless",
        "Mostly Helpless",
        "Amateur",
        "Semi Professional",
        "Professional",
        "Champion",
        "Hero",
        "Legend",
        *_ELITE,
    ],
    "empire": [
        "None",
        "Outsider",
        "Serf",
        "Master",
        "Squire",
        "Knight",
        "Lord",
        "Baron",
        "Viscount",
        "Count",
        "Earl",
        "Marquis",
        "Duke",
        "Prince",
        "King",
    ],
    "federation": [
        "None",
        "Recruit",
        "Cadet",
        "Midshipman",
        "Petty Officer",
        "Chief Petty Officer",
        "Warrant Officer",
        "Ensign",
        "Lieutenant",
        "Lieutenant Commander",
        "Post Commander",
        "Post Captain",
        "Rear Admiral",
        "Vice Admiral",
        "Admiral",
    ],
}
# Inara's rank kind → the cmdrs column it is stored in.
RANK_COLUMNS: Final = {
    "combat": "rank_combat",
    "trade": "rank_trade",
    "exploration": "rank_explore",
    "cqc": "rank_cqc",
    "empire": "rank_empire",
    "federation": "rank_federation",
}


def rank_name(kind: str, value: int) -> str:
    """'Elite' for combat 8; 'rank 17' for a value past the names known."""
    names = RANK_NAMES.get(kind.lower(), ())
    return names[value] if 0 <= value < len(names) else f"rank {value}"


class InaraStatus(StrEnum):
    """How a cmdr's last look-up went."""

    FOUND = "found"
    PARTIAL = "partial"  # only a similar name, or several candidates: not stored
    NOT_FOUND = "not_found"
    BAD_KEY = "bad_key"  # Inara refused the guild's key (or the app): nothing was asked
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # no usable answer (timeout, empty, not JSON, HTTP error)
    ERROR = "error"  # Inara refused this one look-up


@dataclass(frozen=True, slots=True)
class Profile:
    """What Inara told about a cmdr: ranks by kind (names), power, squadron and rank in it."""

    name: str
    url: str | None
    ranks: Mapping[str, str] = field(default_factory=dict)
    power: str | None = None
    squadron: str | None = None
    squadron_rank: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileOutcome:
    """One cmdr's look-up: the status, a sentence saying why (for all but FOUND) and, when
    found, the profile."""

    cmdr: str
    status: InaraStatus
    reason: str = ""
    profile: Profile | None = None


async def active_cmdrs(session: AsyncSession, now: datetime, days: int = ACTIVE_DAYS) -> list[str]:
    """The guild's cmdrs seen in the last `days` days, most recent first."""
    rows = await session.execute(
        select(Cmdr.name)
        .where(Cmdr.last_seen >= now - timedelta(days=days))
        .order_by(Cmdr.last_seen.desc(), Cmdr.name)
    )
    return list(rows.scalars())


def _store_profile(row: Cmdr, profile: Profile, now: datetime) -> None:
    for kind, column in RANK_COLUMNS.items():
        setattr(row, column, profile.ranks.get(kind))
    row.rank_power = profile.power[:64] if profile.power else None
    row.squadron_name = profile.squadron[:128] if profile.squadron else None
    row.squadron_rank = profile.squadron_rank[:64] if profile.squadron_rank else None
    url = profile.url or ""
    row.inara_url = url[:256] if url.startswith(INARA_URL_PREFIX) else None
    row.inara_fetched_at = now


async def store_outcomes(
    session: AsyncSession, outcomes: Sequence[ProfileOutcome], now: datetime
) -> None:
    """Record each cmdr's look-up on its row (see the module docstring)."""
    by_name = {outcome.cmdr: outcome for outcome in outcomes}
    if not by_name:
        return
    rows = await session.execute(select(Cmdr).where(Cmdr.name.in_(sorted(by_name))))
    for row in rows.scalars():
        outcome = by_name[row.name]
        row.inara_status = outcome.status.value
        row.inara_reason = outcome.reason[:REASON_LENGTH] or None
        row.inara_checked_at = now
        if outcome.status is InaraStatus.FOUND and outcome.profile is not None:
            _store_profile(row, outcome.profile, now)
    await session.flush()


@dataclass(frozen=True, slots=True)
class InaraKey:
    """The key a guild reads Inara profiles with, and where it comes from."""

    value: str
    from_file: bool


def inara_key(tenant: Tenant, file_key: str | None) -> InaraKey | None:
    """The guild's Inara key: the one tenants.json gives wins over one set in Discord."""
    if file_key:
        return InaraKey(file_key, from_file=True)
    if tenant.inara_api_key:
        return InaraKey(tenant.inara_api_key, from_file=False)
    return None
