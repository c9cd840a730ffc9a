"""Which cmdr belongs to which member: links made by a member's personal key, claims a member
makes (`/cmdr claim`) that an officer confirms or refuses, and the look-ups the commands need.

A cmdr has at most one row: linked to a member, or claimed by one and pending. Error messages
name no cmdr (the member knows which one they asked about, and a name from outside would need
escaping here, where Discord is unknown).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.errors import DomainError
from bgs.names import CHOICES_LIMIT
from db.models import Cmdr, CmdrLink, Member

LINKED = "linked"
PENDING = "pending"
BY_KEY = "key"
BY_CLAIM = "claim"


class LinkError(DomainError):
    """A claim, decision or unlink that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Link:
    """A cmdr and the member it is linked to (or claimed by, `pending`)."""

    id: int
    cmdr: str
    user_id: int
    member: str | None  # the member's server name, when known
    pending: bool
    source: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @property
    def by_key(self) -> bool:
        """Linked (or confirmed) by the member's personal key, not by a claim."""
        return self.source == BY_KEY


def _link(row: CmdrLink, member: str | None) -> Link:
    return Link(
        id=row.id,
        cmdr=row.cmdr,
        user_id=row.user_id,
        member=member,
        pending=row.status == PENDING,
        source=row.source,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


async def _links(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[Link]:
    statement = (
        select(CmdrLink, Member.name)
        .outerjoin(Member, Member.user_id == CmdrLink.user_id)
        .where(*conditions)
    )
    return [_link(row, member) for row, member in await session.execute(statement)]


async def my_cmdrs(session: AsyncSession, user_id: int) -> list[str]:
    """The cmdrs linked to a member, by name."""
    rows = await session.execute(
        select(CmdrLink.cmdr).where(CmdrLink.user_id == user_id, CmdrLink.status == LINKED)
    )
    return sorted(rows.scalars(), key=str.casefold)


async def known_cmdr(session: AsyncSession, name: str) -> str:
    """The name of a cmdr of the guild's data as stored, found in any case."""
    typed = name.strip()
    found = (
        await session.execute(
            select(Cmdr.name)
            .where(func.lower(Cmdr.name) == typed.lower())
            .order_by((Cmdr.name == typed).desc(), Cmdr.name)
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is None:
        raise LinkError(
            "No cmdr by that name has sent data to this server yet: pick one from the list as "
            "you type (a cmdr appears once BGS-Tally sent their data)."
        )
    return found


async def link_of(session: AsyncSession, cmdr: str) -> Link | None:
    """The cmdr's link or pending claim, if any."""
    found = await _links(session, CmdrLink.cmdr == cmdr)
    return found[0] if found else None


async def claim_cmdr(session: AsyncSession, name: str, user_id: int, now: datetime) -> str:
    """A member asks for a known cmdr to be linked to them; an officer decides. Returns the
    cmdr's name as stored."""
    cmdr = await known_cmdr(session, name)
    existing = await link_of(session, cmdr)
    if existing is not None:
        mine = existing.user_id == user_id
        raise LinkError(
            {
                (False, True): "That cmdr is already linked to you.",
                (False, False): "That cmdr is linked to another member. If it is yours, ask an "
                "officer to unlink it first (`/cmdr unlink`).",
                (True, True): "You asked for that cmdr already; an officer confirms it with "
                "`/cmdr links`.",
                (True, False): "Another member asked for that cmdr; an officer decides with "
                "`/cmdr links`.",
            }[existing.pending, mine]
        )
    session.add(
        CmdrLink(cmdr=cmdr, user_id=user_id, status=PENDING, source=BY_CLAIM, created_at=now)
    )
    await session.flush()
    return cmdr


async def decide_claim(
    session: AsyncSession, link_id: int, *, accept: bool, officer: str, now: datetime
) -> Link:
    """Confirm (link) or refuse (drop) a pending claim; returns the claim as it was asked."""
    found = await _links(session, CmdrLink.id == link_id, CmdrLink.status == PENDING)
    if not found:
        raise LinkError(
            "This claim was decided already or withdrawn; `/cmdr links` shows how things stand."
        )
    if accept:
        row = (await session.execute(select(CmdrLink).where(CmdrLink.id == link_id))).scalar_one()
        row.status, row.decided_at, row.decided_by = LINKED, now, officer[:100]
        await session.flush()
    else:
        await session.execute(delete(CmdrLink).where(CmdrLink.id == link_id))
    return found[0]


async def unlink_cmdr(session: AsyncSession, name: str) -> Link:
    """Drop a cmdr's link or pending claim (found in any case); returns what was dropped."""
    found = await _links(session, func.lower(CmdrLink.cmdr) == name.strip().lower())
    if not found:
        raise LinkError("That cmdr is not linked to anyone, and nobody asked for it.")
    exact = [link for link in found if link.cmdr == name.strip()]
    link = (exact or found)[0]
    await session.execute(delete(CmdrLink).where(CmdrLink.id == link.id))
    return link


async def list_links(session: AsyncSession) -> list[Link]:
    """Pending claims (oldest first), then links (by cmdr)."""
    links = await _links(session)
    pending = sorted((link for link in links if link.pending), key=lambda link: link.created_at)
    linked = sorted(
        (link for link in links if not link.pending), key=lambda item: item.cmdr.casefold()
    )
    return pending + linked


async def members_of(session: AsyncSession, cmdrs: Collection[str]) -> dict[str, str]:
    """Cmdr → the server name of the member it is linked to, for those linked to a known
    member."""
    if not cmdrs:
        return {}
    rows = await session.execute(
        select(CmdrLink.cmdr, Member.name)
        .join(Member, Member.user_id == CmdrLink.user_id)
        .where(CmdrLink.status == LINKED, CmdrLink.cmdr.in_(set(cmdrs)))
    )
    return dict(rows.all())


async def linked_names(
    session: AsyncSession, fragment: str, limit: int = CHOICES_LIMIT
) -> list[str]:
    """Linked or claimed cmdrs whose name contains `fragment` (for autocomplete)."""
    statement = select(CmdrLink.cmdr)
    if fragment.strip():
        statement = statement.where(
            func.lower(CmdrLink.cmdr).contains(fragment.strip().lower(), autoescape=True)
        )
    rows = await session.execute(statement.order_by(CmdrLink.cmdr).limit(limit))
    return list(rows.scalars())
