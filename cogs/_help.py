"""The lines of `/help`: every top-level command with its subcommands, for members and for
officers apart (officer-only marking is data on the command, read by `is_officer_command`)."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from cogs._checks import is_officer_command


def command_lines(tree: app_commands.CommandTree[Any]) -> tuple[list[str], list[str]]:
    """One line per top-level command and audience: "`/objective` list · show — Objectives"."""
    audiences: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})
    descriptions: dict[str, str] = {}
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        root = command.root_parent or command
        descriptions[root.name] = root.description
        subcommand = command.qualified_name.removeprefix(root.name).strip()
        audience = audiences[1] if is_officer_command(command) else audiences[0]
        audience.setdefault(root.name, []).extend([subcommand] if subcommand else [])
    member, officer = (
        [
            f"`/{name}` {' · '.join(subs)} — {descriptions[name]}"
            if subs
            else f"`/{name}` — {descriptions[name]}"
            for name, subs in sorted(audience.items())
        ]
        for audience in audiences
    )
    return member, officer
