"""Discord face: one cog per feature. The bot loads exactly the extensions listed here."""

COGS = (
    "cogs.admin",
    "cogs.protected",
    "cogs.ticks",
    "cogs.conflicts",
    "cogs.announcements",
    "cogs.activity",
    "cogs.objectives",
)
