"""`jkp-bot evidence review`: the operator's side of :class:`~bot.evidence.review.EvidenceReview`
in a terminal (the logic is there; this only reads arguments and prints)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.evidence.review import EvidenceReview, ReviewError
from bot.records.evidence import EvidenceDetail, QueueEntry


def _entry(e: QueueEntry) -> str:
    flag = "  NEAR-DUPLICATE of another person's photo" if e.near_duplicate else ""
    return (
        f"#{e.id:<6} {e.kind.value:<11} act {e.act_on.isoformat()}  {e.files} photo(s)  "
        f"person {e.person_id}  sent {e.created_at:%Y-%m-%d %H:%M} UTC{flag}"
    )


def _detail(d: EvidenceDetail) -> list[str]:
    lines = [
        f"evidence #{d.id} of person {d.person_id} (sent on {d.channel}, "
        f"{d.created_at:%Y-%m-%d %H:%M} UTC)",
        f"  kind:     {d.kind.value}",
        f"  company:  {d.company}",
        f"  act date: {d.act_on.isoformat()}",
        f"  status:   {d.status.value}"
        + (f" by {d.reviewer} on {d.reviewed_at:%Y-%m-%d %H:%M} UTC" if d.reviewed_at else ""),
    ]
    if d.reason:
        lines.append(f"  reason:   {d.reason}")
    for n, f in enumerate(d.files, 1):
        line = f"  photo {n}: {f.mime} {f.width}x{f.height}, {f.size} bytes"
        if f.near_distance is not None and f.near_file_id is None:
            line += f"; NEAR-DUPLICATE (distance {f.near_distance}) of a photo since deleted"
        elif f.near_distance is not None:
            where = f"evidence #{f.near_evidence_id}" if f.near_evidence_id else "an unsent piece"
            line += (
                f"; NEAR-DUPLICATE (distance {f.near_distance}) of a photo of person "
                f"{f.near_person_id} ({where})"
            )
        lines.append(line)
    return lines


async def run_review(app: App, args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    review = EvidenceReview(app)
    reviewer = args.reviewer or getpass.getuser()
    try:
        if args.action == "list":
            pending = await review.pending(args.limit)
            for entry in pending:
                print(_entry(entry), file=out)
            print(f"{len(pending)} piece(s) waiting for review", file=out)
            return 0
        if args.id is None:
            print(f"jkp-bot: evidence review {args.action} needs the evidence number", file=out)
            return 2
        if args.action == "show":
            detail = await review.show(args.id)
            print("\n".join(_detail(detail)), file=out)
            if args.export:
                for path in await review.export(detail, Path(args.export)):
                    print(f"  written: {path}", file=out)
                print("  (decrypted copies: delete them when done)", file=out)
            return 0
        if args.action == "accept":
            decision = await review.accept(args.id, reviewer, notify=not args.quiet)
        else:
            decision = await review.reject(args.id, args.reason, reviewer)
    except ReviewError as e:
        print(f"jkp-bot: {e}", file=out)
        return 2
    if not decision.changed:
        print(f"evidence #{decision.evidence_id} was already {decision.status.value}", file=out)
    else:
        told = "told" if decision.notified else "not told"
        print(f"evidence #{decision.evidence_id} {decision.status.value}; the person was {told}",
              file=out)  # fmt: skip
    return 0
