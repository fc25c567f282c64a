"""`jkp-bot applications status|import-status`: the operator's side of
:class:`~bot.vacancies.status.ApplicationStatuses` (this only reads arguments and prints)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the app and its records load when the command runs, not on import
    from bot.app import App
    from bot.vacancies.status import StatusChange


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("applications", help="applications made through the chat")
    commands = parser.add_subparsers(dest="applications_command", required=True)
    one = commands.add_parser(
        "status", help="set an application's status and tell the person (through the outbox)"
    )
    one.add_argument("vacancy", metavar="SOURCE:SOURCE_ID")
    one.add_argument("person", metavar="PERSON", help="the person's number (as in DATA/audit)")
    one.add_argument(
        "status", metavar="STATUS", help="sent|seen|invited|rejected|accepted (or terkirim, "
        "dilihat, diundang, ditolak, diterima)",
    )  # fmt: skip
    many = commands.add_parser(
        "import-status", help="set statuses from a CSV file: source,source_id,person,status"
    )
    many.add_argument("file", metavar="FILE.csv")


def _said(change: StatusChange) -> str:
    which = f"application #{change.application_id} of person {change.person_id}"
    if change.changed and change.notified:
        return f"{which} is now {change.status}; the person was told"
    if change.changed:
        return (f"{which} is now {change.status}; the person was not told (they said STOP, "
                "or no chat reaches them)")  # fmt: skip
    if change.notified:
        return f"{which} already {change.status}; the person was told now (not before)"
    return f"{which} already {change.status}; nothing new to tell"


async def run_applications(app: App, args: argparse.Namespace, out: TextIO | None = None) -> int:
    from bot.vacancies.status import (
        ApplicationStatuses,
        StatusError,
        parse_person,
        parse_vacancy,
    )

    out = out or sys.stdout
    statuses = ApplicationStatuses(app)
    try:
        if args.applications_command == "status":
            source, source_id = parse_vacancy(args.vacancy)
            change = await statuses.change(source, source_id, parse_person(args.person),
                                           args.status)  # fmt: skip
            print(_said(change), file=out)
            return 0
        report = await statuses.import_file(Path(args.file))
    except StatusError as e:
        print(f"jkp-bot: {e}", file=out)
        return 2
    for error in report.errors:
        print(f"line {error.line}: {error.message}", file=out)
    print(
        f"jkp-bot: {len(report.changes)} row(s) applied ({report.changed} changed, "
        f"{report.notified} person(s) told), {len(report.errors)} rejected",
        file=out,
    )
    return 1 if report.errors else 0
