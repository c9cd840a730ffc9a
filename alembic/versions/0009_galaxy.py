"""galaxy: the systems, factions, conflicts and influence history every tenant shares

Revision ID: 0009_galaxy
Revises: 0008_first_week
Create Date: 2026-12-03 14:54:08.853953
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import db.types
from alembic import op

revision: str = "0009_galaxy"
down_revision: str | None = "0008_first_week"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "galaxy_conflicts",
        sa.Column("system_address", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("faction1", sa.String(length=128), nullable=False),
        sa.Column("faction2", sa.String(length=128), nullable=False),
        sa.Column("war_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("stake1", sa.String(length=128), nullable=True),
        sa.Column("stake2", sa.String(length=128), nullable=True),
        sa.Column("won_days1", sa.Integer(), nullable=False),
        sa.Column("won_days2", sa.Integer(), nullable=False),
        sa.Column("observed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "system_address", "faction1", "faction2", name=op.f("pk_galaxy_conflicts")
        ),
    )
    with op.batch_alter_table("galaxy_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_galaxy_conflicts_faction1"), ["faction1"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_galaxy_conflicts_faction2"), ["faction2"], unique=False
        )

    op.create_table(
        "galaxy_factions",
        sa.Column("system_address", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("faction", sa.String(length=128), nullable=False),
        sa.Column("influence", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column(
            "active_states",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "pending_states",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "recovering_states",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("government", sa.String(length=64), nullable=True),
        sa.Column("allegiance", sa.String(length=64), nullable=True),
        sa.Column("happiness", sa.String(length=64), nullable=True),
        sa.Column("observed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system_address", "faction", name=op.f("pk_galaxy_factions")),
    )
    with op.batch_alter_table("galaxy_factions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_galaxy_factions_faction"), ["faction"], unique=False)

    op.create_table(
        "galaxy_feed_counts",
        sa.Column("minute", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "outcome", name=op.f("pk_galaxy_feed_counts")),
    )
    op.create_table(
        "galaxy_influence",
        sa.Column("system_address", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("faction", sa.String(length=128), nullable=False),
        sa.Column("tick_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("influence", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("observed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "system_address", "faction", "tick_at", name=op.f("pk_galaxy_influence")
        ),
    )
    with op.batch_alter_table("galaxy_influence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_galaxy_influence_faction_tick_at"), ["faction", "tick_at"], unique=False
        )

    op.create_table(
        "galaxy_systems",
        sa.Column("system_address", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("security", sa.String(length=64), nullable=True),
        sa.Column("economy", sa.String(length=64), nullable=True),
        sa.Column("second_economy", sa.String(length=64), nullable=True),
        sa.Column("government", sa.String(length=64), nullable=True),
        sa.Column("allegiance", sa.String(length=64), nullable=True),
        sa.Column("controlling_faction", sa.String(length=128), nullable=True),
        sa.Column("controlling_faction_state", sa.String(length=64), nullable=True),
        sa.Column("controlling_power", sa.String(length=64), nullable=True),
        sa.Column(
            "powers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("powerplay_state", sa.String(length=64), nullable=True),
        sa.Column("powerplay_control_progress", sa.Float(), nullable=True),
        sa.Column("powerplay_reinforcement", sa.BigInteger(), nullable=True),
        sa.Column("powerplay_undermining", sa.BigInteger(), nullable=True),
        sa.Column(
            "powerplay_conflict_progress",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("observed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("system_address", name=op.f("pk_galaxy_systems")),
    )
    with op.batch_alter_table("galaxy_systems", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_galaxy_systems_controlling_faction"),
            ["controlling_faction"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_galaxy_systems_controlling_power"), ["controlling_power"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_galaxy_systems_name"), ["name"], unique=False)

    # Look-ups and autocomplete by name in any case (bgs.galaxy.views).
    op.create_index("ix_galaxy_systems_lower_name", "galaxy_systems", [sa.text("lower(name)")])
    op.create_index(
        "ix_galaxy_factions_lower_faction", "galaxy_factions", [sa.text("lower(faction)")]
    )
    # Each guild's galaxy alerts (bgs.galaxy.alerts): thresholds in points (0: off), switches.
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("galaxy_lead_alert", sa.Float(), server_default="5", nullable=False)
        )
        batch_op.add_column(
            sa.Column("galaxy_drop_alert", sa.Float(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("galaxy_retreat_alert", sa.Float(), server_default="5", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "galaxy_pending_alert", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "galaxy_conflict_alert", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("galaxy_summary", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        for column in (
            "galaxy_summary",
            "galaxy_conflict_alert",
            "galaxy_pending_alert",
            "galaxy_retreat_alert",
            "galaxy_drop_alert",
            "galaxy_lead_alert",
        ):
            batch_op.drop_column(column)
    op.drop_index("ix_galaxy_factions_lower_faction", table_name="galaxy_factions")
    op.drop_index("ix_galaxy_systems_lower_name", table_name="galaxy_systems")
    with op.batch_alter_table("galaxy_systems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_galaxy_systems_name"))
        batch_op.drop_index(batch_op.f("ix_galaxy_systems_controlling_power"))
        batch_op.drop_index(batch_op.f("ix_galaxy_systems_controlling_faction"))

    op.drop_table("galaxy_systems")
    with op.batch_alter_table("galaxy_influence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_galaxy_influence_faction_tick_at"))

    op.drop_table("galaxy_influence")
    op.drop_table("galaxy_feed_counts")
    with op.batch_alter_table("galaxy_factions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_galaxy_factions_faction"))

    op.drop_table("galaxy_factions")
    with op.batch_alter_table("galaxy_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_galaxy_conflicts_faction2"))
        batch_op.drop_index(batch_op.f("ix_galaxy_conflicts_faction1"))

    op.drop_table("galaxy_conflicts")
