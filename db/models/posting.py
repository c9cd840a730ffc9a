"""The post ledger (each automatic post once per guild), the ticks officers record for their own
guild, and the global state: galaxy ticks, bot state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin
from db.types import BigIntPK


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


class OutboxEntry(TenantMixin, Base):
    """A post one process produced that the process holding the guild's shard must send (an
    alert from after-ingest work), written in the transaction of the change that caused it.
    (guild, kind, key) is the post's ledger identity; the row goes once the post is sent."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("guild_id", "kind", "key"), Index(None, "due_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]  # not before: a failed send waits here with backoff
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_until: Mapped[datetime | None]  # a poster is sending it until then
    last_error: Mapped[str | None] = mapped_column(String(300))


class GalaxyTick(Base):
    """A galaxy tick, stored once (global, not per guild)."""

    __tablename__ = "galaxy_ticks"
    __table_args__ = (UniqueConstraint("tick_time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tick_time: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime]


class GuildTick(TenantMixin, Base):
    """A tick an officer recorded for their own guild (`/tick set`): that guild's tick until a
    source reports a later galaxy tick. Never read by another guild."""

    __tablename__ = "guild_ticks"
    __table_args__ = (UniqueConstraint("guild_id", "tick_time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tick_time: Mapped[datetime]
    set_by: Mapped[int] = mapped_column(BigInteger)  # the officer's Discord user id
    seen_at: Mapped[datetime]


class BotState(Base):
    """Small global key/value state (e.g. the hash of the last synced command tree)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
