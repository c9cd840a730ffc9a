"""Rollups: the counters every summary reads, maintained as events and tallies are stored, in
the same transaction (`db.models.rollups` says what a row holds, `bgs.rollups.buckets` which
rows a period is the union of)."""

from bgs.rollups.activities import replace_tally
from bgs.rollups.events import EventSums, write

__all__ = ["EventSums", "replace_tally", "write"]
