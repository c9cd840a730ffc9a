"""Protected factions: the pieces that need no database."""

from __future__ import annotations

from bgs.protected import KIND_LABELS, KIND_UNITS, HarmKind, alert_key

TICK = "zoy-7aa3e8fcc79b08a08a58"


def test_alert_key_fits_the_ledger() -> None:
    assert alert_key(7, "Test Cmdr", TICK) == f"7:Test Cmdr:{TICK}"
    assert alert_key(7, None, None) == "7::"
    faction_id = 10**15
    assert len(f"{faction_id}:{'C' * 128}:{'t' * 64}") > 200
    long_key = alert_key(faction_id, "C" * 128, "t" * 64)
    assert len(long_key) <= 200
    assert long_key.startswith(f"{faction_id}:#")
    assert long_key != alert_key(faction_id, "C" * 127 + "D", "t" * 64)
    assert alert_key(faction_id, "C" * 100, "t" * 64) == f"{faction_id}:{'C' * 100}:{'t' * 64}"


def test_every_kind_has_a_unit_and_a_label() -> None:
    assert set(KIND_UNITS) == set(HarmKind) == set(KIND_LABELS)
    assert all(len(kind.value) <= 32 for kind in HarmKind)  # protected_harms.kind
