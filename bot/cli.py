"""`jkp-bot`: console, run (Telegram, SMS/WhatsApp), scheduler, migrate, purge, rekey, evidence
review, nlu, vacancies, applications, counselors, counseling, audit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from bot.counseling import cli as counseling_cli
from bot.settings import Settings, SettingsError
from bot.vacancies import cli as vacancies_cli
from bot.vacancies import status_cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jkp-bot", description="Pendamping JKP — chat assistant for JKP beneficiaries."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("console", help="chat in the terminal (one message per line when piped)")
    sub.add_parser(
        "run",
        help="run on Telegram (long polling, or webhooks when WEBHOOK_URL is set) and on "
        "SMS/WhatsApp when SMS_PROVIDER is set",
    )
    sub.add_parser(
        "scheduler",
        help="run the periodic jobs (monthly updates, reminders, purge) and the outbox senders "
        "alone: no polling, no webhook",
    )
    sub.add_parser("migrate", help="upgrade the database schema and exit")
    sub.add_parser("purge", help="delete data of users inactive beyond DATA_RETENTION_DAYS")
    sub.add_parser(
        "rekey",
        help="re-encrypt stored data and evidence photos with the first DATA_ENCRYPTION_KEY "
        "(after rotation)",
    )
    evidence = sub.add_parser("evidence", help="evidence photos of the monthly job search")
    evidence_sub = evidence.add_subparsers(dest="evidence_command", required=True)
    review = evidence_sub.add_parser(
        "review",
        help="list pending evidence, show one (--export its photos), accept, reject --reason",
    )
    review.add_argument("action", nargs="?", default="list",
                        choices=["list", "show", "accept", "reject"])  # fmt: skip
    review.add_argument("id", nargs="?", type=int, help="the evidence number (#) from the list")
    review.add_argument("--reason", default="", help="why it is rejected (sent to the person)")
    review.add_argument("--reviewer", default="", help="who decides (default: your user name)")
    review.add_argument("--export", metavar="DIR", help="show: write the photos, decrypted, here")
    review.add_argument("--quiet", action="store_true", help="accept: do not tell the person")
    review.add_argument("--limit", type=int, default=50, help="list: at most this many")
    from nlu.cli import add_arguments as add_nlu_arguments

    add_nlu_arguments(
        sub.add_parser("nlu", help="free-text understanding: parse, evaluate, train (nlu/cli.py)")
    )
    vacancies_cli.add_parser(sub)
    status_cli.add_parser(sub)
    counseling_cli.add_parsers(sub)
    return parser


async def _console(settings: Settings) -> None:
    from bot.app import build_app
    from bot.channels.console import run_console
    from bot.storage.db import sqlite_path

    if (path := sqlite_path(settings.database_url)) is not None:
        print(f"jkp-bot: data in {path.resolve()}", file=sys.stderr)
    app = await build_app(settings)
    try:
        await _sample_catalogue(app)
        await run_console(app)
    finally:
        await app.close()


async def _sample_catalogue(app: Any) -> None:
    """A fresh install has vacancies to search and apply to in chat: the fictional sample
    (bot/vacancies/sample.py; never once real vacancies have been imported)."""
    from bot.vacancies.sample import ensure_sample_catalogue

    now = app.engine.clock()
    today = now.astimezone(app.settings.zone).date()
    await ensure_sample_catalogue(app.db.engine, now=now, today=today)


async def _run(settings: Settings) -> None:
    from bot.app import build_app
    from bot.counseling.runtime import counseling_runtime

    app = await build_app(settings)
    try:
        await _sample_catalogue(app)
        sms = None
        if settings.sms.enabled:
            from bot.channels.sms.runtime import SmsRuntime

            sms = SmsRuntime(app)
        if not settings.telegram_token:
            assert sms is not None
            await sms.run()  # SMS/WhatsApp alone
            return
        runtime = counseling_runtime(app)  # the counselors' group too, when configured
        if sms is not None:
            sms.attach(runtime)  # one aiohttp app, the senders together
        try:
            if settings.webhook_url:
                await runtime.run_webhook()
            else:
                await runtime.run_polling()
        finally:
            if sms is not None:
                await sms.close()
    finally:
        await app.close()


async def _scheduler(settings: Settings) -> None:
    from bot.app import build_app
    from bot.channels.telegram_delivery import telegram_sender
    from scheduler.outbox import OutboxSender
    from scheduler.runner import SchedulerRuntime

    app = await build_app(settings)
    senders: list[OutboxSender] = []
    bot = None
    if settings.telegram_token:
        sender, bot = telegram_sender(app)
        senders.append(sender)
    sms = None
    if settings.sms.enabled:  # SMS and WhatsApp are sent from here too
        from bot.channels.sms.runtime import SmsRuntime

        sms = SmsRuntime(app)
        senders.extend(sms.senders)
    try:
        await SchedulerRuntime(app, senders).run()
    finally:
        if bot is not None:
            await bot.session.close()
        if sms is not None:
            await sms.close()
        await app.close()


async def _rekey(settings: Settings) -> tuple[int, int]:
    from bot.app import build_app
    from bot.storage.rekey import reencrypt_all

    app = await build_app(settings)
    try:
        return await reencrypt_all(app.db), await app.files.rekey()
    finally:
        await app.close()


async def _review(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.evidence.review_cli import run_review

    app = await build_app(settings)
    try:
        return await run_review(app, args)
    finally:
        await app.close()


async def _applications(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_app

    app = await build_app(settings)
    try:
        return await status_cli.run_applications(app, args)
    finally:
        await app.close()


async def _purge(settings: Settings) -> int:
    from bot.app import build_app
    from scheduler.jobs import purge_inactive

    app = await build_app(settings)
    try:
        return await purge_inactive(app)
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as e:
        print(f"jkp-bot: configuration error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "nlu":
            from nlu.cli import run as run_nlu

            return run_nlu(args, settings)
        if args.command == "vacancies":
            return vacancies_cli.run(args, settings)
        if args.command == "evidence":
            return asyncio.run(_review(settings, args))
        if args.command == "applications":
            return asyncio.run(_applications(settings, args))
        if args.command in counseling_cli.COMMANDS:
            return counseling_cli.run(args, settings)
        return _dispatch(args.command, settings)
    except SettingsError as e:
        print(f"jkp-bot: configuration error: {e}", file=sys.stderr)
        return 2


def _dispatch(command: str, settings: Settings) -> int:
    if command == "console":
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
        try:
            asyncio.run(_console(settings))
        except KeyboardInterrupt:  # Ctrl-C: leave at once, as shells expect (128 + SIGINT)
            print(file=sys.stderr)
            return 130
        return 0
    if command == "run":
        if not settings.telegram_token and not settings.sms.enabled:
            print(
                "jkp-bot: TELEGRAM_BOT_TOKEN is not set (nor SMS_PROVIDER). Get one from "
                "@BotFather, or try `jkp-bot console` to chat in the terminal.",
                file=sys.stderr,
            )
            return 2
        try:
            asyncio.run(_run(settings))
        except KeyboardInterrupt:  # Ctrl-C while starting, before the runtime handles signals
            return 130
        return 0
    if command == "scheduler":
        if not settings.telegram_token and not settings.sms.enabled:
            print(
                "jkp-bot: nothing to send with: set TELEGRAM_BOT_TOKEN or SMS_PROVIDER (the "
                "scheduler sends what the sweeps and the bot queue).",
                file=sys.stderr,
            )
            return 2
        try:
            asyncio.run(_scheduler(settings))
        except KeyboardInterrupt:  # Ctrl-C while starting, before the runtime handles signals
            return 130
        return 0
    if command == "migrate":
        from bot.app import configure_encryption
        from bot.storage.db import migrate_sync

        configure_encryption(settings)  # a migration may move encrypted data
        migrate_sync(settings.database_url)
        print("jkp-bot: database is at the newest schema")
        return 0
    if command == "rekey":
        rows, files = asyncio.run(_rekey(settings))
        print(
            f"jkp-bot: re-encrypted {rows} row(s) and {files} evidence photo(s) with the first key"
        )
        return 0
    deleted = asyncio.run(_purge(settings))
    print(f"jkp-bot: deleted {deleted} inactive user(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
