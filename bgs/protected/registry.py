"""The officers' list of protected factions.

Names match case-insensitively and are stored with the spelling the guild's data uses, because
harm is found by comparing that exact spelling with the events. A faction no member event or
activity ever named (not in `known_factions`) is refused with `UnknownFactionError` unless the
caller passes `force=True`: a typo would otherwise protect nothing, silently. The Discord command
offers this as an optional `force` option, which the error's text names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.errors import DomainError
from bgs.names import CHOICES_LIMIT, faction_names, matching_names
from bgs.unchanged import UNCHANGED, Keep
from db.bulk import dialect_insert, dialect_name
from db.models import (
    NAME,
    KnownFaction,
    ProtectedFaction,
)

DESCRIPTION_MAX: Final = 200  # protected_factions.description length


class ProtectedError(DomainError):
    """A protected-list request that cannot be done; the message tells the user what to do."""


class DuplicateProtectedError(ProtectedError):
    """The faction is already on the list."""


class UnknownFactionError(ProtectedError):
    """The faction was never seen in the guild's data and `force` was not given."""


class NotProtectedError(ProtectedError):
    """No protected faction by that name."""


@dataclass(frozen=True, slots=True)
class ProtectedInfo:
    id: int
    name: str
    description: str | None
    channel_id: int | None  # overrides the guild's alerts channel for this faction
    created_by: int | None
    created_at: datetime


def info_of(row: ProtectedFaction) -> ProtectedInfo:
    return ProtectedInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        channel_id=row.channel_id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ProtectedError("Give the name of a minor faction.")
    if len(cleaned) > NAME:
        raise ProtectedError(f"A faction name has at most {NAME} characters.")
    return cleaned


def _clean_description(description: str | None) -> str | None:
    cleaned = (description or "").strip()
    if len(cleaned) > DESCRIPTION_MAX:
        raise ProtectedError(f"The description has at most {DESCRIPTION_MAX} characters.")
    return cleaned or None


def _same_name(column: Any, name: str) -> ColumnElement[bool]:
    comparison: ColumnElement[bool] = func.lower(column) == name.lower()
    return comparison


async def _find(session: AsyncSession, name: str) -> ProtectedFaction | None:
    """The protected faction of that name (exact spelling first, then any case)."""
    result = await session.execute(
        select(ProtectedFaction).where(_same_name(ProtectedFaction.name, name))
    )
    rows = result.scalars().all()
    return next((row for row in rows if row.name == name), rows[0] if rows else None)


async def _require(session: AsyncSession, name: str) -> ProtectedFaction:
    cleaned = _clean_name(name)
    row = await _find(session, cleaned)
    if row is None:
        raise NotProtectedError(
            f"“{cleaned}” is not on this server's protected list; /protected list shows it."
        )
    return row


async def get_protected(session: AsyncSession, name: str) -> ProtectedInfo:
    """One protected faction by name (any case); NotProtectedError when it is not listed."""
    return info_of(await _require(session, name))


async def add_protected(
    session: AsyncSession,
    name: str,
    *,
    description: str | None = None,
    channel_id: int | None = None,
    created_by: int | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> ProtectedInfo:
    """Protect a faction from `now` on (events before that never count as harm).

    The name takes the spelling of the guild's known faction that matches it in any case.
    Raises DuplicateProtectedError, or UnknownFactionError for a faction never seen in the
    guild's data unless `force` is true.
    """
    cleaned = _clean_name(name)
    text = _clean_description(description)
    existing = await _find(session, cleaned)
    if existing is not None:
        raise DuplicateProtectedError(
            f"“{existing.name}” is already protected (since {existing.created_at:%Y-%m-%d}). "
            "Change its description or channel with /protected edit."
        )
    result = await session.execute(
        select(KnownFaction.name).where(_same_name(KnownFaction.name, cleaned))
    )
    known = result.scalars().all()
    if known:
        cleaned = cleaned if cleaned in known else min(known)
    elif not force:
        raise UnknownFactionError(
            f"No member's data has ever named a faction “{cleaned}”, so it may be misspelled "
            "and would never raise an alert. Pick a name from the suggestions, or add it anyway "
            "with force: True."
        )
    statement = (
        dialect_insert(dialect_name(session), ProtectedFaction)
        .on_conflict_do_nothing(index_elements=["guild_id", "name"])
        .returning(ProtectedFaction.id)
    )
    created_at = now or datetime.now(UTC)
    values = {
        "name": cleaned,
        "description": text,
        "channel_id": channel_id,
        "created_by": created_by,
        "created_at": created_at,
    }
    new_id = (await session.execute(statement, [values])).scalar_one_or_none()
    if new_id is None:  # another officer added it in the meantime
        raise DuplicateProtectedError(f"“{cleaned}” is already protected.")
    return ProtectedInfo(new_id, cleaned, text, channel_id, created_by, created_at)


async def edit_protected(
    session: AsyncSession,
    name: str,
    *,
    description: str | Keep | None = UNCHANGED,
    channel_id: int | Keep | None = UNCHANGED,
) -> ProtectedInfo:
    """Change a protected faction's description or channel; None (or "") clears one."""
    if description is UNCHANGED and channel_id is UNCHANGED:
        raise ProtectedError("Give a new description or channel (or clear one); nothing changed.")
    row = await _require(session, name)
    if description is not UNCHANGED:
        row.description = _clean_description(description)
    if channel_id is not UNCHANGED:
        row.channel_id = channel_id
    await session.flush()
    return info_of(row)


async def remove_protected(session: AsyncSession, name: str) -> ProtectedInfo:
    """Take a faction off the list; its recorded harm goes with it."""
    row = await _require(session, name)
    info = info_of(row)
    await session.delete(row)
    await session.flush()
    return info


async def list_protected(session: AsyncSession) -> list[ProtectedInfo]:
    """The guild's protected factions, by name."""
    rows = await session.execute(
        select(ProtectedFaction).order_by(func.lower(ProtectedFaction.name), ProtectedFaction.id)
    )
    return [info_of(row) for row in rows.scalars()]


async def faction_choices(
    session: AsyncSession, current: str, *, protected_only: bool = False, limit: int = CHOICES_LIMIT
) -> list[str]:
    """Autocomplete: faction names containing `current` (any case), prefix matches first.

    `protected_only` for edit/remove; otherwise the guild's known factions and the protected
    names (a name added with `force` and never seen since is only in the latter).
    """
    protected = await matching_names(
        session, ProtectedFaction.name, ProtectedFaction.created_at, current, limit
    )
    if protected_only:
        return protected
    merged = list(dict.fromkeys([*await faction_names(session, current, limit), *protected]))
    prefix = current.strip().lower()
    merged.sort(key=lambda name: not name.lower().startswith(prefix))  # stable: keeps recency
    return merged[:limit]
