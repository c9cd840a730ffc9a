"""Tenants: guild rows and their settings, provisioned from `tenants.json` or registered on join."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bgs import apikeys
from bgs.errors import DomainError
from bgs.unchanged import assign_given
from db.database import Database
from db.models import NAME, OfficerRole, Tenant, TenantNotice
from settings import ChannelKind, TenantConfig, TenantsFile

log = logging.getLogger(__name__)

SOURCE_FILE = "tenants.json"
SOURCE_DISCORD = "discord"

# The members settings tenants.json may give (bgs.members); the file's Inara key is never
# stored, it is read from the file when needed.
FILE_MEMBER_SETTINGS = ("personal_keys_only", "cmdrs_per_key", "recruit_rank", "recruit_days")

CHANNEL_COLUMNS: dict[ChannelKind, str] = {kind: f"channel_{kind.value}" for kind in ChannelKind}


def utcnow() -> datetime:
    return datetime.now(UTC)


async def get_tenant(session: AsyncSession) -> Tenant | None:
    """The tenant's guild row with its officer roles (the session is scoped to the guild)."""
    statement = select(Tenant).options(selectinload(Tenant.officer_roles))
    return (await session.execute(statement)).scalar_one_or_none()


def channel_of(tenant: Tenant, kind: ChannelKind) -> int | None:
    value: int | None = getattr(tenant, CHANNEL_COLUMNS[kind])
    return value


def set_channel(tenant: Tenant, kind: ChannelKind, channel_id: int | None) -> None:
    setattr(tenant, CHANNEL_COLUMNS[kind], channel_id)


def officer_role_ids(tenant: Tenant) -> list[int]:
    return [role.role_id for role in tenant.officer_roles]


async def _apply(session: AsyncSession, tenant: TenantConfig, now: datetime) -> Tenant:
    guild = await get_tenant(session)
    if guild is None:
        guild = Tenant(name=tenant.name, source=SOURCE_FILE, registered_at=now)
        session.add(guild)
    guild.name = tenant.name
    guild.source = SOURCE_FILE
    guild.left_at = None
    if tenant.faction is not None:
        guild.faction = tenant.faction
    for setting in FILE_MEMBER_SETTINGS:
        value = getattr(tenant, setting)
        if value is not None:
            setattr(guild, setting, value)
    for kind, channel_id in tenant.channels.items():
        set_channel(guild, kind, channel_id)
    known = set(officer_role_ids(guild))
    for role_id in tenant.officer_roles:
        if role_id not in known:
            guild.officer_roles.append(OfficerRole(role_id=role_id))
    await session.flush()
    return guild


async def provision(db: Database, tenants: TenantsFile) -> None:
    """Configure every guild of `tenants.json` and register its API keys (idempotent).

    Processes that start together provision the same guilds at once: the one whose insert
    loses to another's applies the file again, now to the row the other made.
    """
    now = utcnow()
    for tenant in tenants.tenants:
        try:
            await _provision_one(db, tenant, now)
        except IntegrityError:
            await _provision_one(db, tenant, now)
        log.info("tenant %r (guild %s) configured from tenants.json", tenant.name, tenant.guild_id)


async def _provision_one(db: Database, tenant: TenantConfig, now: datetime) -> None:
    async with db.tenant_write(tenant.guild_id) as session:
        await _apply(session, tenant, now)
        for key in tenant.api_keys:
            await apikeys.ensure_key(
                session, key.key.get_secret_value(), label=key.label, created_by=SOURCE_FILE
            )


async def register(db: Database, guild_id: int, name: str) -> Tenant:
    """Register a guild the bot joined (open registration), or mark it present again."""
    async with db.tenant_write(guild_id) as session:
        guild = await get_tenant(session)
        if guild is None:
            guild = Tenant(name=name, source=SOURCE_DISCORD, registered_at=utcnow())
            session.add(guild)
            log.info("guild %s (%s) registered with default settings", guild_id, name)
        guild.left_at = None
        await session.flush()
        return guild


class SettingsError(DomainError):
    """A setting the user asked for is not allowed; the message says what is."""


def parse_hours(text: str) -> str:
    """'0, 6,12,18' → '0,6,12,18'; each an hour 0-23, at least one, no repeats."""
    try:
        hours = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
    except ValueError:
        raise SettingsError(
            f"Hours must be whole hours 0-23 separated by commas, like `0,6,12,18` (got `{text}`)."
        ) from None
    if not hours or hours[0] < 0 or hours[-1] > 23:
        raise SettingsError(f"Hours must be between 0 and 23, like `0,6,12,18` (got `{text}`).")
    return ",".join(str(hour) for hour in hours)


def set_faction(tenant: Tenant, name: str) -> str:
    """Set the squadron's faction (trimmed, 1 to 128 characters); returns the name set."""
    name = name.strip()
    if not name or len(name) > NAME:
        raise SettingsError(f"Give the faction's in-game name (1 to {NAME} characters).")
    tenant.faction = name
    return name


