"""Listener API keys: created once, stored as SHA-256 hashes only, revocable.

Keys are random letters and digits (BGS-Tally strips every other character, and cuts at 128).
A key has 256 bits of entropy, so a plain SHA-256 is a safe verifier; lookups go by hash and
the final comparison is constant-time. A personal key (`bgs.members`) has an owner, a Discord
user; a squadron key has none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bgs.errors import DomainError
from db.models import ApiKey, Tenant

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 43  # 43 alphanumerics carry > 256 bits


class UnknownKeyError(LookupError):
    """No key with that id (or label) in this guild."""


class TooManyKeysError(DomainError):
    """The guild has as many active keys as it may (MAX_KEYS_PER_GUILD)."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown about a key: never the key itself."""

    id: int
    label: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    api_version: str | None
    owner_id: int | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), key_hash)


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        label=row.label,
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        api_version=row.api_version,
        owner_id=row.owner_id,
    )


async def create_key(
    session: AsyncSession,
    *,
    label: str,
    created_by: str,
    owner_id: int | None = None,
    limit: int | None = None,
) -> tuple[str, KeyInfo]:
    """A new key for the session's guild (a personal key of `owner_id`, else a squadron key);
    the plain key is returned once and never stored. With `limit`, refused (TooManyKeysError)
    when the guild has that many active keys already: each key costs the listener a cache
    entry and a rate-limit bucket, so one guild may not mint them without end."""
    if limit is not None:
        active = await session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))
        )
        if (active or 0) >= limit:
            raise TooManyKeysError(
                f"This server has {active} active API keys, the most it may have ({limit}). "
                "Revoke keys no longer used (`/apikey list`, `/apikey revoke`) and try again."
            )
    key = new_key()
    row = ApiKey(
        key_hash=hash_key(key),
        label=label,
        created_by=created_by,
        created_at=datetime.now(UTC),
        owner_id=owner_id,
    )
    session.add(row)
    await session.flush()
    return key, _info(row)


async def ensure_key(session: AsyncSession, key: str, *, label: str, created_by: str) -> None:
    """Register a key given by the operator (tenants.json) unless it is already known."""
    existing = (
        await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            ApiKey(
                key_hash=hash_key(key),
                label=label,
                created_by=created_by,
                created_at=datetime.now(UTC),
            )
        )
        await session.flush()


async def list_keys(session: AsyncSession) -> list[KeyInfo]:
    rows = (await session.execute(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))).scalars()
    return [_info(row) for row in rows]


async def revoke_key(session: AsyncSession, key_id: int) -> KeyInfo:
    """Revoke one of the guild's keys by id; revoking twice keeps the first time."""
    row = (await session.execute(select(ApiKey).where(ApiKey.id == key_id))).scalar_one_or_none()
    if row is None:
        raise UnknownKeyError(f"this server has no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await session.flush()
    return _info(row)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Whose key a presented key is: the guild, and the member for a personal key
    (`owner_id`); `personal_keys_only` is the guild's rule that squadron keys are refused."""

    guild_id: int
    key_id: int
    revoked: bool
    api_version: str | None
    last_used_at: datetime | None
    owner_id: int | None = None
    personal_keys_only: bool = False
    guild_left: bool = False  # the bot left the guild: its keys are refused until it returns


async def find_owner(session: AsyncSession, key: str) -> KeyOwner | None:
    """Look a presented key up by its hash across guilds (an unscoped session)."""
    digest = hash_key(key)
    found = (
        await session.execute(
            select(ApiKey, Tenant.personal_keys_only, Tenant.left_at)
            .outerjoin(Tenant, Tenant.guild_id == ApiKey.guild_id)
            .where(ApiKey.key_hash == digest)
        )
    ).one_or_none()
    if found is None or not matches(key, found[0].key_hash):
        return None
    row, personal_keys_only, left_at = found
    return KeyOwner(
        guild_id=row.guild_id,
        key_id=row.id,
        revoked=row.revoked_at is not None,
        api_version=row.api_version,
        last_used_at=row.last_used_at,
        owner_id=row.owner_id,
        personal_keys_only=bool(personal_keys_only),
        guild_left=left_at is not None,
    )


async def record_use(
    session: AsyncSession, key_id: int, used_at: datetime, api_version: str | None
) -> None:
    """Remember when a key was last used and which plugin API version it spoke."""
    row = (await session.execute(select(ApiKey).where(ApiKey.id == key_id))).scalar_one()
    row.last_used_at = used_at
    if api_version is not None:
        row.api_version = api_version


def describe(info: KeyInfo) -> str:
    """One line about a key for operators and officers (never the key)."""
    state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M} UTC" if info.revoked_at else "active"
    used = f"{info.last_used_at:%Y-%m-%d %H:%M} UTC" if info.last_used_at else "never"
    version = f", plugin API {info.api_version}" if info.api_version else ""
    kind = "squadron key" if info.owner_id is None else f"personal key of user {info.owner_id}"
    return (
        f"#{info.id} {info.label!r}: {state}; created {info.created_at:%Y-%m-%d %H:%M} UTC by "
        f"{info.created_by}; last used {used}{version}; {kind}"
    )
