"""What every summary shares: the session they read in and small SQL helpers (the period filter
is `bgs.rollups.buckets`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    cast,
    func,
    literal_column,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bgs import rollups
from db.database import Database


@asynccontextmanager
async def reading(db: Database, guild_id: int) -> AsyncIterator[AsyncSession]:
    """A read session of the guild's, for summaries: its rollups are brought up to date first
    (`bgs.rollups.current`), so a summary counts every event stored before it was asked for."""
    await rollups.current(db, guild_id)
    async with db.tenant(guild_id) as session:
        yield session


def column_total(expression: Any) -> ColumnElement[int]:
    """Σ expression as a 64-bit integer, 0 when there are no rows (PostgreSQL would say
    numeric and NULL)."""
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


ZERO: ColumnElement[int] = literal_column("0", BigInteger)


def add_fields(left: Any, right: Any) -> dict[str, Any]:
    return {f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}


def sum_of(columns: Iterable[Any]) -> ColumnElement[int]:
    """column + column + … of some columns (one row's)."""
    terms = list(columns)
    total: ColumnElement[int] = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
