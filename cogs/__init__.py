"""Discord face: one cog per feature. The bot loads exactly the extensions in COGS and sets up its
command tree with what this package exports; everything else in `cogs/_*` is the cogs' own."""

from cogs._bot import Warden
from cogs._checks import hide_officer_commands, resolve_tenant
from cogs._errors import on_tree_error

COGS = (
    "cogs.admin",
    "cogs.protected",
    "cogs.ticks",
    "cogs.conflicts",
    "cogs.announcements",
    "cogs.activity",
    "cogs.objectives",
    "cogs.members",
    "cogs.recruits",
    "cogs.welcome",
    "cogs.galaxy",
)

__all__ = ["COGS", "Warden", "hide_officer_commands", "on_tree_error", "resolve_tenant"]
