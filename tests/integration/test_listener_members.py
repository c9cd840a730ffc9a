"""Personal keys over real HTTP: a cmdr is linked on first sight, the cmdr limit and another
member's cmdr refuse the whole request (nothing stored), a replaced or revoked key is refused,
a guild can refuse squadron keys; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bgs import apikeys, members, tenants
from db import models
from tests.helpers.plugin import GUILD_A, PluginClient, market_event
from warden.services import Services

ANN, BOB = 11, 22  # Discord users
LIMIT_REFUSED = (
    "a personal key may post for at most 2 cmdrs: yours has CMDR Ann and CMDR Ann Alt, and this "
    "request adds CMDR Third, so it was refused and nothing of it was stored (an officer can "
    "unlink a cmdr with /cmdr unlink, or raise the limit with /cmdr settings)"
)
PERSONAL_ONLY = (
    "this server accepts personal keys only: get yours with /connect in the server's Discord "
    "and paste it into BGS-Tally's API settings"
)


@pytest.fixture(autouse=True)
async def guild(services: Services) -> None:
    await tenants.register(services.db, GUILD_A, "Alpha Wing")


async def personal(services: Services, plugin: PluginClient, user_id: int) -> PluginClient:
    """A plugin client with a new personal key of the user (as /connect makes it)."""
    async with services.db.tenant_write(GUILD_A) as session:
        made = await members.connect(
            session, user_id, f"user {user_id}", "tests", datetime.now(UTC)
        )
    services.keys.invalidate()
    return PluginClient(plugin.http, plugin.root, made.key)


async def configure(services: Services, **values: Any) -> None:
    async with services.db.tenant_write(GUILD_A) as session:
        row = await tenants.get_tenant(session)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
    services.keys.invalidate()


async def links(services: Services) -> list[tuple[str, int, str, str]]:
    async with services.db.tenant(GUILD_A) as session:
        rows = await session.execute(
            select(
                models.CmdrLink.cmdr,
                models.CmdrLink.user_id,
                models.CmdrLink.status,
                models.CmdrLink.source,
            ).order_by(models.CmdrLink.cmdr)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def key_cmdrs(services: Services) -> list[tuple[int, str]]:
    async with services.db.tenant(GUILD_A) as session:
        rows = await session.execute(
            select(models.ApiKeyCmdr.key_id, models.ApiKeyCmdr.cmdr).order_by(
                models.ApiKeyCmdr.key_id, models.ApiKeyCmdr.cmdr
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def events(services: Services) -> int:
    async with services.db.tenant(GUILD_A) as session:
        return (await session.execute(select(func.count(models.Event.id)))).scalar_one()


async def key_id(services: Services, client: PluginClient) -> int:
    assert client.key is not None
    async with services.db.unscoped() as session:
        owner = await apikeys.find_owner(session, client.key)
    assert owner is not None
    return owner.key_id


async def test_a_personal_key_links_its_cmdrs_on_first_sight(
    services: Services, plugin: PluginClient
) -> None:
    ann = await personal(services, plugin, ANN)
    assert (await ann.post_events([market_event(1, "Ann")])).status == 200
    assert (
        await ann.post_events([market_event(2, "Ann"), market_event(3, "Ann Alt")])
    ).status == 200

    assert await links(services) == [
        ("Ann", ANN, "linked", "key"),
        ("Ann Alt", ANN, "linked", "key"),
    ]
    ann_key = await key_id(services, ann)
    assert await key_cmdrs(services) == [(ann_key, "Ann"), (ann_key, "Ann Alt")]
    assert await events(services) == 3


async def test_the_cmdr_limit_refuses_the_whole_request(
    services: Services, plugin: PluginClient
) -> None:
    await configure(services, cmdrs_per_key=2)
    ann = await personal(services, plugin, ANN)
    assert (
        await ann.post_events([market_event(1, "Ann"), market_event(2, "Ann Alt")])
    ).status == 200

    refused = await ann.post_events([market_event(3, "Ann"), market_event(4, "Third")])

    assert refused.status == 403
    assert refused.body == {"error": LIMIT_REFUSED}
    assert await events(services) == 2  # not even Ann's event of the refused batch
    assert [link[0] for link in await links(services)] == ["Ann", "Ann Alt"]
    tally = {
        "cmdr": "Third",
        "tickid": "zoy-1",
        "ticktime": "2026-11-26T11:00:00Z",
        "timestamp": "2026-11-26T12:00:00Z",
        "systems": [],
    }
    assert (await ann.put_activity(tally)).status == 403
    async with services.db.tenant(GUILD_A) as session:
        assert (await session.execute(select(func.count(models.Activity.id)))).scalar_one() == 0


async def test_a_cmdr_linked_to_another_member_is_refused(
    services: Services, plugin: PluginClient
) -> None:
    ann, bob = await personal(services, plugin, ANN), await personal(services, plugin, BOB)
    assert (await ann.post_events([market_event(1, "Ann")])).status == 200

    refused = await bob.post_events([market_event(2, "Bob"), market_event(3, "Ann")])

    assert refused.status == 403
    assert refused.body["error"].startswith(
        "CMDR Ann is linked to another member of this server, so this request was refused and "
        "nothing of it was stored"
    )
    assert await links(services) == [("Ann", ANN, "linked", "key")]
    assert await events(services) == 1


async def test_a_personal_key_decides_pending_claims(
    services: Services, plugin: PluginClient
) -> None:
    assert (await plugin.post_events([market_event(1, "Cy"), market_event(2, "Dee")])).status == 200
    async with services.db.tenant_write(GUILD_A) as session:
        await members.claim_cmdr(session, "cy", ANN, datetime.now(UTC))
        await members.claim_cmdr(session, "Dee", BOB, datetime.now(UTC))
    ann = await personal(services, plugin, ANN)

    assert (await ann.post_events([market_event(3, "Cy"), market_event(4, "Dee")])).status == 200

    assert await links(services) == [("Cy", ANN, "linked", "key"), ("Dee", ANN, "linked", "key")]


async def test_a_replaced_key_is_refused_and_the_new_one_keeps_the_links(
    services: Services, plugin: PluginClient
) -> None:
    await configure(services, cmdrs_per_key=1)
    old = await personal(services, plugin, ANN)
    assert (await old.post_events([market_event(1, "Ann")])).status == 200

    new = await personal(services, plugin, ANN)

    replaced = await old.post_events([market_event(2, "Ann")])
    assert replaced.status == 401
    assert replaced.body == {"error": "this API key was revoked; ask an officer for a new one"}
    assert (await new.post_events([market_event(3, "Ann")])).status == 200
    assert (await new.post_events([market_event(4, "Another")])).status == 403
    assert await links(services) == [("Ann", ANN, "linked", "key")]


async def test_an_officer_revokes_a_personal_key(services: Services, plugin: PluginClient) -> None:
    ann = await personal(services, plugin, ANN)
    assert (await ann.post_events([market_event(1, "Ann")])).status == 200
    async with services.db.tenant_write(GUILD_A) as session:
        await apikeys.revoke_key(session, await key_id(services, ann))
    services.keys.invalidate()
    assert (await ann.post_events([market_event(2, "Ann")])).status == 401
    assert await events(services) == 1


async def test_personal_keys_only(services: Services, plugin: PluginClient) -> None:
    ann = await personal(services, plugin, ANN)
    await configure(services, personal_keys_only=True)

    for method, path, body in (
        ("POST", "events", [market_event(1, "Cy")]),
        (
            "PUT",
            "activities",
            {
                "cmdr": "Cy",
                "tickid": "t",
                "ticktime": "2026-11-26T11:00:00Z",
                "timestamp": "2026-11-26T12:00:00Z",
                "systems": [],
            },
        ),
        ("GET", "objectives", None),
    ):
        reply = await plugin.request(method, path, json_body=body)
        assert reply.status == 401, path
        assert reply.body == {"error": PERSONAL_ONLY}
    assert (await plugin.request("GET", "discovery")).status == 200
    assert (await ann.post_events([market_event(2, "Ann")])).status == 200
    assert await events(services) == 1

    await configure(services, personal_keys_only=False)
    assert (await plugin.post_events([market_event(3, "Cy")])).status == 200


async def test_a_squadron_key_posts_for_anyone_and_records_whom(
    services: Services, plugin: PluginClient
) -> None:
    assert (
        await plugin.post_events([market_event(1, "Ann"), market_event(2, "Bob")])
    ).status == 200
    assert (await plugin.post_events([market_event(3, "Ann")])).status == 200
    squadron = await key_id(services, plugin)
    assert await key_cmdrs(services) == [(squadron, "Ann"), (squadron, "Bob")]
    assert await links(services) == []


async def test_two_requests_at_once_cannot_pass_the_limit_together(
    services: Services, plugin: PluginClient
) -> None:
    await configure(services, cmdrs_per_key=1)
    ann = await personal(services, plugin, ANN)

    replies = await asyncio.gather(
        ann.post_events([market_event(1, "First")]), ann.post_events([market_event(2, "Second")])
    )

    assert sorted(reply.status for reply in replies) == [200, 403]
    assert len(await links(services)) == 1
    assert await events(services) == 1
