"""rollups: counters per bucket that every summary reads

Revision ID: 0011_rollups
Revises: 0010_guild_ticks
Create Date: 2026-12-03 15:00:41.264112

Every summary reads these tables instead of the raw events. The tables are built here for the
data stored before, by the same code that rebuilds them (`bgs.rollups.rebuild`, whose sums are
those the fold of new events adds): a copy of it here could disagree with what the fold adds,
and a rollup that disagrees with its events answers wrongly for ever. On PostgreSQL the filled
tables are analysed at once, so the first summaries are planned with their statistics rather
than waiting for autovacuum (without them a tick period took 53-103 ms instead of 3-6).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

import db.types
from alembic import op
from bgs.rollups.rebuild import rebuild

revision: str = "0011_rollups"
down_revision: str | None = "0010_guild_ticks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def _build_rollups() -> None:
    """Every guild's rollups, from its events and tallies."""
    connection = op.get_bind()
    guilds = connection.execute(
        sa.text("SELECT guild_id FROM events UNION SELECT guild_id FROM activities")
    ).scalars()
    for guild_id in list(guilds):
        with Session(bind=connection, info={"guild_id": guild_id}) as session:
            rebuilt = rebuild(session)
            session.flush()
        log.info(
            "guild %s: rollups built from %d events and %d tallies",
            guild_id,
            rebuilt.events,
            rebuilt.tallies,
        )


