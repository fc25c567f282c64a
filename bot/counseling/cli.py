"""`jkp-bot counselors add|list|remove`, `jkp-bot counseling export SESSION`,
`jkp-bot audit`: the operator's side of counseling."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings

COMMANDS = ("counselors", "counseling", "audit")


def add_parsers(sub: Any) -> None:
    c = sub.add_parser("counselors", help="the counselors who work from the Telegram group")
    cc = c.add_subparsers(dest="counselors_command", required=True)
    add = cc.add_parser("add", help="register (or re-activate) a counselor")
    add.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")
    add.add_argument("name", nargs="+", metavar="NAME")
    add.add_argument("--title", default="Konselor Karir", help="jabatan (on the worksheet)")
    add.add_argument("--office", default="", help="unit kerja (on the worksheet)")
    cc.add_parser("list", help="the counselors, active first")
    rm = cc.add_parser("remove", help="make a counselor inactive (the audit keeps the name)")
    rm.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")

    k = sub.add_parser("counseling", help="counseling worksheets")
    kc = k.add_subparsers(dest="counseling_command", required=True)
    ex = kc.add_parser("export", help="write a session's worksheet as PDF and JSON")
    ex.add_argument("session", type=int, metavar="SESSION")
    ex.add_argument("--out", default=".", help="folder to write into (default: here)")

    a = sub.add_parser("audit", help="who of the counselors opened or acted on whose record")
    a.add_argument("--person", type=int, help="only this person's record")
    a.add_argument("--counselor", type=int, help="only this counselor (Telegram user id)")
    a.add_argument("--limit", type=int, default=200)


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    return asyncio.run(run_async(args, settings, out or sys.stdout))


async def run_async(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.app import configure_encryption
    from bot.storage.db import Database, make_engine, migrate

    configure_encryption(settings)
    engine = make_engine(settings.database_url)
    await migrate(engine)
    db = Database(engine)
    try:
        if args.command == "counselors":
            return await _counselors(db, args, out)
        if args.command == "counseling":
            return await _export(db, args, out)
        return await _audit(db, args, out)
    finally:
        await db.dispose()


async def _counselors(db: Any, args: argparse.Namespace, out: TextIO) -> int:
    from bot.counseling import store

    now = datetime.now(UTC)
    if args.counselors_command == "add":
        name = " ".join(args.name).strip()
        if not name or len(name) > 100:
            print("jkp-bot: NAME must be 1 to 100 characters", file=out)
            return 2
        async with db.write() as conn:
            c = await store.add_counselor(conn, args.telegram_user_id, name, now,
                                          title=args.title, office=args.office)  # fmt: skip
        print(f"counselor {c.name} (Telegram {c.telegram_user_id}) can act in the group", file=out)
        return 0
    if args.counselors_command == "remove":
        async with db.write() as conn:
            removed = await store.remove_counselor(conn, args.telegram_user_id, now)
        if not removed:
            print(f"jkp-bot: no active counselor with Telegram id {args.telegram_user_id}",
                  file=out)  # fmt: skip
            return 1
        print(f"counselor {args.telegram_user_id} removed (no longer acts)", file=out)
        return 0
    async with db.read() as conn:
        everyone = await store.counselors(conn, active_only=False)
    for c in sorted(everyone, key=lambda c: (not c.active, c.id)):
        state = "active" if c.active else "removed"
        print(f"{c.telegram_user_id:>14}  {state:<7}  {c.name}  {c.title}  {c.office}".rstrip(),
              file=out)  # fmt: skip
    print(f"{sum(c.active for c in everyone)} active counselor(s)", file=out)
    return 0


async def _export(db: Any, args: argparse.Namespace, out: TextIO) -> int:
    from bot.counseling import store
    from bot.counseling.worksheet import WorksheetError, build, write_pdf

    now = datetime.now(UTC)
    folder = Path(args.out)
    async with db.write() as conn:
        try:
            sheet = await build(conn, args.session, now)
        except WorksheetError as e:
            print(f"jkp-bot: {e}", file=out)
            return 1
        person_id = sheet["participant"]["person_id"]
        actor = f"operator:{getpass.getuser()}"
        await store.audit(
            conn, now, None, "export", person_id=person_id, session_id=args.session, actor=actor
        )
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    base = folder / f"kertas-kerja-konseling-{args.session}"
    pdf, js = base.with_suffix(".pdf"), base.with_suffix(".json")
    await asyncio.to_thread(write_pdf, sheet, pdf)
    payload = json.dumps(sheet, ensure_ascii=False, indent=2)
    await asyncio.to_thread(_write_private, js, payload)
    os.chmod(pdf, 0o600)
    print(f"written: {pdf}\nwritten: {js}\n(personal data: keep them safe, delete when done)",
          file=out)  # fmt: skip
    return 0


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


async def _audit(db: Any, args: argparse.Namespace, out: TextIO) -> int:
    from bot.counseling import store

    async with db.read() as conn:
        rows = await store.audit_rows(
            conn, person_id=args.person, telegram_user_id=args.counselor, limit=args.limit
        )
    for r in rows:
        who = f"{r.counselor} ({r.telegram_user_id})" if r.counselor else r.actor
        person = f"person {r.person_id}" if r.person_id is not None else "a deleted person"
        session = f" session {r.session_id}" if r.session_id is not None else ""
        detail = f"  {r.detail}" if r.detail else ""
        print(f"{r.at:%Y-%m-%d %H:%M} UTC  {who}  {r.action}  {person}{session}{detail}", file=out)
    print(f"{len(rows)} audit row(s)", file=out)
    return 0
