"""Objectives: what officers set (validated), their live progress counted from members' events,
and the list the plugin polls (`bgstally-api.md` §7). Cogs and the listener import from here.

* `rules` — objective and target types, completion, the checks of every value;
* `query` — the one SQL query that counts progress per target, settlement and cmdr;
* `progress` — objectives with their progress, as read by the commands;
* `edit` — what officers change; `choices` — autocomplete; `plugin` — GET /objectives.
"""

from bgs.objectives.choices import objective_choices, settlement_choices, target_choices
from bgs.objectives.edit import (
    add_settlement,
    add_target,
    create_objective,
    delete_objective,
    edit_objective,
    remove_settlement,
    remove_target,
)
from bgs.objectives.plugin import plugin_objective, plugin_objectives
from bgs.objectives.progress import (
    Contribution,
    ObjectiveProgress,
    SettlementProgress,
    TargetProgress,
    get_objective,
    list_objectives,
)
from bgs.objectives.rules import (
    API_DATE_FORMAT,
    GROUND_CZ,
    INFLUENCE,
    MAX_PRIORITY,
    MAX_TARGETS,
    OBJECTIVE_TYPES,
    TARGET_TYPES,
    TITLE_LENGTH,
    VISIT,
    ObjectiveError,
    ObjectiveNotFoundError,
    TargetKind,
    api_date,
    check_name,
    completion,
    is_complete,
    target_label,
)

__all__ = [
    "API_DATE_FORMAT",
    "GROUND_CZ",
    "INFLUENCE",
    "MAX_PRIORITY",
    "MAX_TARGETS",
    "OBJECTIVE_TYPES",
    "TARGET_TYPES",
    "TITLE_LENGTH",
    "VISIT",
    "Contribution",
    "ObjectiveError",
    "ObjectiveNotFoundError",
    "ObjectiveProgress",
    "SettlementProgress",
    "TargetKind",
    "TargetProgress",
    "add_settlement",
    "add_target",
    "api_date",
    "check_name",
    "completion",
    "create_objective",
    "delete_objective",
    "edit_objective",
    "get_objective",
    "is_complete",
    "list_objectives",
    "objective_choices",
    "plugin_objective",
    "plugin_objectives",
    "remove_settlement",
    "remove_target",
    "settlement_choices",
    "target_choices",
    "target_label",
]
