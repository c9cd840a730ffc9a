"""The command line of `bot.py`: run the bot (the default), migrate, sync the slash commands,
manage listener API keys without Discord, and record the galaxy tick by hand (the operator's
alone: a guild's officers record only their own guild's tick, with `/tick set`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import discord
from tqdm import tqdm

from bgs import apikeys, ticks
from bgs.listener_address import listener_address
from bgs.rollups import rebuild
from db.database import Database
from db.migrate import upgrade
from settings import ConfigError, Settings, TenantsFile, load_settings, load_tenants
from warden.discord_bot import build_bot
from warden.logs import configure_logging
from warden.run import run_bot, run_listener_only

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A command given wrong input or refused; the message says why (exit status 1)."""


Command = Callable[[argparse.Namespace, Settings, TenantsFile], Coroutine[Any, Any, None]]


async def migrate_all(settings: Settings, tenants: TenantsFile) -> None:
    """`alembic upgrade head` on the default database and every tenant's own database."""
    db = Database.configured(settings, tenants, timeouts=False)
    try:
        for url in db.urls:
            await upgrade(db.engine(url))
            log.info("database %s is at the newest schema", db.engine(url).url)
    finally:
        await db.dispose()


async def _cmd_run(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        await run_listener_only(settings, tenants)
    else:
        await run_bot(settings, tenants)


async def _cmd_listen(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    await run_listener_only(settings, tenants)


async def _cmd_discord(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        raise ConfigError("the discord role needs DISCORD_TOKEN")
    await run_bot(settings, tenants, listener=False)


async def _cmd_sync(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        raise ConfigError("set DISCORD_TOKEN to sync the slash commands with Discord")
    bot = build_bot(settings, tenants, sync_commands=True)
    try:
        await bot.login(settings.discord_token.get_secret_value())
        await bot.services.db.ping()
        await bot.load_cogs()
        await bot.sync_commands(force=True)
    except discord.LoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN; check the bot token") from None
    finally:
        await bot.close()


async def _cmd_migrate(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    await migrate_all(settings, tenants)


async def _cmd_apikey(args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    db = Database.configured(settings, tenants)
    try:
        async with db.tenant_write(args.guild) as session:
            if args.action == "create":
                try:
                    key, info = await apikeys.create_key(
                        session,
                        label=args.label,
                        created_by="command line",
                        limit=settings.max_keys_per_guild,
                    )
                except apikeys.TooManyKeysError as exc:
                    raise ConfigError(str(exc)) from None
                print(f"API key {info.id} ({info.label}) for guild {args.guild}:")
                print(f"  {key}")
                address = listener_address(
                    settings.listener_public_url, settings.listener_host, settings.listener_port
                )
                print("It is shown only this once. In BGS-Tally's API settings paste:")
                print(f"  URL: {address.url}")
                print(f"  Key: {key}")
                if address.problem is not None:
                    print(f"Warning: {address.problem.replace('`', '')}")
            elif args.action == "list":
                keys = await apikeys.list_keys(session)
                if not keys:
                    print(f"guild {args.guild} has no API keys")
                for info in keys:
                    print(apikeys.describe(info))
            else:
                try:
                    info = await apikeys.revoke_key(session, args.key_id)
                except apikeys.UnknownKeyError as exc:
                    raise ConfigError(str(exc)) from None
                print(f"revoked: {apikeys.describe(info)}")
    finally:
        await db.dispose()


async def _cmd_tick(args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    """Record the galaxy tick every guild shares; the running bots announce it to every guild
    at their next tick poll (within TICK_POLL_MINUTES)."""
    tick_time = ticks.parse_manual_time(args.time)
    if tick_time is None:
        raise CommandError(
            f"not a UTC date and time: {args.time!r}; give it like '2026-11-26 11:00' or "
            "'2026-11-26T11:00:00Z'. Nothing was recorded."
        )
    db = Database.configured(settings, tenants)
    try:
        result = await ticks.record_galaxy_tick(db, tick_time, datetime.now(UTC))
    finally:
        await db.dispose()
    if result.rejected is not None:
        last = "none" if result.latest is None else result.latest.tick_time.isoformat()
        raise CommandError(
            f"the galaxy tick was not recorded: {result.rejected} (last stored tick: {last}). "
            "Give a UTC time after the last tick and not in the future."
        )
    print(f"recorded the galaxy tick {tick_time.isoformat()} for every guild")
    print("the running bot announces it in every guild's tick channel at its next tick poll")


async def _cmd_rollups(args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    """Rebuild a guild's rollups in one transaction, with a progress bar on a terminal."""
    db = Database.configured(settings, tenants)
    try:
        async with db.tenant_write(args.guild) as session:
            total = await session.run_sync(rebuild.amount)
            with tqdm(
                total=total,
                unit=" rows",
                desc=f"guild {args.guild}",
                disable=not sys.stderr.isatty(),
                file=sys.stderr,
            ) as bar:
                try:
                    rebuilt = await session.run_sync(
                        partial(rebuild.rebuild, progress=bar.update, force=args.force)
                    )
                except rebuild.PrunedError as exc:
                    raise ConfigError(str(exc).replace("force it", "--force")) from None
        print(
            f"guild {args.guild}: rollups rebuilt from {rebuilt.events} events and "
            f"{rebuilt.tallies} tallies"
        )
    finally:
        await db.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="BGS Warden Discord bot")
    parser.set_defaults(handler=_cmd_run)
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    subcommands.add_parser(
        "run", help="start everything: the Discord bot and the listener (the default)"
    ).set_defaults(handler=_cmd_run)
    subcommands.add_parser(
        "listen", help="the plugin listener only, no Discord (any number behind a load balancer)"
    ).set_defaults(handler=_cmd_listen)
    discord_role = subcommands.add_parser(
        "discord", help="the Discord bot only (these shards, no listener)"
    )
    discord_role.add_argument(
        "--shards", metavar="IDS", help="the shards this process runs, e.g. 0,1 (SHARD_IDS)"
    )
    discord_role.add_argument(
        "--shard-count", type=int, metavar="N", help="the shards of the whole bot (SHARD_COUNT)"
    )
    discord_role.set_defaults(handler=_cmd_discord)
    subcommands.add_parser(
        "migrate", help="apply database migrations to every configured database"
    ).set_defaults(handler=_cmd_migrate)

    subcommands.add_parser(
        "sync", help="publish the slash commands to Discord now (normally automatic)"
    ).set_defaults(handler=_cmd_sync)

    _add_apikey(subcommands)
    _add_tick(subcommands)
    _add_rollups(subcommands)
    return parser


def _add_apikey(subcommands: Any) -> None:
    apikey = subcommands.add_parser("apikey", help="create, list or revoke listener API keys")
    actions = apikey.add_subparsers(title="actions", dest="action", required=True)
    create = actions.add_parser("create", help="create a key (printed once)")
    create.add_argument("--guild", type=int, required=True, help="Discord guild (server) id")
    create.add_argument("--label", default="command line", help="what the key is for")
    listing = actions.add_parser("list", help="list a guild's keys (never the keys themselves)")
    listing.add_argument("--guild", type=int, required=True)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("--guild", type=int, required=True)
    revoke.add_argument("key_id", type=int, metavar="KEYID")
    apikey.set_defaults(handler=_cmd_apikey)


def _add_tick(subcommands: Any) -> None:
    tick = subcommands.add_parser(
        "tick",
        help="record the galaxy tick by hand for every guild (operator only)",
        description="The galaxy tick every guild shares comes from the tick sources; when they "
        "are all down, the operator records it here. Every guild announces it and posts its "
        "post-tick summary. (An officer's /tick set records a tick for their own server only.)",
    )
    tick_actions = tick.add_subparsers(title="actions", dest="action", required=True)
    tick_set = tick_actions.add_parser(
        "set", help="record the galaxy tick at TIME (UTC), announced in every guild"
    )
    tick_set.add_argument(
        "time", metavar="TIME", help="the tick in UTC: '2026-11-26 11:00' or 2026-11-26T11:00:00Z"
    )
    tick.set_defaults(handler=_cmd_tick)


def _add_rollups(subcommands: Any) -> None:
    rollups = subcommands.add_parser("rollups", help="the counters the summaries read")
    rollup_actions = rollups.add_subparsers(title="actions", dest="action", required=True)
    rebuilding = rollup_actions.add_parser(
        "rebuild", help="rebuild a guild's rollups from its stored events and tallies"
    )
    rebuilding.add_argument("--guild", type=int, required=True, help="Discord guild (server) id")
    rebuilding.add_argument(
        "--force",
        action="store_true",
        help="rebuild even though events were pruned (their counts are lost)",
    )
    rollups.set_defaults(handler=_cmd_rollups)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if getattr(args, "shards", None) is not None:
        overrides["shard_ids"] = args.shards
    if getattr(args, "shard_count", None) is not None:
        overrides["shard_count"] = args.shard_count
    try:
        settings = load_settings(**overrides)
        configure_logging(settings.log_level)
        tenants = load_tenants(settings.tenants_file)
        handler: Command = args.handler
        asyncio.run(handler(args, settings, tenants))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
