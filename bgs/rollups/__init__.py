"""Rollups: the counters every summary reads (`db.models.rollups` says what a row holds,
`bgs.rollups.buckets` which rows a period is the union of). Event rollups are kept from the
backlog ingest writes, off the request path (`bgs.rollups.backlog`), tally rollups with the tally
(`bgs.rollups.activities`)."""

from bgs.rollups.activities import replace_tally
from bgs.rollups.backlog import backlog_rows, catch_up, current, fold

__all__ = ["backlog_rows", "catch_up", "current", "fold", "replace_tally"]
