"""Tenants (one per Discord guild), their settings, officer roles, notices, API keys, and the
cmdrs (with their Inara profiles), systems and factions seen in their data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK


class Tenant(TenantMixin, Base):
    """A tenant: one Discord guild and its settings (table `guilds`)."""

    __tablename__ = "guilds"
    __table_args__ = (UniqueConstraint("guild_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    source: Mapped[str] = mapped_column(String(16))  # "tenants.json" or "discord"
    channel_tick: Mapped[int | None] = mapped_column(BigInteger)
    channel_summary: Mapped[int | None] = mapped_column(BigInteger)
    channel_conflict: Mapped[int | None] = mapped_column(BigInteger)
    channel_alerts: Mapped[int | None] = mapped_column(BigInteger)
    channel_recruits: Mapped[int | None] = mapped_column(BigInteger)
    post_tick_delay_minutes: Mapped[int] = mapped_column(Integer, default=15)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=True)
    cz_summaries: Mapped[bool] = mapped_column(Boolean, default=True)
    conflict_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    conflict_digest_hours: Mapped[str] = mapped_column(String(80), default="0,6,12,18")
    registered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    # Members and cmdrs (bgs.members): refuse squadron keys, how many cmdrs a personal key may
    # post for, the Inara key (when not given by tenants.json), who counts as a recruit.
    personal_keys_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cmdrs_per_key: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    inara_api_key: Mapped[str | None] = mapped_column(String(128))
    recruit_rank: Mapped[str] = mapped_column(
        String(64), default="Recruit", server_default="Recruit"
    )
    recruit_days: Mapped[int] = mapped_column(Integer, default=14, server_default=text("14"))
    # Galaxy alerts (bgs.galaxy.alerts): thresholds in influence points, 0 turns one off; the
    # influence section of the post-tick summary.
    galaxy_lead_alert: Mapped[float] = mapped_column(Float, default=5.0, server_default=text("5"))
    galaxy_drop_alert: Mapped[float] = mapped_column(Float, default=3.0, server_default=text("3"))
    galaxy_retreat_alert: Mapped[float] = mapped_column(
        Float, default=5.0, server_default=text("5")
    )
    galaxy_pending_alert: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    galaxy_conflict_alert: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    galaxy_summary: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Raw events older than this many days are pruned (bgs.retention); None: the deployment's
    # EVENT_RETENTION_DAYS, 0: never.
    event_retention_days: Mapped[int | None] = mapped_column(Integer)

    officer_roles: Mapped[list[OfficerRole]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OfficerRole.role_id"
    )


class OfficerRole(TenantMixin, Base):
    __tablename__ = "officer_roles"
    __table_args__ = (UniqueConstraint("guild_id", "role_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_row_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(BigInteger)


class TenantNotice(TenantMixin, Base):
    """Something officers should know, shown by /status (e.g. a deleted channel was dropped)."""

    __tablename__ = "guild_notices"
    __table_args__ = (Index(None, "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(500))


class ApiKey(TenantMixin, Base):
    """A listener API key. Only its SHA-256 is stored. A personal key (`/connect`) has the
    Discord user it belongs to as `owner_id`; a squadron key has none."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("key_hash"),
        Index(None, "guild_id", "created_at"),
        Index(None, "guild_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    api_version: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(BigInteger)


class Cmdr(TenantMixin, Base):
    """A commander seen in the guild's data, with Inara profile fields: the ranks by name,
    `rank_power` the power they pledge to, the squadron and their rank in it; `inara_status`
    and `inara_reason` say how the last look-up went (`inara_checked_at`), `inara_fetched_at`
    when the stored profile was read."""

    __tablename__ = "cmdrs"
    __table_args__ = (UniqueConstraint("guild_id", "name"), Index(None, "guild_id", "last_seen"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    rank_combat: Mapped[str | None] = mapped_column(String(64))
    rank_trade: Mapped[str | None] = mapped_column(String(64))
    rank_explore: Mapped[str | None] = mapped_column(String(64))
    rank_cqc: Mapped[str | None] = mapped_column(String(64))
    rank_empire: Mapped[str | None] = mapped_column(String(64))
    rank_federation: Mapped[str | None] = mapped_column(String(64))
    rank_power: Mapped[str | None] = mapped_column(String(64))
    credits: Mapped[int | None] = mapped_column(BigInteger)
    assets: Mapped[int | None] = mapped_column(BigInteger)
    inara_url: Mapped[str | None] = mapped_column(String(256))
    squadron_name: Mapped[str | None] = mapped_column(String(NAME))
    squadron_rank: Mapped[str | None] = mapped_column(String(64))
    inara_status: Mapped[str | None] = mapped_column(String(16))
    inara_reason: Mapped[str | None] = mapped_column(String(300))
    inara_checked_at: Mapped[datetime | None]
    inara_fetched_at: Mapped[datetime | None]


class KnownSystem(TenantMixin, Base):
    """A star system seen in the guild's data: name, address and coordinates (from StarPos)."""

    __tablename__ = "known_systems"
    __table_args__ = (UniqueConstraint("guild_id", "address"), Index(None, "guild_id", "name"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    address: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(NAME))
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    last_seen: Mapped[datetime]


class KnownFaction(TenantMixin, Base):
    """A minor faction named in the guild's data (for autocomplete)."""

    __tablename__ = "known_factions"
    __table_args__ = (UniqueConstraint("guild_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    last_seen: Mapped[datetime]
