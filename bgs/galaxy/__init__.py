"""The galaxy as every tenant shares it: systems, factions, conflicts and influence history,
fed by EDDN and members' own jumps."""
