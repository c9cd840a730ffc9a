"""Reading a plugin request's JSON body so that nothing in it can fail later: the body must be
UTF-8 JSON, read within a deadline, and every value in it must be one both databases store
as sent. What does not is refused with a 400 naming the item and field:

* integers outside 64 bits (orjson would read those up to 2**64 as floats, losing digits) and
  floats of 2**63 or more (`1e308`): no column holds them, and no real plugin value is near;
* `NaN`, `Infinity`, `-Infinity` and numbers like `1e400` that overflow to infinity: not JSON
  numbers a JSON column can hold;
* text with a lone surrogate (`\\ud800`, not encodable as UTF-8) or a NUL character (which
  PostgreSQL's text and JSONB refuse), in values and keys alike;
* nesting deeper than `MAX_DEPTH` levels (the plugin's deepest is six).

Every request is checked, so the check is quick where it can be: what orjson reads has no lone
surrogate, `NaN` or infinity, and its text can hold a NUL only as the escape `\\u0000`; in a
body it reads without that escape, only the numbers and the nesting need a look.
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple

import orjson

from db.types import INT64

MAX_DEPTH = 32
FLOAT_LIMIT = float(2**63)
MAX_PATH = 120  # characters of a path in a message


class BodyError(ValueError):
    """The body cannot be stored faithfully; the message names where and why."""


class _Node(NamedTuple):
    value: Any
    depth: int
    parent: _Node | None
    step: str  # ".key" or "[index]" from the parent


def parse(body: bytes, root: str) -> Any:
    """The body's JSON value, checked (see the module); BodyError otherwise. `root` names the
    top level in messages ("events" gives `events[3].SystemAddress`)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = _parse_slowly(body)  # orjson refuses NaN, 1e400 and lone surrogates: say where
    else:
        if b"\\u0000" not in body and _clean(value, text=False):
            return value
    check(value, root)
    return value


def _parse_slowly(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the body must be JSON encoded as UTF-8") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BodyError(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BodyError(f"the body is not valid JSON ({exc})") from None


def check(value: Any, root: str) -> None:
    """Raise BodyError for the first value (in document order) that cannot be stored as sent.

    Iterative, so nesting cannot exhaust the stack. Every request is checked, so a quick pass
    only says whether anything is wrong; the pass that says where runs only when it is.
    """
    if _clean(value):
        return
    stack = [_Node(value, 0, None, "")]
    while stack:
        node = stack.pop()
        problem = _problem(node)
        if problem is not None:
            raise BodyError(f"{_path(node, root)}: {problem}")
        item = node.value
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                if not isinstance(key, str) or _text_problem(key) is not None:
                    raise BodyError(f"{_path(node, root)}: a field name {_text_problem(key)}")
                stack.append(_Node(child, node.depth + 1, node, f".{key}"))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append(_Node(item[index], node.depth + 1, node, f"[{index}]"))


def _clean(value: Any, *, text: bool = True) -> bool:
    """Whether nothing in `value` is refused (the hot path: a tight loop, no paths); with
    `text` False, its text is taken as fine (read by orjson from a body without a NUL)."""
    low, high = INT64
    stack = [(value, 0)] if isinstance(value, dict | list) else []
    if not stack:
        return _clean_scalar(value)
    while stack:
        item, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return False
        children: Any = item
        if type(item) is dict:
            if text and _bad_text("".join(item)):  # JSON's keys are text: one check for all
                return False
            children = item.values()
        for child in children:
            kind = type(child)
            if kind is str:
                if text and _bad_text(child):
                    return False
            elif kind is int:
                if not low <= child <= high:
                    return False
            elif kind is float:
                if not -FLOAT_LIMIT < child < FLOAT_LIMIT:  # NaN fails every comparison
                    return False
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
    return True


def _bad_text(text: str) -> bool:
    """`_text_problem`, quick for the common case: ASCII text without a NUL."""
    return "\x00" in text or (not text.isascii() and _text_problem(text) is not None)


def _clean_scalar(value: Any) -> bool:
    return _problem(_Node(value, 0, None, "")) is None


def _problem(node: _Node) -> str | None:
    item = node.value
    if isinstance(item, str):
        return _text_problem(item)
    if isinstance(item, bool) or item is None:
        return None
    if isinstance(item, int):
        low, high = INT64
        return None if low <= item <= high else f"{_short(item)} is outside the 64-bit range"
    if isinstance(item, float):
        if not math.isfinite(item):
            return f"{item} is not a finite number"
        return None if abs(item) < FLOAT_LIMIT else f"{item:g} is out of range (64 bits)"
    if node.depth >= MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    return None


def _text_problem(text: str) -> str | None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (a lone surrogate such as \\ud800)"
    return "contains a NUL character" if "\x00" in text else None


def _short(number: int) -> str:
    digits = str(number)
    return digits if len(digits) <= 30 else f"a {len(digits)}-digit integer"


def _path(node: _Node, root: str) -> str:
    steps = []
    current: _Node | None = node
    while current is not None:
        steps.append(current.step)
        current = current.parent
    path = (root + "".join(reversed(steps))).removeprefix(".") or "body"
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"