def add_officer_role(tenant: Tenant, role_id: int) -> None:
    if role_id in officer_role_ids(tenant):
        raise SettingsError(f"<@&{role_id}> is already an officer role.")
    tenant.officer_roles.append(OfficerRole(role_id=role_id))


def remove_officer_role(tenant: Tenant, role_id: int) -> None:
    if role_id not in officer_role_ids(tenant):
        raise SettingsError(f"<@&{role_id}> is not an officer role; nothing was changed.")
    tenant.officer_roles[:] = [r for r in tenant.officer_roles if r.role_id != role_id]


def set_schedule(
    tenant: Tenant,
    *,
    post_tick_delay: int | None = None,
    daily_summary: bool | None = None,
    cz_summaries: bool | None = None,
    conflict_digest: bool | None = None,
    digest_hours: str | None = None,
) -> None:
    """Change the given schedule settings (None leaves one as it is); hours are checked first."""
    hours = parse_hours(digest_hours) if digest_hours is not None else None
    assign_given(
        tenant,
        post_tick_delay_minutes=post_tick_delay,
        daily_summary=daily_summary,
        cz_summaries=cz_summaries,
        conflict_digest=conflict_digest,
        conflict_digest_hours=hours,
    )


MAX_THRESHOLD = 100.0  # influence points


def set_galaxy_alerts(
    tenant: Tenant,
    *,
    lead: float | None = None,
    drop: float | None = None,
    retreat: float | None = None,
    pending: bool | None = None,
    conflicts: bool | None = None,
    summary: bool | None = None,
) -> None:
    """Change the given galaxy-alert settings (None leaves one as it is; a threshold of 0
    turns its alert off); every value is checked first."""
    for value in (lead, drop, retreat):
        if value is not None and not 0 <= value <= MAX_THRESHOLD:
            raise SettingsError(
                "Thresholds are influence points from 0 (off) to 100. Nothing was changed."
            )
    assign_given(
        tenant,
        galaxy_lead_alert=lead,
        galaxy_drop_alert=drop,
        galaxy_retreat_alert=retreat,
        galaxy_pending_alert=pending,
        galaxy_conflict_alert=conflicts,
        galaxy_summary=summary,
    )


def galaxy_alert_lines(tenant: Tenant) -> list[str]:
    """The galaxy-alert settings as `/config show` and `/config galaxy-alerts` say them."""

    def threshold(value: float, unit: str) -> str:
        return f"under {value:g} {unit}" if value > 0 else "off"

    return [
        f"lead over the runner-up: {threshold(tenant.galaxy_lead_alert, 'points')}",
        "influence drop since the last tick: "
        + (f"over {tenant.galaxy_drop_alert:g} points" if tenant.galaxy_drop_alert > 0 else "off"),
        f"retreat risk: {threshold(tenant.galaxy_retreat_alert, '%')}",
        f"pending expansion, retreat, war, civil war, election: "
        f"{'on' if tenant.galaxy_pending_alert else 'off'}",
        f"conflicts seen on EDDN: {'on' if tenant.galaxy_conflict_alert else 'off'}",
        f"influence in the post-tick summary: {'on' if tenant.galaxy_summary else 'off'}",
    ]


def digest_hours(tenant: Tenant) -> list[int]:
    return [int(hour) for hour in tenant.conflict_digest_hours.split(",") if hour]


async def add_notice(session: AsyncSession, text: str) -> None:
    session.add(TenantNotice(created_at=utcnow(), text=text[:500]))
    await session.flush()


async def recent_notices(session: AsyncSession, limit: int = 5) -> list[TenantNotice]:
    statement = select(TenantNotice).order_by(TenantNotice.created_at.desc()).limit(limit)
    return list((await session.execute(statement)).scalars())


async def drop_channel(session: AsyncSession, channel_id: int, name: str) -> list[ChannelKind]:
    """Forget a deleted channel in every setting that used it, leaving a notice for /status."""
    guild = await get_tenant(session)
    dropped = (
        [] if guild is None else [k for k in ChannelKind if channel_of(guild, k) == channel_id]
    )
    if guild is not None and dropped:
        for kind in dropped:
            set_channel(guild, kind, None)
        kinds = ", ".join(kind.value for kind in dropped)
        await add_notice(session, f"Channel #{name} was deleted; it was the {kinds} channel.")
    return dropped


async def drop_role(session: AsyncSession, role_id: int, name: str) -> bool:
    """Forget a deleted officer role, leaving a notice for /status."""
    guild = await get_tenant(session)
    if guild is None or role_id not in officer_role_ids(guild):
        return False
    guild.officer_roles[:] = [r for r in guild.officer_roles if r.role_id != role_id]
    await add_notice(session, f"Officer role @{name} was deleted and removed from the settings.")
    return True


async def mark_left(db: Database, guild_id: int) -> None:
    """The bot left or was removed: keep every row, remember when."""
    async with db.tenant_write(guild_id) as session:
        guild = await get_tenant(session)
        if guild is not None:
            guild.left_at = utcnow()
