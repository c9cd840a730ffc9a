"""The data model: every entity of the product, SQLAlchemy 2 typed declarative.

Tenant-owned tables carry `guild_id` through `TenantMixin`; a tenant-scoped session filters and
stamps it automatically (see `db.session`). Global tables (galaxy ticks, bot state) do not.

Event child tables repeat the few envelope columns that summaries filter and group by
(`guild_id`, `timestamp`, `tickid`, `cmdr`, `system_name`) so that a summary reads one indexed
table instead of joining a million-row `events` table; they are written from the same parsed
envelope in the same statement batch, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from db.types import BigIntPK, JSONDoc, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME = 128  # length of system, faction, station, settlement and cmdr names


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc,
    }


class TenantMixin:
    """A row owned by one guild (tenant)."""

    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


# --------------------------------------------------------------------------------------------
# Guilds, settings, keys
# --------------------------------------------------------------------------------------------


class Guild(TenantMixin, Base):
    """A tenant: one Discord guild and its settings."""

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
    post_tick_delay_minutes: Mapped[int] = mapped_column(Integer, default=15)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=True)
    cz_summaries: Mapped[bool] = mapped_column(Boolean, default=True)
    conflict_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    conflict_digest_hours: Mapped[str] = mapped_column(String(80), default="0,6,12,18")
    registered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    officer_roles: Mapped[list[OfficerRole]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OfficerRole.role_id"
    )


class OfficerRole(TenantMixin, Base):
    __tablename__ = "officer_roles"
    __table_args__ = (UniqueConstraint("guild_id", "role_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_row_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(BigInteger)


class GuildNotice(TenantMixin, Base):
    """Something officers should know, shown by /status (e.g. a deleted channel was dropped)."""

    __tablename__ = "guild_notices"
    __table_args__ = (Index(None, "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(500))


class ApiKey(TenantMixin, Base):
    """A listener API key. Only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("key_hash"), Index(None, "guild_id", "created_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    api_version: Mapped[str | None] = mapped_column(String(20))


class Cmdr(TenantMixin, Base):
    """A commander seen in the guild's data, with Inara profile fields."""

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


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


class Event(TenantMixin, Base):
    """Every event the plugin sent, whole, as JSON.

    An event is stored once: its content hash is unique per guild. The unique key leads with
    the event's time (which is part of its content, so the key is just as unique), so new
    events go to the key's end instead of random places, a few pages per commit; it also
    serves the filters by time.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("guild_id", "timestamp", "content_hash"),
        Index(None, "guild_id", "tickid"),
        Index(None, "guild_id", "system_name", "event", "timestamp"),
        Index(None, "guild_id", "event", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime]
    tickid: Mapped[str | None] = mapped_column(String(64))
    ticktime: Mapped[datetime | None]
    cmdr: Mapped[str | None] = mapped_column(String(NAME))
    system_name: Mapped[str | None] = mapped_column(String(NAME))
    system_address: Mapped[int | None] = mapped_column(BigInteger)
    station_faction: Mapped[str | None] = mapped_column(String(NAME))
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class EventChild(TenantMixin):
    """Columns every typed event row repeats from its event (see the module docstring)."""

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    timestamp: Mapped[datetime]
    tickid: Mapped[str | None] = mapped_column(String(64))
    cmdr: Mapped[str | None] = mapped_column(String(NAME))
    system_name: Mapped[str | None] = mapped_column(String(NAME))

    @declared_attr
    def event_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return child_indexes()


def child_indexes(*extra: Index) -> tuple[Index, ...]:
    """What summaries (by time or tick) and objectives (by system and time) filter on."""
    return (
        Index(None, "guild_id", "timestamp"),
        Index(None, "guild_id", "tickid"),
        Index(None, "guild_id", "system_name", "timestamp"),
        *extra,
    )


class MarketBuy(EventChild, Base):
    __tablename__ = "market_buys"

    station_faction: Mapped[str | None] = mapped_column(String(NAME))
    commodity: Mapped[str | None] = mapped_column(String(NAME))
    count: Mapped[int] = mapped_column(BigInteger)
    buy_price: Mapped[int] = mapped_column(BigInteger)
    total_cost: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None] = mapped_column(BigInteger)
    stock_bracket: Mapped[int | None] = mapped_column(Integer)


class MarketSell(EventChild, Base):
    __tablename__ = "market_sells"

    station_faction: Mapped[str | None] = mapped_column(String(NAME))
    commodity: Mapped[str | None] = mapped_column(String(NAME))
    count: Mapped[int] = mapped_column(BigInteger)
    sell_price: Mapped[int] = mapped_column(BigInteger)
    total_sale: Mapped[int] = mapped_column(BigInteger)
    avg_price_paid: Mapped[int] = mapped_column(BigInteger)
    profit: Mapped[int] = mapped_column(BigInteger)  # TotalSale - AvgPricePaid * Count
    black_market: Mapped[bool] = mapped_column(Boolean)
    demand: Mapped[int | None] = mapped_column(BigInteger)
    demand_bracket: Mapped[int | None] = mapped_column(Integer)


class MissionCompleted(EventChild, Base):
    __tablename__ = "missions_completed"

    mission_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(NAME))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    reward: Mapped[int] = mapped_column(BigInteger)


class MissionInfluence(EventChild, Base):
    """One influence effect of a completed mission: signed by its trend."""

    __tablename__ = "mission_influences"
    __table_args__ = child_indexes(Index(None, "guild_id", "system_address", "timestamp"))

    faction: Mapped[str] = mapped_column(String(NAME))
    system_address: Mapped[int | None] = mapped_column(BigInteger)
    influence: Mapped[int] = mapped_column(Integer)  # "+++" with an Up trend = 3, Down = -3
    trend: Mapped[str | None] = mapped_column(String(32))
    reputation: Mapped[str | None] = mapped_column(String(8))
    reputation_trend: Mapped[str | None] = mapped_column(String(32))
    effect: Mapped[str | None] = mapped_column(String(NAME))
    effect_trend: Mapped[str | None] = mapped_column(String(32))


class FactionKillBond(EventChild, Base):
    __tablename__ = "faction_kill_bonds"

    reward: Mapped[int] = mapped_column(BigInteger)
    awarding_faction: Mapped[str | None] = mapped_column(String(NAME))
    victim_faction: Mapped[str | None] = mapped_column(String(NAME))
    killer_ship: Mapped[str | None] = mapped_column(String(64))


class MissionFailed(EventChild, Base):
    __tablename__ = "missions_failed"

    mission_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(NAME))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    fine: Mapped[int] = mapped_column(BigInteger)


class ExplorationSale(EventChild, Base):
    """SellExplorationData and MultiSellExplorationData (`event` tells which)."""

    __tablename__ = "exploration_sales"

    event: Mapped[str] = mapped_column(String(64))
    station_faction: Mapped[str | None] = mapped_column(String(NAME))
    base_value: Mapped[int] = mapped_column(BigInteger)
    bonus: Mapped[int] = mapped_column(BigInteger)
    earnings: Mapped[int] = mapped_column(BigInteger)


class RedeemVoucher(EventChild, Base):
    __tablename__ = "redeem_vouchers"

    type: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    faction: Mapped[str | None] = mapped_column(String(NAME))  # combat bonds name one faction
    broker_percentage: Mapped[float | None] = mapped_column(Float)


class RedeemVoucherFaction(EventChild, Base):
    """One faction's share of a voucher: the `Factions` list of bounties, or the one faction."""

    __tablename__ = "redeem_voucher_factions"

    type: Mapped[str] = mapped_column(String(64))
    faction: Mapped[str] = mapped_column(String(NAME))
    amount: Mapped[int] = mapped_column(BigInteger)


class CommitCrime(EventChild, Base):
    __tablename__ = "commit_crimes"

    crime_type: Mapped[str] = mapped_column(String(64))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    victim: Mapped[str | None] = mapped_column(String(NAME))
    fine: Mapped[int] = mapped_column(BigInteger)
    bounty: Mapped[int] = mapped_column(BigInteger)
    is_murder: Mapped[bool] = mapped_column(Boolean)


class SyntheticCZ(EventChild, Base):
    """A space conflict zone fought (counts are signed: manual corrections can be negative)."""

    __tablename__ = "synthetic_czs"

    faction: Mapped[str | None] = mapped_column(String(NAME))
    low: Mapped[int] = mapped_column(Integer)
    medium: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)


