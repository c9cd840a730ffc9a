"""The body check's quick path (Hypothesis): a body it lets through on its bytes alone is one
the full check passes too, and a body the full check refuses is refused, with the same words,
however the JSON is written (compact or spaced, big numbers, exponents, NULs, deep nesting)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from listener.jsonbody import MAX_DEPTH, BodyError, check, parse

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(
        ["a\x00b", "Sector AB-e12", "zoy-98e2604638c7e", "9223372036854775808", "\\u0000"]
    )
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def refusal(value: Any) -> str | None:
    try:
        check(value, "events")
    except BodyError as exc:
        return str(exc)
    return None


@given(value=values | st.integers(MAX_DEPTH - 2, MAX_DEPTH + 2).map(nested), spaced=st.booleans())
@example(value=[{"Name": "a\x00b"}], spaced=False)
@example(value={"k\x00": 1}, spaced=False)
@example(value=[2**63, 1], spaced=False)
@example(value=[-(2**63) - 1], spaced=True)
@example(value=[1e19, 0.5], spaced=False)
@example(value=nested(MAX_DEPTH + 1), spaced=False)
@example(value=[{"tickid": "zoy-98e2604638c7e", "n": 12}], spaced=False)
def test_the_quick_path_agrees_with_the_full_check(value: Any, spaced: bool) -> None:
    body = json.dumps(value, indent=1 if spaced else None, ensure_ascii=False).encode()
    read = orjson.loads(body)  # what the full check sees (a number past 64 bits as a float)
    expected = refusal(read)
    if expected is None:
        assert parse(body, "events") == read
    else:
        with pytest.raises(BodyError) as raised:
            parse(body, "events")
        assert str(raised.value) == expected
