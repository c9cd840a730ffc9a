"""The plugin's per-tick tallies (PUT /activities): one snapshot per cmdr and tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK, JSONDoc


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
    # the tally's totals of its JSON counters (`bgs.tallies`), set when it is stored
    thargoid_kills: Mapped[int] = mapped_column(BigInteger, default=0)
    tw_rescue: Mapped[int] = mapped_column(BigInteger, default=0)
    search_rescue: Mapped[int] = mapped_column(BigInteger, default=0)

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
