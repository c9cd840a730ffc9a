"""Which keys the listener accepts, and for which cmdrs a key may post: checked before anything
of a request is stored.

* A guild may accept personal keys only (`personal_keys_only`): its squadron keys are refused.
* A squadron key posts for any cmdr.
* A personal key posts for its member's cmdrs. A cmdr no member has is linked to the member
  the first time the key posts for it (a member's own pending claim is confirmed that way),
  up to the guild's `cmdrs_per_key`; a cmdr linked to another member, or one past the limit,
  makes the whole request refused.

Every key's cmdrs are recorded (`api_key_cmdrs`, for `/apikey list`) the first time this
process sees them. The cmdrs known to be a member's are kept `ttl` seconds, so a busy key costs
no query; an officer's unlink is therefore seen by a listener within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.apikeys import KeyOwner
from bgs.errors import DomainError
from bgs.members.links import BY_KEY, LINKED, PENDING, my_cmdrs
from db.bulk import dialect_insert, dialect_name
from db.database import Database
from db.models import ApiKey, ApiKeyCmdr, CmdrLink, Tenant

DEFAULT_CMDRS_PER_KEY = 3
MAX_REMEMBERED = 100_000


class SquadronKeyRefused(DomainError):
    """The guild accepts personal keys only, and this is a squadron key."""

    def __init__(self) -> None:
        super().__init__(
            "this server accepts personal keys only: get yours with /connect in the server's "
            "Discord and paste it into BGS-Tally's API settings"
        )


class CmdrRefused(DomainError):
    """A personal key posted for a cmdr it may not post for; the message says why."""


def admit(owner: KeyOwner) -> None:
    """Refuse a squadron key where the guild accepts personal keys only."""
    if owner.owner_id is None and owner.personal_keys_only:
        raise SquadronKeyRefused()


def _cmdr_list(cmdrs: Iterable[str]) -> str:
    names = [f"CMDR {cmdr}" for cmdr in sorted(cmdrs, key=str.casefold)]
    if not names:
        return "none yet"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


async def _record_cmdrs(
    session: AsyncSession, key_id: int, cmdrs: Collection[str], now: datetime
) -> None:
    insert = dialect_insert(dialect_name(session), ApiKeyCmdr)
    await session.execute(
        insert.on_conflict_do_nothing(index_elements=["key_id", "cmdr"]),
        [{"key_id": key_id, "cmdr": cmdr, "first_seen": now} for cmdr in sorted(cmdrs)],
    )


async def _bind(
    session: AsyncSession, owner: KeyOwner, cmdrs: frozenset[str], now: datetime
) -> frozenset[str]:
    """Link the cmdrs new to the key's member, or refuse; returns the member's cmdrs."""
    user_id = owner.owner_id
    assert user_id is not None
    # Lock the key's row: two requests of one key link one after the other (PostgreSQL;
    # SQLite has one writer anyway).
    await session.execute(select(ApiKey.id).where(ApiKey.id == owner.key_id).with_for_update())
    setting = (await session.execute(select(Tenant.cmdrs_per_key))).scalar_one_or_none()
    limit = setting or DEFAULT_CMDRS_PER_KEY
    statement = select(CmdrLink).where(
        (CmdrLink.user_id == user_id) | CmdrLink.cmdr.in_(sorted(cmdrs))
    )
    rows = list((await session.execute(statement)).scalars())
    mine = {row.cmdr for row in rows if row.user_id == user_id and row.status == LINKED}
    taken = [
        row.cmdr
        for row in rows
        if row.cmdr in cmdrs and row.status == LINKED and row.user_id != user_id
    ]
    if taken:
        raise CmdrRefused(
            f"{_cmdr_list(taken)} is linked to another member of this server, so this request "
            "was refused and nothing of it was stored; if that is wrong, ask an officer to "
            "unlink it (/cmdr unlink)"
        )
    new = cmdrs - mine
    if len(mine) + len(new) > limit:
        raise CmdrRefused(
            f"a personal key may post for at most {limit} cmdrs: yours has {_cmdr_list(mine)}, "
            f"and this request adds {_cmdr_list(new)}, so it was refused and nothing of it was "
            "stored (an officer can unlink a cmdr with /cmdr unlink, or raise the limit with "
            "/cmdr settings)"
        )
    claims = {row.cmdr: row for row in rows if row.cmdr in new and row.status == PENDING}
    for row in claims.values():  # a claim, the member's own or another's: the key decides
        row.user_id, row.status, row.source = user_id, LINKED, BY_KEY
        row.key_id, row.decided_at, row.decided_by = owner.key_id, now, "personal key"
    if new - claims.keys():
        await _insert_links(session, owner, new - claims.keys(), now)
    await session.flush()
    return frozenset(mine | new)


async def _insert_links(
    session: AsyncSession, owner: KeyOwner, cmdrs: Collection[str], now: datetime
) -> None:
    """Insert new links; a cmdr another request linked meanwhile refuses this one."""
    assert owner.owner_id is not None
    insert = dialect_insert(dialect_name(session), CmdrLink)
    rows = [
        {
            "cmdr": cmdr,
            "user_id": owner.owner_id,
            "status": LINKED,
            "source": BY_KEY,
            "key_id": owner.key_id,
            "created_at": now,
        }
        for cmdr in sorted(cmdrs)
    ]
    await session.execute(insert.on_conflict_do_nothing(index_elements=["guild_id", "cmdr"]), rows)
    owners = await session.execute(
        select(CmdrLink.cmdr).where(
            CmdrLink.cmdr.in_(sorted(cmdrs)), CmdrLink.user_id != owner.owner_id
        )
    )
    taken = list(owners.scalars())
    if taken:
        raise CmdrRefused(
            f"{_cmdr_list(taken)} was just linked to another member, so this request was "
            "refused and nothing of it was stored"
        )


class CmdrGate:
    """The listener's check of the cmdrs a request names (see the module docstring)."""

    def __init__(
        self, db: Database, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._clock = clock
        self._members: dict[tuple[int, int], tuple[float, frozenset[str]]] = {}
        self._recorded: set[tuple[int, str]] = set()

    async def allow(
        self, owner: KeyOwner, cmdrs: Iterable[str | None], now: datetime | None = None
    ) -> None:
        """Let a request naming these cmdrs through, or raise CmdrRefused."""
        named = frozenset(cmdr for cmdr in cmdrs if cmdr)
        if not named:
            return
        now = now or datetime.now(UTC)
        if owner.owner_id is not None:
            await self._check_member(owner, owner.owner_id, named, now)
        unrecorded = {cmdr for cmdr in named if (owner.key_id, cmdr) not in self._recorded}
        if unrecorded:
            async with self._db.tenant_write(owner.guild_id) as session:
                await _record_cmdrs(session, owner.key_id, unrecorded, now)
            self._forget_if_full()
            self._recorded.update((owner.key_id, cmdr) for cmdr in unrecorded)

    async def _check_member(
        self, owner: KeyOwner, user_id: int, named: frozenset[str], now: datetime
    ) -> None:
        """A personal key: the cmdrs known to be the member's pass; otherwise read them, and
        link the new ones (or refuse) in a transaction."""
        ref = (owner.guild_id, user_id)
        known = self._members.get(ref)
        if known is not None and known[0] > self._clock() and named <= known[1]:
            return
        async with self._db.tenant(owner.guild_id) as session:
            linked = frozenset(await my_cmdrs(session, user_id))
        if not named <= linked:
            async with self._db.tenant_write(owner.guild_id) as session:
                linked = await _bind(session, owner, named, now)
        self._forget_if_full()
        self._members[ref] = (self._clock() + self._ttl, linked)

    def _forget_if_full(self) -> None:
        if len(self._recorded) + len(self._members) > MAX_REMEMBERED:
            self._recorded.clear()
            self._members.clear()
