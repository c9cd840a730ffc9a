"""Objectives officers set, their targets and the settlements of ground-CZ targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK


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
