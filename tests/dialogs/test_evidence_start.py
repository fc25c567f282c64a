"""Syarat bulanan, the benefit start: never before the PHK date of the person's eligibility
check (the benefit follows the PHK); without a check, any date in range is asked back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.types import Context, Input
from bot.dialogs.evidence import START, START_OK, EvidenceDialog
from bot.records.model import EligibilityQuery, EligibilityRecord
from bot.rules.config import RuleSettings

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
DIALOG = EvidenceDialog(RuleSettings())
CHECKED = EligibilityRecord("eligible", {"phk_date": "2026-08-17"}, date(2027, 2, 17), NOW)


def typed(record: EligibilityRecord | None, text: str) -> tuple[str, list[str]]:
    ctx = Context(NOW, answers={EligibilityQuery(): record}, channel="console")
    turn = DIALOG.handle(ctx, {"step": START}, Input(text=text))
    return turn.data["step"], [p.key for m in turn.messages for p in m.parts]


def test_a_start_before_the_phk_is_refused() -> None:
    step, keys = typed(CHECKED, "1 januari 2026")
    assert step == START and keys[0] == "utter_invalid_ev_start_before_phk"


def test_a_start_after_the_phk_or_without_a_check_is_asked_back() -> None:
    assert typed(CHECKED, "1 september 2026")[0] == START_OK
    assert typed(CHECKED, "17 agustus 2026")[0] == START_OK  # the PHK day itself
    assert typed(None, "1 januari 2026")[0] == START_OK
