"""What the galaxy feed did, kept in the database so that any process can show it in /status:
messages per minute and outcome (`galaxy_feed_counts`: "kept" or a drop reason), and the
consuming process's state (`bot_state`: relay, receiving or silent, last message, when written).

Only the process that consumes the feed writes; it flushes every `FLUSH_EVERY`, so a state not
written for `STATE_STALE` means no process consumes the feed now.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select

from bgs.bot_state import read_state, write_state
from bgs.events import parse_instant
from bgs.galaxy.eddn import KEPT
from db.bulk import dialect_insert, dialect_name, table_of
from db.database import Database
from db.models import GalaxyFeedCount

STATE_KEY: Final = "eddn_feed"
FLUSH_EVERY: Final = 10.0  # seconds
STATE_STALE: Final = timedelta(seconds=60)
WINDOW: Final = timedelta(hours=1)
KEEP_COUNTS: Final = timedelta(days=2)  # older per-minute counts are deleted

COUNTS = table_of(GalaxyFeedCount)


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


class FeedCounts:
    """Outcomes counted in memory per minute until the next flush."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[datetime, str]] = Counter()

    def add(self, outcome: str, at: datetime, count: int = 1) -> None:
        if count:
            self._counts[(minute_of(at), outcome)] += count

    async def flush(self, db: Database, now: datetime) -> None:
        """Add the counts to the stored ones (and forget counts older than KEEP_COUNTS); on
        failure they stay for the next flush."""
        counts, self._counts = self._counts, Counter()
        try:
            async with db.unscoped_write() as session:
                if counts:
                    insert = dialect_insert(dialect_name(session), COUNTS)
                    statement = insert.on_conflict_do_update(
                        index_elements=["minute", "outcome"],
                        set_={"count": COUNTS.c.count + insert.excluded["count"]},
                    )
                    rows = [
                        {"minute": minute, "outcome": outcome, "count": count}
                        for (minute, outcome), count in counts.items()
                    ]
                    await session.execute(statement, rows)
                await session.execute(
                    COUNTS.delete().where(COUNTS.c.minute < minute_of(now) - KEEP_COUNTS)
                )
        except BaseException:
            self._counts.update(counts)
            raise


@dataclass(frozen=True, slots=True)
class FeedState:
    """The consuming process's view of the relay, as of `written_at`."""

    relay: str
    receiving: bool  # a message arrived within the silence limit
    last_message_at: datetime | None
    written_at: datetime


async def write_feed_state(db: Database, state: FeedState) -> None:
    last = state.last_message_at.isoformat() if state.last_message_at is not None else None
    value = {
        "relay": state.relay,
        "receiving": state.receiving,
        "last_message_at": last,
        "written_at": state.written_at.isoformat(),
    }
    await write_state(db, STATE_KEY, json.dumps(value))


async def read_feed_state(db: Database) -> FeedState | None:
    text = await read_state(db, STATE_KEY)
    if text is None:
        return None
    value = json.loads(text)
    written_at = parse_instant(value.get("written_at"))
    if written_at is None:
        return None
    return FeedState(
        relay=str(value.get("relay")),
        receiving=bool(value.get("receiving")),
        last_message_at=parse_instant(value.get("last_message_at")),
        written_at=written_at,
    )


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """The feed as /status shows it: whether this deployment consumes it, the consumer's state
    (None before any), and the last hour's messages by outcome."""

    enabled: bool
    state: FeedState | None
    counts: dict[str, int]
    now: datetime

    @property
    def consumed(self) -> bool:
        """A process wrote its state lately: it consumes the feed."""
        return self.state is not None and self.now - self.state.written_at <= STATE_STALE

    @property
    def receiving(self) -> bool:
        return self.consumed and self.state is not None and self.state.receiving

    @property
    def kept(self) -> int:
        return self.counts.get(KEPT, 0)

    @property
    def dropped(self) -> dict[str, int]:
        """Drop reasons of the last hour, most frequent first."""
        drops = [(reason, n) for reason, n in self.counts.items() if reason != KEPT]
        return dict(sorted(drops, key=lambda item: (-item[1], item[0])))


async def feed_status(db: Database, enabled: bool, now: datetime) -> FeedStatus:
    async with db.unscoped() as session:
        rows = await session.execute(
            select(GalaxyFeedCount.outcome, func.sum(GalaxyFeedCount.count))
            .where(GalaxyFeedCount.minute >= minute_of(now - WINDOW))
            .group_by(GalaxyFeedCount.outcome)
        )
        counts = {outcome: int(total) for outcome, total in rows}
    return FeedStatus(enabled, await read_feed_state(db), counts, now)


def feed_line(status: FeedStatus) -> tuple[bool | None, str, datetime | None]:
    """The feed in one line for the setup checklist: ok (None when turned off), the text
    (`{at}` stands for the instant returned, which the reader sees in local time)."""
    state = status.state
    if not status.enabled:
        return None, "off (`EDDN_RELAY=off`): only members' own jumps update the galaxy", None
    if state is None:
        return False, "no process has reached the relay yet", None
    if not status.consumed:
        return False, "no process consumes the feed now (last seen {at})", state.written_at
    if state.last_message_at is None:
        return False, f"connecting to `{state.relay}`, no message yet", None
    if status.receiving:
        return True, f"connected to `{state.relay}`, last message {{at}}", state.last_message_at
    return False, f"silent since {{at}}: reconnecting to `{state.relay}`", state.last_message_at


def feed_counts_text(status: FeedStatus) -> str:
    """The last hour's messages: kept, and dropped by reason (most frequent first)."""
    text = f"{status.kept:,} kept"
    if status.dropped:
        text += "; dropped: " + ", ".join(f"{reason} {n:,}" for reason, n in status.dropped.items())
    else:
        text += ", none dropped"
    return text
