"""The counters the plugin sends as JSON objects inside its tallies (bgstally-api.md §6): what
they hold, and the totals of a tally that are stored with it.

* `twkills` of a system: Thargoid kills by vessel type (`TW_KILL_TYPES`);
* `twsandr` of a system: Thargoid-war search-and-rescue items handed in (`TW_RESCUE_ITEMS`);
* `sandr` of a faction: search-and-rescue items handed in to it (`RESCUE_ITEMS`).

A key the plugin did not send counts 0, and so does one outside these lists. A delivery in a
Thargoid-war system is counted by the plugin both in the system's `twsandr` and in the
faction's `sandr`, so the two are kept apart and never added up.

Each tally also stores its totals of the three (`Activity.thargoid_kills`, `.tw_rescue`,
`.search_rescue`), summed from the same lists when it is stored, so that ranking cmdrs by them
reads one row per tally instead of every system and faction of it. The rollups of a tally
(`bgs.rollups.activities`) keep the JSON objects' sums per system and faction, where a breakdown
(by system, faction or vessel type) needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from db.models import Activity

TW_KILL_TYPES: Final = (
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
TW_RESCUE_ITEMS: Final = (
    "damagedpods",
    "occupiedpods",
    "thargoidpods",
    "blackboxes",
    "tissuesamples",
)
RESCUE_ITEMS: Final = (
    "damagedpods",
    "occupiedpods",
    "thargoidpods",
    "blackboxes",
    "wreckagecomponents",
    "personaleffects",
    "politicalprisoners",
    "hostages",
)


def counted(document: Mapping[str, Any] | None, keys: Iterable[str]) -> int:
    """Σ of some keys of a counters object (None when it was not sent)."""
    return sum(int(document.get(key) or 0) for key in keys) if document else 0


def store_totals(activity: Activity) -> None:
    """Set a tally's totals from its systems' and factions' counters."""
    systems = activity.systems
    activity.thargoid_kills = sum(counted(s.twkills, TW_KILL_TYPES) for s in systems)
    activity.tw_rescue = sum(counted(s.twsandr, TW_RESCUE_ITEMS) for s in systems)
    activity.search_rescue = sum(
        counted(f.sandr, RESCUE_ITEMS) for s in systems for f in s.factions
    )
