"""Every event the plugin sent, and the typed rows of the event types that feed summaries.

Event child tables repeat the few envelope columns that summaries filter and group by
(`guild_id`, `timestamp`, `tickid`, `cmdr`, `system_name`) so that a summary reads one indexed
table instead of joining a million-row `events` table; they are written from the same parsed
envelope in the same statement batch, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK


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


class AfterIngestWork(TenantMixin, Base):
    """Events stored but not yet through the after-ingest work (conflicts, harm): the ids of one
    transaction's events, written with them and deleted once the work is done, so a process
    that dies between the plugin's answer and the work leaves it for another run to finish."""

    __tablename__ = "after_ingest_work"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    first_event_id: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
