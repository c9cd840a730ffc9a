"""Property (issue 15): whatever a broken or hostile plugin sends, the listener answers below 500,
every refusal is a JSON `{"error": ...}`, nothing of a refused request is stored, and the process
stays up.

Hypothesis mutates the captured plugin requests (tests/fixtures/bgstally): it replaces values
anywhere in them with other types, huge or non-finite numbers, long or invalid text (lone
surrogates, NUL) and deep nesting, and sends the result in UTF-8 or another encoding, over real
HTTP, to the real listener, which runs in a thread of its own on SQLite and on PostgreSQL. The
number of examples is the Hypothesis profile's (tests/conftest.py: HYPOTHESIS_PROFILE).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db import models
from settings import TenantsFile
from tests.helpers.databases import Postgres
from tests.helpers.plugin import GUILD_A, create_api_key, sample, settings_for
from warden.services import Services

REQUESTS = [
    *(("POST", "/events", f"02-events-batch-{n:02d}.json") for n in range(1, 11)),
    ("PUT", "/activities", "03-activities-put-first.json"),
    ("PUT", "/activities", "03-activities-put-last.json"),
]
DEEP = "\x00deep\x00"  # stands for nesting too deep for json.dumps itself


class ThreadedListener:
    """The real services in an event loop of their own thread, so that Hypothesis (which runs
    plain functions) can talk to them over HTTP from the test's thread."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        limits_off = {
            "listener_rate_limit": 0,
            "listener_guild_rate_limit": 0,
            "listener_guild_bytes": 0,
            "listener_address_rate": 0,
        }
        self.database_url = database_url
        self.services = Services(settings_for(database_url, tmp_path, **limits_off), TenantsFile())
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self.services.start())
        self.key = self.run(create_api_key(self.services, GUILD_A))
        assert self.services.listener is not None
        self.port = self.services.listener.port

    def run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=60)

    def stored(self) -> tuple[int, int]:
        """(events, activities) in the database."""
        return self.run(self._stored())  # type: ignore[no-any-return]

    async def _stored(self) -> tuple[int, int]:
        async with self.services.db.unscoped() as session:
            events = await session.scalar(select(func.count()).select_from(models.Event))
            activities = await session.scalar(select(func.count()).select_from(models.Activity))
        return events or 0, activities or 0

    def send(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {
                "User-Agent": "BGS-Tally/5.5.0-dev",
                "apiversion": "1.8.0",
                "apikey": self.key,
                "Content-Type": "application/json",
            }
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self.run(self.services.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def threaded(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[ThreadedListener]:
    server: Postgres | None = None
    name = ""
    if request.param == "sqlite":
        path = tmp_path / "warden.db"
        path.write_bytes(sqlite_template.read_bytes())
        url = f"sqlite+aiosqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres")
        name = asyncio.run(server.create())
        url = server.url(name)
    running = ThreadedListener(url, tmp_path)
    try:
        yield running
    finally:
        running.close()
        if server is not None:
            asyncio.run(server.drop(name))


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

odd_numbers = st.one_of(
    st.integers(min_value=-1000, max_value=10**9),
    st.floats(min_value=-1e12, max_value=1e12),
    st.integers(min_value=2**62, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**62)),
    st.integers(min_value=2**31 - 2, max_value=2**33),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e400, float("nan"), 0.5, -0.0, 2.0**63]),
)
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Co", "Mn"]), max_size=10),
    st.sampled_from(["\ud800", "a\x00b", "[click](https://x)", "$x^2$", "١.٨.٠", "1e400"]),
    st.integers(min_value=129, max_value=20_000).map(lambda n: "x" * n),
)
odd_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), odd_numbers, odd_text, st.just(DEEP)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value, the root first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = replaced(value[head], tuple(rest), new)
    return copy


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, str, bytes]:
    method, path, name = draw(st.sampled_from(REQUESTS))
    body = sample(name)["body_json"]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = list(paths(body))
        where = places[draw(st.integers(min_value=0, max_value=len(places) - 1))]
        body = replaced(body, where, draw(odd_values))
    text = json.dumps(body)  # NaN, Infinity, huge integers and lone surrogates as JSON allows
    depth = draw(st.sampled_from([2, 10, 40, 1_000, 5_000]))
    text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth)
    text = text.replace("1e+400", "1e400").replace(
        "Infinity", draw(st.sampled_from(["Infinity", "1e400"]))
    )
    encoding = draw(st.sampled_from(["utf-8"] * 12 + ["utf-16", "utf-8-sig", "utf-32"]))
    return method, path, text.encode(encoding, errors="surrogatepass")


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=mutated_requests())
def test_no_request_gets_a_5xx_and_a_refused_one_stores_nothing(
    threaded: ThreadedListener, request: tuple[str, str, bytes]
) -> None:
    method, path, body = request
    before = threaded.stored()
    status, answer = threaded.send(method, path, body)
    after = threaded.stored()
    event(f"answered {status}")  # --hypothesis-show-statistics shows the mix
    assert status < 500, answer
    if status == 200:
        assert after[0] - before[0] >= 0 and after[1] - before[1] in (0, 1)
    else:
        error = json.loads(answer)["error"]
        assert isinstance(error, str) and error
        assert after == before, f"{status} {error}, yet something was stored"
    assert threaded.thread.is_alive()
    assert threaded.send("GET", "/discovery", b"")[0] == 200
