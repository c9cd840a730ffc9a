"""Members and their cmdrs: the Discord members the bot knows by name, which cmdr belongs to
which member (or is claimed, waiting for an officer), and the cmdrs each API key posted for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NAME, Base, TenantMixin
from db.types import BigIntPK


class Member(TenantMixin, Base):
    """A Discord member with a key or a cmdr: their server name when last seen (the bot has
    no member list; it learns names from the member's own commands)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class CmdrLink(TenantMixin, Base):
    """A cmdr linked to a member (`status` "linked"), or claimed by one and waiting for an
    officer ("pending"). `source` says how: "key" (the member's personal key posted for it) or
    "claim"; `key_id` is the key that linked it."""

    __tablename__ = "cmdr_links"
    __table_args__ = (UniqueConstraint("guild_id", "cmdr"), Index(None, "guild_id", "user_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cmdr: Mapped[str] = mapped_column(String(NAME))
    user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))


class ApiKeyCmdr(TenantMixin, Base):
    """A cmdr an API key posted data for (shown by `/apikey list`)."""

    __tablename__ = "api_key_cmdrs"
    __table_args__ = (UniqueConstraint("key_id", "cmdr"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    cmdr: Mapped[str] = mapped_column(String(NAME))
    first_seen: Mapped[datetime]
