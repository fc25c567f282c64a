"""The monthly dialog alone (pure): what each message says from the records it asks for,
and that every path records the notice, said or not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.types import Context, PersonFacts, SystemEvent
from bot.dialogs.monthly import EVENT, MonthlyDialog
from bot.records.evidence_model import EvidenceItem, EvidenceQuery
from bot.records.model import ApplicationRecord, ApplicationsQuery
from bot.records.monthly import NUDGE, START, WARN, RecordMonthlyNotice
from bot.rules.config import RuleSettings
from bot.rules.ledger import EvidenceKind, Review

BENEFIT_START = date(2026, 1, 1)
WIB = ZoneInfo("Asia/Jakarta")


def application(n: int, on: date) -> ApplicationRecord:
    at = datetime(on.year, on.month, on.day, 3, tzinfo=UTC)
    return ApplicationRecord(n, "test", str(n), "Operator", f"PT Maju {n}", "", at, on, "sent", at)


def ctx(today: date, apps: int = 0, *, start: date | None = BENEFIT_START) -> Context:
    on = date(today.year, today.month, 1)
    answers = {
        ApplicationsQuery(since=start): tuple(application(i, on) for i in range(apps)),
        EvidenceQuery(): (
            EvidenceItem(1, EvidenceKind.APPLICATION, "CV Lain", on, Review.REJECTED, "buram",
                         1, datetime(2026, 1, 1, tzinfo=UTC)),
        ),
    }  # fmt: skip
    now = datetime(today.year, today.month, today.day, 10, tzinfo=WIB)
    return Context(now, answers=answers, person=PersonFacts(1, "granted", benefit_start=start))


def system(kind: str, month: int) -> SystemEvent:
    return SystemEvent(1, EVENT[kind], {"month": month})


def keys(turn_messages: tuple[object, ...]) -> list[str]:
    return [p.key for m in turn_messages for p in m.parts]  # type: ignore[attr-defined]


def test_the_start_of_a_month_says_the_month_before_and_this_one() -> None:
    turn = MonthlyDialog(RuleSettings()).system(ctx(date(2026, 2, 1), apps=0), {}, system(START, 2))
    assert keys(turn.messages)[:1] == ["utter_monthly_before_not_met"]
    assert "utter_monthly_start" in keys(turn.messages)
    assert keys(turn.messages)[-1] == "utter_monthly_open"
    assert turn.effects == (RecordMonthlyNotice(2, START),)
    first = MonthlyDialog(RuleSettings()).system(ctx(date(2026, 1, 1)), {}, system(START, 1))
    assert keys(first.messages)[0] == "utter_monthly_start"  # no month before the first


def test_nudge_counts_and_says_nothing_once_met() -> None:
    dialog = MonthlyDialog(RuleSettings())
    behind = dialog.system(ctx(date(2026, 2, 15), apps=2), {}, system(NUDGE, 2))
    (message,) = behind.messages
    line = next(p for p in message.parts if p.key == "utter_ev_route_catalogue_companies")
    assert line.params == {"done": "2", "required": "5"}
    met = dialog.system(ctx(date(2026, 2, 26), apps=5), {}, system(WARN, 2))
    assert met.messages == ()
    assert met.effects == (RecordMonthlyNotice(2, WARN),)  # recorded all the same


def test_a_stale_event_says_nothing() -> None:
    dialog = MonthlyDialog(RuleSettings())
    no_start = dialog.system(ctx(date(2026, 2, 15), start=None), {}, system(NUDGE, 2))
    over = dialog.system(ctx(date(2026, 3, 2)), {}, system(WARN, 2))  # month 2 ended
    beyond = dialog.system(ctx(date(2026, 2, 15)), {}, system(NUDGE, 9))
    for turn in (no_start, over, beyond):
        assert turn.messages == ()
        assert len(turn.effects) == 1
