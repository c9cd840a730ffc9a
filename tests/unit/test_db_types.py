"""JSON of document columns and content hashes (`db.types.json_bytes`)."""

from __future__ import annotations

import json

from bgs.events import content_hash
from db.types import json_bytes, json_text


def test_json_is_compact_utf8_and_sorted_on_request() -> None:
    value = {"b": 1, "a": ["é", 1.5, None]}
    assert json_bytes(value) == '{"b":1,"a":["é",1.5,null]}'.encode()
    assert json_bytes(value, sort_keys=True) == '{"a":["é",1.5,null],"b":1}'.encode()
    assert json.loads(json_text(value)) == value


def test_what_orjson_refuses_falls_back_to_the_standard_library() -> None:
    huge = {"Count": 10**30, "z": 1, "a": 2}
    assert (
        json_bytes(huge, sort_keys=True) == b'{"Count":1000000000000000000000000000000,"a":2,"z":1}'
    )
    assert json.loads(json_text(huge)) == huge


def test_the_same_content_hashes_the_same_whatever_its_key_order() -> None:
    first = {"event": "Docked", "timestamp": "2026-11-26T13:09:58Z", "StarSystem": "Alpha"}
    second = dict(reversed(first.items()))
    assert content_hash(first) == content_hash(second)
    assert content_hash(first) != content_hash(first | {"StarSystem": "Beta"})
