"""The galaxy as the community sees it (EDDN and members' own jumps): global tables shared by
every tenant, like the galaxy tick. Each row holds the newest observation by journal timestamp
(`observed_at`); an older or equal report changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NAME, Base
from db.types import JSONDoc

LABEL = 64  # economy, government, security, allegiance, state, power and similar names


class GalaxySystem(Base):
    """The latest known state of one system, keyed by its `SystemAddress`."""

    __tablename__ = "galaxy_systems"
    __table_args__ = (
        Index(None, "name"),
        Index(None, "controlling_faction"),
        Index(None, "controlling_power"),
        # autocomplete and look-ups by name in any case (bgs.galaxy.views)
        Index("ix_galaxy_systems_lower_name", text("lower(name)")),
    )

    system_address: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(NAME))
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(BigInteger)
    security: Mapped[str | None] = mapped_column(String(LABEL))
    economy: Mapped[str | None] = mapped_column(String(LABEL))
    second_economy: Mapped[str | None] = mapped_column(String(LABEL))
    government: Mapped[str | None] = mapped_column(String(LABEL))
    allegiance: Mapped[str | None] = mapped_column(String(LABEL))
    controlling_faction: Mapped[str | None] = mapped_column(String(NAME))
    controlling_faction_state: Mapped[str | None] = mapped_column(String(LABEL))
    controlling_power: Mapped[str | None] = mapped_column(String(LABEL))
    powers: Mapped[list[str] | None] = mapped_column(JSONDoc)
    powerplay_state: Mapped[str | None] = mapped_column(String(LABEL))
    powerplay_control_progress: Mapped[float | None] = mapped_column(Float)
    powerplay_reinforcement: Mapped[int | None] = mapped_column(BigInteger)
    powerplay_undermining: Mapped[int | None] = mapped_column(BigInteger)
    # [{"Power": name, "ConflictProgress": fraction}] as the journal writes it
    powerplay_conflict_progress: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    observed_at: Mapped[datetime]  # the journal timestamp of the snapshot stored
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # "eddn" or "member"
    # a digest of the snapshot's content but its time (bgs.galaxy.store.content_hash): a report
    # that repeats the stored state only moves the times on
    content_hash: Mapped[str | None] = mapped_column(String(32))


class GalaxyFaction(Base):
    """The latest known presence of one faction in one system (replaced as a whole with each
    newer snapshot of the system: a faction that retreated disappears)."""

    __tablename__ = "galaxy_factions"
    __table_args__ = (
        Index(None, "faction"),
        Index("ix_galaxy_factions_lower_faction", text("lower(faction)")),
    )

    system_address: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    faction: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    influence: Mapped[float] = mapped_column(Float)  # a 0..1 fraction, as the journal has it
    state: Mapped[str | None] = mapped_column(String(LABEL))
    # lists of state names (the journal's trends are not kept)
    active_states: Mapped[list[Any]] = mapped_column(JSONDoc)
    pending_states: Mapped[list[Any]] = mapped_column(JSONDoc)
    recovering_states: Mapped[list[Any]] = mapped_column(JSONDoc)
    government: Mapped[str | None] = mapped_column(String(LABEL))
    allegiance: Mapped[str | None] = mapped_column(String(LABEL))
    happiness: Mapped[str | None] = mapped_column(String(LABEL))
    observed_at: Mapped[datetime]


class GalaxyConflict(Base):
    """A conflict of the latest snapshot of a system (replaced with the system's snapshot)."""

    __tablename__ = "galaxy_conflicts"
    __table_args__ = (Index(None, "faction1"), Index(None, "faction2"))

    system_address: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    faction1: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    faction2: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    war_type: Mapped[str] = mapped_column(String(32))  # war, civilwar, election
    status: Mapped[str] = mapped_column(String(32))  # pending, active, "" (over)
    stake1: Mapped[str | None] = mapped_column(String(NAME))
    stake2: Mapped[str | None] = mapped_column(String(NAME))
    won_days1: Mapped[int] = mapped_column(Integer)
    won_days2: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime]


class GalaxyInfluence(Base):
    """Influence history of a watched system: one row per system, faction and tick period (the
    period's last observation), so the history grows with what tenants watch."""

    __tablename__ = "galaxy_influence"
    __table_args__ = (Index(None, "faction", "tick_at"),)

    system_address: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    faction: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    tick_at: Mapped[datetime] = mapped_column(primary_key=True)  # start of the tick period
    influence: Mapped[float] = mapped_column(Float)
    state: Mapped[str | None] = mapped_column(String(LABEL))
    observed_at: Mapped[datetime]


class GalaxyFeedCount(Base):
    """Messages of the galaxy feed per minute and outcome ("kept" or a drop reason), so any
    process can show the feed's last hour in /status."""

    __tablename__ = "galaxy_feed_counts"

    minute: Mapped[datetime] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
