"""Column types shared by the models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, DateTime, Integer, SmallInteger, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# An auto-incrementing 64-bit key: SQLite only aliases ROWID for INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


INT64 = (-(2**63), 2**63 - 1)
_INT_RANGES = (
    (BigInteger, INT64),
    (SmallInteger, (-(2**15), 2**15 - 1)),
    (Integer, (-(2**31), 2**31 - 1)),
)


@cache
def _integer_columns(table: Table) -> tuple[tuple[str, int, int], ...]:
    """The table's integer columns with the range every dialect holds (PostgreSQL's `integer`
    is 32 bits; SQLite would hold 64, but a row must fit both)."""
    found = []
    for column in table.columns:
        for kind, (low, high) in _INT_RANGES:
            if isinstance(column.type, kind):
                found.append((column.name, low, high))
                break
    return tuple(found)


def out_of_range(table: Table, row: Mapping[str, Any]) -> str | None:
    """The first column of `row` whose integer its column type cannot hold, or None: such a
    row is refused with a clear error before the database raises one."""
    for name, low, high in _integer_columns(table):
        value = row.get(name)
        if isinstance(value, int) and not low <= value <= high:
            return name
    return None


def json_bytes(value: Any, *, sort_keys: bool = False) -> bytes:
    """`value` as compact UTF-8 JSON: orjson's (several times faster), or the standard
    library's for what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")


def json_text(value: Any) -> str:
    """A document column's JSON (the engines' serializer)."""
    return json_bytes(value).decode("utf-8")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every dialect.

    PostgreSQL stores `timestamptz`; SQLite stores the UTC wall time in one fixed format, so
    ordering and range filters compare correctly. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)
