"""first week: each tally stores its totals of Thargoid kills and rescues

Revision ID: 0008_first_week
Revises: 0007_outbox
Create Date: 2026-12-03 14:00:00

The leaderboard ranks cmdrs by Thargoid kills, Thargoid-war rescue items and search-and-rescue
items; summing them from every system and faction of every tally is far slower than reading
one total per tally, so each tally keeps its totals. Existing tallies get theirs from their
JSON counters here, with the same keys as at ingest (`bgs.tallies`, copied: a revision does
not change when the code does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008_first_week"
down_revision: str | None = "0007_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOTALS = ("thargoid_kills", "tw_rescue", "search_rescue")
TW_KILL_TYPES = (
    "banshee",
    "basilisk",
    "cyclops",
    "hydra",
    "medusa",
    "orthrus",
    "revenant",
    "scout",
    "scythe-glaive",
)
TW_RESCUE_ITEMS = ("damagedpods", "occupiedpods", "thargoidpods", "blackboxes", "tissuesamples")
RESCUE_ITEMS = (
    "damagedpods",
    "occupiedpods",
    "thargoidpods",
    "blackboxes",
    "wreckagecomponents",
    "personaleffects",
    "politicalprisoners",
    "hostages",
)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

activities = sa.table("activities", sa.column("id"), *(sa.column(name) for name in TOTALS))
systems = sa.table(
    "activity_systems",
    sa.column("id"),
    sa.column("activity_id"),
    sa.column("twkills", JSON_DOCUMENT),
    sa.column("twsandr", JSON_DOCUMENT),
)
factions = sa.table("activity_factions", sa.column("system_id"), sa.column("sandr", JSON_DOCUMENT))


def _counted(document: Any, keys: Sequence[str]) -> Any:
    """Σ of some keys of a JSON counters object, a missing key (or object) counting 0."""
    total: Any = sa.literal(0)
    for key in keys:
        total = total + sa.func.coalesce(document[key].as_integer(), 0)
    return total


def _total(expression: Any, tables: Any) -> Any:
    """Σ `expression` over the systems (and their factions) of each tally, 0 when none."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(expression), 0))
        .select_from(tables)
        .where(systems.c.activity_id == activities.c.id)
        .scalar_subquery()
    )


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        for name in TOTALS:
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
    with_factions = systems.join(factions, factions.c.system_id == systems.c.id)
    op.execute(
        activities.update().values(
            thargoid_kills=_total(_counted(systems.c.twkills, TW_KILL_TYPES), systems),
            tw_rescue=_total(_counted(systems.c.twsandr, TW_RESCUE_ITEMS), systems),
            search_rescue=_total(_counted(factions.c.sandr, RESCUE_ITEMS), with_factions),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        for name in reversed(TOTALS):
            batch_op.drop_column(name)
