"""Protected factions: the officers' list, the harm members' events do to those factions, the
alerts that report it, and summaries of it. Cogs import from here.

* `registry` — `add_protected`, `edit_protected`, `remove_protected`, `get_protected`,
  `list_protected` and `faction_choices` (autocomplete);
* `harm` — `detect_harm` and what counts as harm (`HarmKind`);
* `alerts` — one message per (protected faction, cmdr, tick): `on_events_stored`, `harm_alert`;
* `summary` — `harm_summary`, `harm_in`: who harmed which protected faction where, in a period.
"""

from bgs.protected.alerts import (
    ALERT_KIND,
    AlertRef,
    HarmAlert,
    HarmLine,
    KindTotal,
    alert_key,
    harm_alert,
    on_events_stored,
)
from bgs.protected.harm import (
    HARM_EVENTS,
    KIND_LABELS,
    KIND_UNITS,
    HarmKind,
    HarmRecord,
    detect_harm,
    signed,
)
from bgs.protected.registry import (
    DuplicateProtectedError,
    NotProtectedError,
    ProtectedError,
    ProtectedInfo,
    UnknownFactionError,
    add_protected,
    edit_protected,
    faction_choices,
    get_protected,
    list_protected,
    remove_protected,
)
from bgs.protected.summary import HarmSummary, HarmTotal, harm_in, harm_summary

__all__ = [
    "ALERT_KIND",
    "HARM_EVENTS",
    "KIND_LABELS",
    "KIND_UNITS",
    "AlertRef",
    "DuplicateProtectedError",
    "HarmAlert",
    "HarmKind",
    "HarmLine",
    "HarmRecord",
    "HarmSummary",
    "HarmTotal",
    "KindTotal",
    "NotProtectedError",
    "ProtectedError",
    "ProtectedInfo",
    "UnknownFactionError",
    "add_protected",
    "alert_key",
    "detect_harm",
    "edit_protected",
    "faction_choices",
    "get_protected",
    "harm_alert",
    "harm_in",
    "harm_summary",
    "list_protected",
    "on_events_stored",
    "remove_protected",
    "signed",
]
