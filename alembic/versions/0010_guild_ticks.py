"""guild ticks: an officer's `/tick set` records a tick for their own guild only

Revision ID: 0010_guild_ticks
Revises: 0009_galaxy
Create Date: 2026-12-03 15:10:00

Before, `/tick set` stored a galaxy tick that every guild shared, so one guild's officer made
every guild post "New galaxy tick" and its post-tick summary. From here an officer's tick is a
row of the new `guild_ticks` table, read only by that guild; the shared galaxy ticks are stored
by the tick sources and by the operator (`bot.py tick set`). Galaxy ticks stored before stay
as they are (their source `manual` now reads "recorded by hand"): they are past ticks every
guild has already announced.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import db.types
from alembic import op

revision: str = "0010_guild_ticks"
down_revision: str | None = "0009_galaxy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guild_ticks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tick_time", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guild_ticks")),
        sa.UniqueConstraint(
            "guild_id", "tick_time", name=op.f("uq_guild_ticks_guild_id_tick_time")
        ),
    )


def downgrade() -> None:
    op.drop_table("guild_ticks")
