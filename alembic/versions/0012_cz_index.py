"""CZ index: the CZ totals of a period are read from one index

Revision ID: 0012_cz_index
Revises: 0011_rollups
Create Date: 2026-12-04 15:20:00.000000

`/cz ground` of a year read 23k rollup rows from the table, scattered among the other kinds'
rows, and sorted them; this index holds every column the CZ totals read, ordered by the
conditions of a period first, so the totals come from the index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_cz_index"
down_revision: str | None = "0011_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "guild_id",
    "kind",
    "grain",
    "tickid",
    "bucket",
    "system_name",
    "faction",
    "settlement",
    "cmdr",
    "flags",
    "low",
    "medium",
    "high",
]


def upgrade() -> None:
    op.create_index("ix_event_rollups_czs", "event_rollups", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_event_rollups_czs", table_name="event_rollups")
