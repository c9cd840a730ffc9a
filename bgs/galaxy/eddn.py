"""What one decoded EDDN envelope means for the galaxy tables (eddn.md §2–§5): a system snapshot,
or the reason it is none. Pure, so the feed runs it in a worker thread.

Only `journal/1` counts; a `/test` schema is a sender testing its code (§3), and every other
schema (commodity, outfitting, ones added later) carries no background-simulation data. Only the
Live galaxy counts (§4): a `gameversion` whose major version is 4 or more, or `CAPI-Live-…`;
Legacy (3.x, `CAPI-Legacy-…`) is another galaxy, and an empty or missing version cannot be
told apart from it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from bgs.galaxy.journal import SnapshotError, parse_snapshot
from bgs.galaxy.snapshot import SystemSnapshot

JOURNAL_SCHEMA: Final = "https://eddn.edcd.io/schemas/journal/1"
TEST_SUFFIX: Final = "/test"
CAPI_LIVE: Final = "CAPI-Live-"

KEPT: Final = "kept"
NOT_ZLIB: Final = "not_zlib"
NOT_JSON: Final = "not_json"
INVALID_ENVELOPE: Final = "invalid_envelope"
TEST_SCHEMA: Final = "test_schema"
OTHER_SCHEMA: Final = "other_schema"
LEGACY: Final = "legacy"
NO_GAMEVERSION: Final = "no_gameversion"
STALE: Final = "stale"  # not newer than the stored state: an older report or a duplicate

_MAJOR = re.compile(r"(\d+)\.")

Outcome = SystemSnapshot | str  # a snapshot to store, or why the message was dropped


def is_live(gameversion: object) -> bool | None:
    """True for the Live galaxy, False for Legacy, None when the version says nothing."""
    if not isinstance(gameversion, str) or not gameversion.strip():
        return None
    if gameversion.startswith(CAPI_LIVE):
        return True
    major = _MAJOR.match(gameversion)
    return major is not None and int(major.group(1)) >= 4


def classify(envelope: object, now: datetime) -> Outcome:
    """The snapshot an EDDN envelope carries, or the drop reason (a name for the feed's
    counts): the schema, then the galaxy, then the event and its fields."""
    if not isinstance(envelope, dict):
        return INVALID_ENVELOPE
    schema = envelope.get("$schemaRef")
    header, message = envelope.get("header"), envelope.get("message")
    if not isinstance(schema, str):
        return INVALID_ENVELOPE
    if schema.endswith(TEST_SUFFIX):
        return TEST_SCHEMA
    if schema != JOURNAL_SCHEMA:
        return OTHER_SCHEMA
    if not isinstance(header, dict) or not isinstance(message, dict):
        return INVALID_ENVELOPE
    live = is_live(header.get("gameversion"))
    if live is None:
        return NO_GAMEVERSION
    if not live:
        return LEGACY
    try:
        return parse_snapshot(message, now)
    except SnapshotError as exc:
        return exc.reason
