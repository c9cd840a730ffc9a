"""Conflicts (wars, civil wars, elections) from members' FSDJump, Location and CarrierJump events.

How we read it (fixing reference.md §7 and §11 #19):

* every entry of the list counts, not only the first;
* factions match by exact name, never by substring;
* status: `active` → active, `pending` → pending, anything else (the empty string) → ended;
* an event carries conflict information only when it has a `Conflicts` or a `Factions` list;
  an event with neither (an unpopulated system, or a stripped event) changes nothing;
* per system, the newest event by its own timestamp wins: an event older than what the state
  already reflects (the newest `last_seen` of the system's rows, or a newer jump event stored
  for the system) changes nothing;
* a known conflict that the system's newer event no longer lists is **gone** (the game dropped
  it: ended) and is marked ended;
* a conflict whose score went down, or an ended one listed as pending or active again, is a new
  conflict between the same factions.

Every conflict seen is stored (`conflict_states`, one row per system and faction pair in name
order) for `/conflicts all`; changes are returned only for conflicts that involve the guild's
faction or a protected faction, and only when something changed: new, pending → active, a day
won or lost, ended (the game reports the final score) or gone. Each update is a compare-and-set
on the row's previous status and score and each insert is `ON CONFLICT DO NOTHING`, so
concurrent transactions applying the same event (PostgreSQL) report the change once. On SQLite
one process's writers are serialized by `Database`; a second process writing the same file at
the same moment fails with "database is locked" instead of reporting twice. A conflict seen
again unchanged (most jumps into a system at war) only moves its `last_seen` on, never back,
in one statement for the whole batch.
"""

from bgs.conflicts.changes import (
    CHANGE_KIND,
    ChangeKind,
    ConflictChange,
    on_events_stored,
    watched_factions,
)
from bgs.conflicts.reports import (
    JUMP_EVENTS,
    ConflictStatus,
    NewestReports,
    ReportedConflict,
    Side,
    SystemReport,
    parse_conflicts,
    parse_status,
    system_report,
)
from bgs.conflicts.views import (
    ConflictView,
    DigestEntry,
    Scope,
    conflict_digest,
    current_conflicts,
)

__all__ = [
    "CHANGE_KIND",
    "JUMP_EVENTS",
    "ChangeKind",
    "ConflictChange",
    "ConflictStatus",
    "ConflictView",
    "DigestEntry",
    "NewestReports",
    "ReportedConflict",
    "Scope",
    "Side",
    "SystemReport",
    "conflict_digest",
    "current_conflicts",
    "on_events_stored",
    "parse_conflicts",
    "parse_status",
    "system_report",
    "watched_factions",
]
