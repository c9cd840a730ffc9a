"""Galaxy alerts whatever the relay's timing (Hypothesis): the same reports of a system, in any
arrival order, repeated and cut into any batches, raise only alerts whose condition holds at the
snapshot they name, and a drop only against an influence of an earlier tick period. (Found: a
drop compared with a report of the same period when no tick was known, so whether it fired
depended on how the feed happened to batch the reports.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bgs import tenants
from bgs.galaxy.alerts import ALERT_KIND, AlertKind, GalaxyAlert, enqueue_alerts
from bgs.galaxy.snapshot import SystemSnapshot
from bgs.galaxy.store import EDDN
from bgs.galaxy.writer import GalaxyWriter
from db.database import Database
from db.models import OutboxEntry
from tests.helpers.galaxy import add_tick, faction, snapshot
from tests.integration.test_galaxy_properties import fresh

GUILD = 9001
OURS, RIVAL, OTHER = "Our Faction", "Rival Union", "Other Party"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def reports(draw: st.DrawFn) -> SystemSnapshot:
    """A report of the system: our faction's share of influence moves, the other two split
    the rest; it controls the system while it leads."""
    ours = draw(st.integers(2, 60)) / 100
    rival = round((1 - ours) * draw(st.integers(30, 70)) / 100, 4)
    other = round(1 - ours - rival, 4)
    at = START + timedelta(minutes=draw(st.integers(0, 180)))
    return snapshot(
        777,
        "Lead Test",
        at,
        [faction(OURS, ours), faction(RIVAL, rival), faction(OTHER, other)],
        controlling=OURS if ours >= max(rival, other) else RIVAL,
    )


async def _alerts(
    url: str, tick: datetime | None, batches: list[list[SystemSnapshot]]
) -> list[GalaxyAlert]:
    db = Database(url)
    try:
        await tenants.register(db, GUILD, "alerts")
        async with db.tenant_write(GUILD) as session:
            tenant = await tenants.get_tenant(session)
            assert tenant is not None
            tenants.set_faction(tenant, OURS)
        if tick is not None:
            await add_tick(db, tick)
        writer = GalaxyWriter(db, partial(enqueue_alerts, db=db))
        for batch in batches:
            await writer.store(batch, EDDN, now=START + timedelta(hours=4))
        async with db.tenant(GUILD) as session:
            rows = await session.execute(select(OutboxEntry).where(OutboxEntry.kind == ALERT_KIND))
            return [GalaxyAlert.from_payload(row.payload) for row in rows.scalars()]
    finally:
        await db.dispose()


def _influence(report: SystemSnapshot) -> float:
    return next(item.influence for item in report.factions if item.name == OURS)


@EXAMPLES
@given(
    sent=st.lists(reports(), min_size=1, max_size=5, unique_by=lambda s: s.observed_at),
    tick_minute=st.none() | st.integers(0, 180),
    data=st.data(),
)
def test_alerts_hold_at_their_snapshot_however_reports_are_batched(
    sent: list[SystemSnapshot],
    tick_minute: int | None,
    data: st.DataObject,
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    tick = None if tick_minute is None else START + timedelta(minutes=tick_minute)
    arrival = data.draw(st.permutations(sent + sent))  # every report twice, any order
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    batches = [arrival[a:b] for a, b in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    url = fresh(sqlite_template, tmp_path, "batches")
    alerts = asyncio.run(_alerts(url, tick, [batch for batch in batches if batch]))

    by_time = {report.observed_at: report for report in sent}
    for alert in alerts:
        seen = by_time[alert.observed_at]
        assert alert.influence == round(_influence(seen) * 100, 4)
        assert alert.tick_at == (tick if tick is not None and tick <= seen.observed_at else None)
        if alert.kind is AlertKind.LEAD:
            assert seen.controlling_faction == OURS and alert.lead is not None
            assert alert.threshold is not None and alert.lead < alert.threshold
        if alert.kind is AlertKind.DROP:
            assert tick is not None and alert.tick_at == tick, "a drop needs a last tick"
            earlier = {round(_influence(r) * 100, 4) for r in sent if r.observed_at < tick}
            assert alert.previous in earlier
            assert alert.threshold is not None
            assert alert.previous - alert.influence > alert.threshold