class SyntheticGroundCZ(EventChild, Base):
    __tablename__ = "synthetic_ground_czs"

    faction: Mapped[str | None] = mapped_column(String(NAME))
    settlement: Mapped[str | None] = mapped_column(String(NAME))
    low: Mapped[int] = mapped_column(Integer)
    medium: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)


class SyntheticCZObjective(EventChild, Base):
    __tablename__ = "synthetic_cz_objectives"

    faction: Mapped[str | None] = mapped_column(String(NAME))
    type: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


class SyntheticScenario(EventChild, Base):
    __tablename__ = "synthetic_scenarios"

    faction: Mapped[str | None] = mapped_column(String(NAME))
    type: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------------------------
# Activities (the plugin's per-tick tallies)
# --------------------------------------------------------------------------------------------


class Activity(TenantMixin, Base):
    """One cmdr's whole-tick tally; a new PUT for the same (cmdr, tickid) replaces it."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("guild_id", "cmdr", "tickid"),
        Index(None, "guild_id", "tickid"),
        Index(None, "guild_id", "ticktime"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cmdr: Mapped[str] = mapped_column(String(NAME))
    tickid: Mapped[str] = mapped_column(String(64))
    ticktime: Mapped[datetime | None]
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]

    systems: Mapped[list[ActivitySystem]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, back_populates="activity"
    )


class ActivitySystem(TenantMixin, Base):
    __tablename__ = "activity_systems"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME))
    address: Mapped[int] = mapped_column(BigInteger)
    twkills: Mapped[dict[str, Any]]
    twsandr: Mapped[dict[str, Any] | None]
    twreactivate: Mapped[int] = mapped_column(Integer, default=0)

    activity: Mapped[Activity] = relationship(back_populates="systems")
    factions: Mapped[list[ActivityFaction]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, back_populates="system"
    )


class ActivityFaction(TenantMixin, Base):
    """Every counter of one faction in one system, plus the sub-objects as sent."""

    __tablename__ = "activity_factions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    system_id: Mapped[int] = mapped_column(
        ForeignKey("activity_systems.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME))
    state: Mapped[str | None] = mapped_column(String(64))
    influence: Mapped[float | None] = mapped_column(Float)
    bvs: Mapped[int] = mapped_column(BigInteger, default=0)
    cbs: Mapped[int] = mapped_column(BigInteger, default=0)
    exobiology: Mapped[int] = mapped_column(BigInteger, default=0)
    exploration: Mapped[int] = mapped_column(BigInteger, default=0)
    scenarios: Mapped[int] = mapped_column(Integer, default=0)
    infprimary: Mapped[int] = mapped_column(Integer, default=0)
    infsecondary: Mapped[int] = mapped_column(Integer, default=0)
    missionfails: Mapped[int] = mapped_column(Integer, default=0)
    murdersground: Mapped[int] = mapped_column(Integer, default=0)
    murdersspace: Mapped[int] = mapped_column(Integer, default=0)
    tradebm: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_buy_items: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_buy_value: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_sell_items: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_sell_value: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_sell_profit: Mapped[int] = mapped_column(BigInteger, default=0)
    cz_space_low: Mapped[int] = mapped_column(Integer, default=0)
    cz_space_medium: Mapped[int] = mapped_column(Integer, default=0)
    cz_space_high: Mapped[int] = mapped_column(Integer, default=0)
    cz_ground_low: Mapped[int] = mapped_column(Integer, default=0)
    cz_ground_medium: Mapped[int] = mapped_column(Integer, default=0)
    cz_ground_high: Mapped[int] = mapped_column(Integer, default=0)
    stations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    czground_settlements: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    tradebuy: Mapped[dict[str, Any] | None]
    tradesell: Mapped[dict[str, Any] | None]
    sandr: Mapped[dict[str, Any] | None]

    system: Mapped[ActivitySystem] = relationship(back_populates="factions")


# --------------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------------


class Objective(TenantMixin, Base):
    __tablename__ = "objectives"
    __table_args__ = (Index(None, "guild_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    system: Mapped[str | None] = mapped_column(String(NAME))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    targets: Mapped[list[ObjectiveTarget]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="objective",
        order_by="ObjectiveTarget.id",
    )


class ObjectiveTarget(TenantMixin, Base):
    __tablename__ = "objective_targets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    system: Mapped[str | None] = mapped_column(String(NAME))
    faction: Mapped[str | None] = mapped_column(String(NAME))
    station: Mapped[str | None] = mapped_column(String(NAME))
    target_individual: Mapped[int] = mapped_column(BigInteger, default=0)
    target_overall: Mapped[int] = mapped_column(BigInteger, default=0)

    objective: Mapped[Objective] = relationship(back_populates="targets")
    settlements: Mapped[list[ObjectiveSettlement]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="target",
        order_by="ObjectiveSettlement.id",
    )


class ObjectiveSettlement(TenantMixin, Base):
    __tablename__ = "objective_settlements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("objective_targets.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME))
    target_individual: Mapped[int] = mapped_column(BigInteger, default=0)
    target_overall: Mapped[int] = mapped_column(BigInteger, default=0)

    target: Mapped[ObjectiveTarget] = relationship(back_populates="settlements")


# --------------------------------------------------------------------------------------------
# Protected factions and conflicts
# --------------------------------------------------------------------------------------------


class ProtectedFaction(TenantMixin, Base):
    __tablename__ = "protected_factions"
    __table_args__ = (UniqueConstraint("guild_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ProtectedHarm(TenantMixin, Base):
    """One event of a member that harmed a protected faction."""

    __tablename__ = "protected_harms"
    __table_args__ = (
        UniqueConstraint("event_id", "protected_faction_id", "kind"),
        Index(None, "guild_id", "tickid", "cmdr"),
        Index(None, "guild_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    protected_faction_id: Mapped[int] = mapped_column(
        ForeignKey("protected_factions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    cmdr: Mapped[str | None] = mapped_column(String(NAME))
    tickid: Mapped[str | None] = mapped_column(String(64))
    timestamp: Mapped[datetime]
    system_name: Mapped[str | None] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(String(300))


class ConflictState(TenantMixin, Base):
    """The newest known state of one conflict in one system, for change alerts."""

    __tablename__ = "conflict_states"
    __table_args__ = (
        UniqueConstraint("guild_id", "system_name", "faction1", "faction2"),
        Index(None, "guild_id", "last_seen"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    system_name: Mapped[str] = mapped_column(String(NAME))
    system_address: Mapped[int | None] = mapped_column(BigInteger)
    faction1: Mapped[str] = mapped_column(String(NAME))
    faction2: Mapped[str] = mapped_column(String(NAME))
    war_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))  # pending, active, ended
    stake1: Mapped[str | None] = mapped_column(String(NAME))
    stake2: Mapped[str | None] = mapped_column(String(NAME))
    won_days1: Mapped[int] = mapped_column(Integer, default=0)
    won_days2: Mapped[int] = mapped_column(Integer, default=0)
    tickid: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Posting and global state
# --------------------------------------------------------------------------------------------


class PostLedger(TenantMixin, Base):
    """Every automatic post, claimed before it is sent: (guild, kind, key) is posted once."""

    __tablename__ = "post_ledger"
    __table_args__ = (UniqueConstraint("guild_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]


class GalaxyTick(Base):
    """A galaxy tick, stored once (global, not per guild)."""

    __tablename__ = "galaxy_ticks"
    __table_args__ = (UniqueConstraint("tick_time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tick_time: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime]


class BotState(Base):
    """Small global key/value state (e.g. the hash of the last synced command tree)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
