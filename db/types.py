"""Column types shared by the models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# An auto-incrementing 64-bit key: SQLite only aliases ROWID for INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


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
