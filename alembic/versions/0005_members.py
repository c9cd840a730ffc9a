"""members: personal keys, cmdr links, Inara profiles, recruits

Keys get an owner (a Discord user) for personal keys; the keys that exist have none, so they
stay what they were: squadron keys. New tables: the members the bot knows by name, cmdr links
and claims, the cmdrs each key posted for. Cmdrs get the state of their last Inara look-up;
guilds get the members settings (with defaults for the guilds that exist) and a recruits
channel.

Revision ID: 0005_members
Revises: 0001
Create Date: 2026-12-03 12:11:57.078366
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import db.types
from alembic import op

revision: str = "0005_members"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cmdr_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cmdr", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmdr_links")),
        sa.UniqueConstraint("guild_id", "cmdr", name=op.f("uq_cmdr_links_guild_id_cmdr")),
    )
    with op.batch_alter_table("cmdr_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cmdr_links_guild_id_user_id"), ["guild_id", "user_id"], unique=False
        )

    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("guild_id", "user_id", name=op.f("uq_members_guild_id_user_id")),
    )
    op.create_table(
        "api_key_cmdrs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cmdr", sa.String(length=128), nullable=False),
        sa.Column("first_seen", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_cmdrs_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_cmdrs")),
        sa.UniqueConstraint("key_id", "cmdr", name=op.f("uq_api_key_cmdrs_key_id_cmdr")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_api_keys_guild_id_owner_id"), ["guild_id", "owner_id"], unique=False
        )

    with op.batch_alter_table("cmdrs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inara_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("inara_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("inara_checked_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("inara_fetched_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_recruits", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("personal_keys_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("cmdrs_per_key", sa.Integer(), server_default=sa.text("3"), nullable=False)
        )
        batch_op.add_column(sa.Column("inara_api_key", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column(
                "recruit_rank", sa.String(length=64), server_default="Recruit", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("recruit_days", sa.Integer(), server_default=sa.text("14"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.drop_column("recruit_days")
        batch_op.drop_column("recruit_rank")
        batch_op.drop_column("inara_api_key")
        batch_op.drop_column("cmdrs_per_key")
        batch_op.drop_column("personal_keys_only")
        batch_op.drop_column("channel_recruits")

    with op.batch_alter_table("cmdrs", schema=None) as batch_op:
        batch_op.drop_column("inara_fetched_at")
        batch_op.drop_column("inara_checked_at")
        batch_op.drop_column("inara_reason")
        batch_op.drop_column("inara_status")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_guild_id_owner_id"))
        batch_op.drop_column("owner_id")

    op.drop_table("api_key_cmdrs")
    op.drop_table("members")
    with op.batch_alter_table("cmdr_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmdr_links_guild_id_user_id"))

    op.drop_table("cmdr_links")
