"""Properties of the parser and the store over generated journal events (Hypothesis): every
valid snapshot round-trips through the galaxy tables, and the same reports in any order and in
any batches leave the same final state, the newest report's."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bgs.galaxy.journal import parse_snapshot
from bgs.galaxy.snapshot import SystemSnapshot
from bgs.galaxy.store import (
    EDDN,
    apply_snapshots,
    conflict_snapshot,
    faction_snapshot,
    system_snapshot,
)
from db.database import Database
from db.models import GalaxyConflict, GalaxyFaction, GalaxySystem

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ADDRESS = 42
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

names = st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s)
labels = st.sampled_from(["$government_Democracy;", "None", "Boom", "War", "Federation", ""])
states = st.lists(st.sampled_from(["Boom", "War", "Expansion", "Election"]), max_size=3)


def faction_entry(name: str, influence: float, draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Name": name,
        "Influence": influence,
        "FactionState": draw(labels),
        "Government": draw(labels),
        "Allegiance": draw(labels),
        "Happiness": draw(labels),
    }
    for key, trend in (
        ("ActiveStates", False),
        ("PendingStates", True),
        ("RecoveringStates", True),
    ):
        chosen = draw(states)
        if chosen:
            entry[key] = [{"State": s, **({"Trend": 0} if trend else {})} for s in chosen]
    return entry


@st.composite
def jumps(draw: st.DrawFn, address: int | None = None) -> dict[str, Any]:
    factions = draw(st.lists(names, min_size=1, max_size=8, unique=True))
    influences = [draw(st.floats(0, 1)) for _ in factions]
    conflicts = []
    if len(factions) >= 2 and draw(st.booleans()):
        conflicts.append(
            {
                "WarType": draw(st.sampled_from(["war", "civilwar", "election"])),
                "Status": draw(st.sampled_from(["active", "pending", ""])),
                "Faction1": {
                    "Name": factions[0],
                    "Stake": draw(names),
                    "WonDays": draw(st.integers(0, 4)),
                },
                "Faction2": {"Name": factions[1], "Stake": "", "WonDays": draw(st.integers(0, 4))},
            }
        )
    at = NOW - timedelta(seconds=draw(st.integers(0, 10**7)))
    event: dict[str, Any] = {
        "event": draw(st.sampled_from(["FSDJump", "Location", "CarrierJump"])),
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "StarSystem": draw(names),
        "SystemAddress": address if address is not None else draw(st.integers(0, 2**63 - 1)),
        "StarPos": [draw(st.floats(-1e5, 1e5)) for _ in range(3)],
        "Population": draw(st.integers(0, 2**63 - 1)),
        "SystemFaction": {"Name": factions[0], "FactionState": draw(labels)},
        "Factions": [faction_entry(n, i, draw) for n, i in zip(factions, influences, strict=True)],
        "Powers": draw(st.lists(names, max_size=3, unique=True)),
        "PowerplayStateReinforcement": draw(st.integers(0, 2**63 - 1)),
        "PowerplayStateControlProgress": draw(st.floats(0, 10)),
        "PowerplayConflictProgress": [
            {"Power": p, "ConflictProgress": draw(st.floats(0, 1))}
            for p in draw(st.lists(names, max_size=2, unique=True))
        ],
    }
    if conflicts:
        event["Conflicts"] = conflicts
    return event


def canonical(snapshot: SystemSnapshot) -> SystemSnapshot:
    """A snapshot as the store gives it back: factions by influence, conflicts by faction."""
    return dataclasses.replace(
        snapshot,
        factions=tuple(sorted(snapshot.factions, key=lambda f: (-f.influence, f.name))),
        conflicts=tuple(sorted(snapshot.conflicts, key=lambda c: (c.faction1, c.faction2))),
    )


async def _stored(db: Database) -> SystemSnapshot | None:
    async with db.unscoped() as session:
        row = (await session.execute(select(GalaxySystem.__table__))).first()
        if row is None:
            return None
        factions = (await session.execute(select(GalaxyFaction.__table__))).all()
        conflicts = (await session.execute(select(GalaxyConflict.__table__))).all()
    return system_snapshot(
        row, [faction_snapshot(f) for f in factions], [conflict_snapshot(c) for c in conflicts]
    )


async def _replay(url: str, batches: list[list[SystemSnapshot]]) -> SystemSnapshot | None:
    db = Database(url)
    try:
        for batch in batches:
            async with db.unscoped_write() as session:
                await apply_snapshots(session, batch, NOW, EDDN)
        return await _stored(db)
    finally:
        await db.dispose()


def fresh(template: Path, directory: Path, name: str) -> str:
    path = directory / f"{name}.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@EXAMPLES
@given(event=jumps())
def test_a_valid_snapshot_round_trips_through_the_store(
    event: dict[str, Any], sqlite_template: Path, tmp_path: Path
) -> None:
    snapshot = parse_snapshot(event, NOW)
    stored = asyncio.run(_replay(fresh(sqlite_template, tmp_path, "one"), [[snapshot]]))
    assert stored == canonical(snapshot)


@EXAMPLES
@given(
    reports=st.lists(
        jumps(address=ADDRESS), min_size=1, max_size=6, unique_by=lambda e: e["timestamp"]
    ),
    data=st.data(),
)
def test_the_same_reports_in_any_order_leave_the_newest(
    reports: list[dict[str, Any]], data: st.DataObject, sqlite_template: Path, tmp_path: Path
) -> None:
    snapshots = [parse_snapshot(report, NOW) for report in reports]
    shuffled = data.draw(st.permutations(snapshots + snapshots))  # every report twice
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    batches = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    stored = asyncio.run(
        _replay(fresh(sqlite_template, tmp_path, "order"), [b for b in batches if b])
    )
    newest = max(snapshots, key=lambda s: s.observed_at)
    assert stored == canonical(newest)
