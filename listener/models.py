"""Request models for the plugin's PUT /activities (bgstally-api.md §6.2).

Tolerant exactly where the plugin is: numbers as ints, floats (`bvs` at fleet carriers) or
decimal strings (`infprimary`), empty `stations` and `twkills`, missing optional sub-objects,
unknown extra fields.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import Table

from bgs.events import parse_instant
from db import models
from db.types import INT64, out_of_range


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return round(value)
    return value


def _instant(value: object) -> object:
    parsed = parse_instant(value)
    if parsed is None:
        raise ValueError("must be an ISO 8601 time like 2026-11-26T13:09:58Z")
    return parsed


Count = Annotated[int, BeforeValidator(_number), Field(ge=INT64[0], le=INT64[1])]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Name = Annotated[str, Field(min_length=1, max_length=128)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CZSizes(_Lenient):
    low: Count = 0
    medium: Count = 0
    high: Count = 0


class GroundCZ(CZSizes):
    settlements: list[dict[str, Any]] = Field(default_factory=list)


class FactionIn(_Lenient):
    name: Name
    state: str | None = None
    influence: float | None = None
    stations: list[dict[str, Any]] = Field(default_factory=list)
    bvs: Count = 0
    cbs: Count = 0
    exobiology: Count = 0
    exploration: Count = 0
    scenarios: Count = 0
    infprimary: Count = 0
    infsecondary: Count = 0
    missionfails: Count = 0
    murdersground: Count = 0
    murdersspace: Count = 0
    tradebm: Count = 0
    tradebuy: dict[str, dict[str, Count]] | None = None
    tradesell: dict[str, dict[str, Count]] | None = None
    sandr: dict[str, Count] | None = None
    czground: GroundCZ = Field(default_factory=GroundCZ)
    czspace: CZSizes = Field(default_factory=CZSizes)


class SystemIn(_Lenient):
    name: Name
    address: Count
    factions: list[FactionIn] = Field(default_factory=list)
    twkills: dict[str, Count] = Field(default_factory=dict)
    twsandr: dict[str, Count] | None = None
    twreactivate: Count = 0


class ActivityIn(_Lenient):
    cmdr: Name
    tickid: Annotated[str, Field(min_length=1, max_length=64)]
    ticktime: Instant | None = None
    timestamp: Instant
    systems: list[SystemIn] = Field(default_factory=list)


def first_error(exc: ValidationError) -> str:
    """'systems[0].factions[2].bvs: must be a number' from a pydantic error."""
    error = exc.errors()[0]
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    message = error["msg"].removeprefix("Value error, ")
    return f"{path or 'body'}: {message}"


def _total(brackets: dict[str, dict[str, int]] | None, key: str) -> int:
    return sum(bracket.get(key, 0) for bracket in (brackets or {}).values())


def to_activity(payload: ActivityIn) -> models.Activity:
    """The ORM tree for one validated snapshot."""
    return models.Activity(
        cmdr=payload.cmdr,
        tickid=payload.tickid,
        ticktime=payload.ticktime,
        timestamp=payload.timestamp,
        systems=[
            models.ActivitySystem(
                name=system.name,
                address=system.address,
                twkills=system.twkills,
                twsandr=system.twsandr,
                twreactivate=system.twreactivate,
                factions=[_faction(faction) for faction in system.factions],
            )
            for system in payload.systems
        ],
    )


def out_of_range_field(activity: models.Activity) -> str | None:
    """'systems[0].factions[2].cz_space_low' when a count does not fit its column (32 bits
    for the counts of things, 64 for credits), else None."""
    for s, system in enumerate(activity.systems):
        column = _row_out_of_range(system)
        if column is not None:
            return f"systems[{s}].{column}"
        for f, faction in enumerate(system.factions):
            column = _row_out_of_range(faction)
            if column is not None:
                return f"systems[{s}].factions[{f}].{column}"
    return None


def _row_out_of_range(row: models.Base) -> str | None:
    table = row.__table__
    assert isinstance(table, Table)
    return out_of_range(table, {column.name: getattr(row, column.name) for column in table.columns})


def _faction(f: FactionIn) -> models.ActivityFaction:
    return models.ActivityFaction(
        name=f.name,
        state=f.state,
        influence=f.influence,
        bvs=f.bvs,
        cbs=f.cbs,
        exobiology=f.exobiology,
        exploration=f.exploration,
        scenarios=f.scenarios,
        infprimary=f.infprimary,
        infsecondary=f.infsecondary,
        missionfails=f.missionfails,
        murdersground=f.murdersground,
        murdersspace=f.murdersspace,
        tradebm=f.tradebm,
        trade_buy_items=_total(f.tradebuy, "items"),
        trade_buy_value=_total(f.tradebuy, "value"),
        trade_sell_items=_total(f.tradesell, "items"),
        trade_sell_value=_total(f.tradesell, "value"),
        trade_sell_profit=_total(f.tradesell, "profit"),
        cz_space_low=f.czspace.low,
        cz_space_medium=f.czspace.medium,
        cz_space_high=f.czspace.high,
        cz_ground_low=f.czground.low,
        cz_ground_medium=f.czground.medium,
        cz_ground_high=f.czground.high,
        stations=f.stations,
        czground_settlements=f.czground.settlements,
        tradebuy=f.tradebuy,
        tradesell=f.tradesell,
        sandr=f.sandr,
    )
