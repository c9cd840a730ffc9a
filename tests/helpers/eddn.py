"""EDDN envelopes for tests: the samples in tests/fixtures/eddn (copied from shared/samples/eddn,
see its README) and generated FSDJumps with the shapes the relay sends."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eddn"
JOURNAL = "https://eddn.edcd.io/schemas/journal/1"
ALPHA, BETA = 1000001, 1000002
# After sample 12, the newest: every sample's timestamp is in the past of this.
AFTER_SAMPLES = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def sample_names() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("[0-9][0-9]-*.json"))


def sample(name_or_number: str | int) -> dict[str, Any]:
    """One sample envelope, by file name or by its number (1 to 12)."""
    if isinstance(name_or_number, int):
        name = next(n for n in sample_names() if n.startswith(f"{name_or_number:02d}-"))
    else:
        name = name_or_number
    envelope: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return envelope


def fsdjump(
    address: int,
    timestamp: datetime,
    influences: dict[str, float],
    *,
    name: str | None = None,
    conflicts: list[dict[str, Any]] | None = None,
    gameversion: str = "4.0.0.1904",
) -> dict[str, Any]:
    """A journal/1 FSDJump envelope of a populated system; the first faction controls it."""
    message = copy.deepcopy(sample(4)["message"])
    controlling = next(iter(influences))
    message.update(
        {
            "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "SystemAddress": address,
            "StarSystem": name or f"Generated {address}",
            "SystemFaction": {"Name": controlling, "FactionState": "None"},
            "Factions": [
                {
                    "Name": faction,
                    "FactionState": "None",
                    "Government": "Democracy",
                    "Allegiance": "Independent",
                    "Happiness": "$Faction_HappinessBand2;",
                    "Influence": influence,
                }
                for faction, influence in influences.items()
            ],
        }
    )
    if conflicts:
        message["Conflicts"] = conflicts
    envelope = copy.deepcopy(sample(4))
    envelope["message"] = message
    envelope["header"]["gameversion"] = gameversion
    return envelope