def upgrade() -> None:
    op.create_table(
        "activity_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("bucket", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tickid", sa.String(length=64), nullable=False),
        sa.Column("cmdr", sa.String(length=128), nullable=False),
        sa.Column("system_name", sa.String(length=128), nullable=False),
        sa.Column("faction", sa.String(length=128), nullable=False),
        sa.Column("inf_primary", sa.BigInteger(), nullable=False),
        sa.Column("inf_secondary", sa.BigInteger(), nullable=False),
        sa.Column("bounty_vouchers", sa.BigInteger(), nullable=False),
        sa.Column("combat_bonds", sa.BigInteger(), nullable=False),
        sa.Column("exploration", sa.BigInteger(), nullable=False),
        sa.Column("exobiology", sa.BigInteger(), nullable=False),
        sa.Column("scenarios", sa.BigInteger(), nullable=False),
        sa.Column("mission_fails", sa.BigInteger(), nullable=False),
        sa.Column("murders_ground", sa.BigInteger(), nullable=False),
        sa.Column("murders_space", sa.BigInteger(), nullable=False),
        sa.Column("black_market", sa.BigInteger(), nullable=False),
        sa.Column("trade_buy_items", sa.BigInteger(), nullable=False),
        sa.Column("trade_buy_value", sa.BigInteger(), nullable=False),
        sa.Column("trade_sell_items", sa.BigInteger(), nullable=False),
        sa.Column("trade_sell_value", sa.BigInteger(), nullable=False),
        sa.Column("trade_sell_profit", sa.BigInteger(), nullable=False),
        sa.Column("cz_space_low", sa.BigInteger(), nullable=False),
        sa.Column("cz_space_medium", sa.BigInteger(), nullable=False),
        sa.Column("cz_space_high", sa.BigInteger(), nullable=False),
        sa.Column("cz_ground_low", sa.BigInteger(), nullable=False),
        sa.Column("cz_ground_medium", sa.BigInteger(), nullable=False),
        sa.Column("cz_ground_high", sa.BigInteger(), nullable=False),
        sa.Column("search_rescue", sa.BigInteger(), nullable=False),
        sa.Column("rescue_sent", sa.BigInteger(), nullable=False),
        sa.Column("kills_banshee", sa.BigInteger(), nullable=False),
        sa.Column("kills_basilisk", sa.BigInteger(), nullable=False),
        sa.Column("kills_cyclops", sa.BigInteger(), nullable=False),
        sa.Column("kills_hydra", sa.BigInteger(), nullable=False),
        sa.Column("kills_medusa", sa.BigInteger(), nullable=False),
        sa.Column("kills_orthrus", sa.BigInteger(), nullable=False),
        sa.Column("kills_revenant", sa.BigInteger(), nullable=False),
        sa.Column("kills_scout", sa.BigInteger(), nullable=False),
        sa.Column("kills_scythe_glaive", sa.BigInteger(), nullable=False),
        sa.Column("tw_rescue", sa.BigInteger(), nullable=False),
        sa.Column("tw_reactivated", sa.BigInteger(), nullable=False),
        sa.Column("tw_sent", sa.BigInteger(), nullable=False),
        sa.Column("tally_kills", sa.BigInteger(), nullable=False),
        sa.Column("tally_tw_rescue", sa.BigInteger(), nullable=False),
        sa.Column("tally_search_rescue", sa.BigInteger(), nullable=False),
        sa.Column("tallies", sa.BigInteger(), nullable=False),
        sa.Column("state_from", sa.BigInteger(), nullable=True),
        sa.Column("influence_from", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_rollups")),
    )
    with op.batch_alter_table("activity_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_rollups_bucket",
            ["guild_id", "grain", "bucket", "cmdr", "system_name", "faction"],
            unique=False,
        )
        batch_op.create_index(
            "ix_activity_rollups_cmdr", ["guild_id", "grain", "cmdr", "bucket"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activity_rollups_guild_id_tickid_cmdr"),
            ["guild_id", "tickid", "cmdr"],
            unique=False,
        )

    op.create_table(
        "event_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("bucket", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tickid", sa.String(length=64), nullable=False),
        sa.Column("cmdr", sa.String(length=128), nullable=False),
        sa.Column("system_name", sa.String(length=128), nullable=False),
        sa.Column("faction", sa.String(length=128), nullable=False),
        sa.Column("settlement", sa.String(length=128), nullable=False),
        sa.Column("address", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("buy_volume", sa.BigInteger(), nullable=False),
        sa.Column("buy_tonnage", sa.BigInteger(), nullable=False),
        sa.Column("sell_volume", sa.BigInteger(), nullable=False),
        sa.Column("sell_tonnage", sa.BigInteger(), nullable=False),
        sa.Column("trade_profit", sa.BigInteger(), nullable=False),
        sa.Column("missions_completed", sa.BigInteger(), nullable=False),
        sa.Column("missions_failed", sa.BigInteger(), nullable=False),
        sa.Column("bounty_vouchers", sa.BigInteger(), nullable=False),
        sa.Column("combat_bonds", sa.BigInteger(), nullable=False),
        sa.Column("exploration_sales", sa.BigInteger(), nullable=False),
        sa.Column("bounty_fines", sa.BigInteger(), nullable=False),
        sa.Column("influence", sa.BigInteger(), nullable=False),
        sa.Column("low", sa.BigInteger(), nullable=False),
        sa.Column("medium", sa.BigInteger(), nullable=False),
        sa.Column("high", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("newest", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_rollups")),
        sa.UniqueConstraint(
            "guild_id",
            "kind",
            "grain",
            "bucket",
            "tickid",
            "cmdr",
            "system_name",
            "faction",
            "settlement",
            "address",
            "flags",
            name="uq_event_rollups_key",
        ),
    )
    with op.batch_alter_table("event_rollups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_rollups_guild_id_kind_tickid"),
            ["guild_id", "kind", "tickid"],
            unique=False,
        )

    op.create_table(
        "rollup_backlog",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_backlog")),
    )
    op.create_index(
        op.f("ix_rollup_backlog_guild_id_first_event_id"),
        "rollup_backlog",
        ["guild_id", "first_event_id"],
        unique=False,
    )
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cut", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
        sa.UniqueConstraint("guild_id", name=op.f("uq_rollup_state_guild_id")),
    )
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_retention_days", sa.Integer(), nullable=True))
    _build_rollups()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE event_rollups, activity_rollups")


def downgrade() -> None:
    op.drop_table("rollup_state")
    op.drop_index(op.f("ix_rollup_backlog_guild_id_first_event_id"), table_name="rollup_backlog")
    op.drop_table("rollup_backlog")
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.drop_column("event_retention_days")
    with op.batch_alter_table("event_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_rollups_guild_id_kind_tickid"))

    op.drop_table("event_rollups")
    with op.batch_alter_table("activity_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_rollups_guild_id_tickid_cmdr"))
        batch_op.drop_index("ix_activity_rollups_cmdr")
        batch_op.drop_index("ix_activity_rollups_bucket")

    op.drop_table("activity_rollups")
