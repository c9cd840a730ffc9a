"""sums index: the CZ totals and the influence by faction of a period are read from one index

Revision ID: 0012_sums_index
Revises: 0011_rollups
Create Date: 2026-12-04 15:20:00.000000

`/cz ground` of a year read its rollup rows (23k at 10M events) from the table, where they lie
scattered among the other kinds' rows, and `/top5` its influence rows the same way. This index
holds every column those sums read, the conditions of a period first (month and year rows by
their empty tick id, then the bucket), so they are sought and read in the index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_sums_index"
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
    "influence",
]


def upgrade() -> None:
    op.create_index("ix_event_rollups_sums", "event_rollups", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_event_rollups_sums", table_name="event_rollups")
