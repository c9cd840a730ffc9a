"""The discovery document served to BGS-Tally (bgstally-api.md §4)."""

from __future__ import annotations

from typing import Any

from bgs.ingest import MAX_BATCH

# The events we ask the plugin for: its default list plus the four synthetic events.
#
# CHANGING THE SET OF NAMES FORCES EVERY USER TO RE-APPROVE the connection in the plugin
# (a changed name set withdraws the approval, bgstally-api.md §4.4). Changing a filter is free.
# CommitCrime stays unfiltered: the fines metric counts every crime's fine and bounty, and
# crimes are rare enough that a filter would save next to no traffic.
REQUESTED_EVENTS: dict[str, dict[str, Any]] = {
    "ApproachSettlement": {},
    "CarrierJump": {},
    "CommitCrime": {},
    "Died": {},
    "Docked": {},
    "FactionKillBond": {},
    "FSDJump": {},
    "Location": {},
    "MarketBuy": {},
    "MarketSell": {},
    "MissionAbandoned": {},
    "MissionAccepted": {},
    "MissionCompleted": {},
    "MissionFailed": {},
    "MultiSellExplorationData": {},
    "RedeemVoucher": {},
    "SellExplorationData": {},
    "StartUp": {},
    "SyntheticCZ": {},
    "SyntheticCZObjective": {},
    "SyntheticGroundCZ": {},
    "SyntheticScenario": {},
}

EVENTS_MIN_PERIOD = 5
ACTIVITIES_MIN_PERIOD = 60
OBJECTIVES_MIN_PERIOD = 30


def _endpoint(path: str, min_period: int, max_batch: int | None = None) -> dict[str, Any]:
    # The plugin reads snake_case; the 1.6 spec and older servers use camelCase: send both.
    endpoint: dict[str, Any] = {"path": path, "min_period": min_period, "minPeriod": min_period}
    if max_batch is not None:
        endpoint |= {"max_batch": max_batch, "maxBatch": max_batch}
    return endpoint


def discovery_document(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "version": "1.8.0",
        "endpoints": {
            "events": _endpoint("events", EVENTS_MIN_PERIOD, MAX_BATCH),
            "activities": _endpoint("activities", ACTIVITIES_MIN_PERIOD),
            "objectives": _endpoint("objectives", OBJECTIVES_MIN_PERIOD),
        },
        "events": {name: dict(spec) for name, spec in REQUESTED_EVENTS.items()},
    }
