"""Protected factions with the harm recorded against them, and the conflicts seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK


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
