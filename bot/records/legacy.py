"""Conversation state versions, read forward (pure).

- **v1** (until November 2026): saved results lived inside the dialogs' data — the finished
  eligibility check (``answers`` + ``verdict`` at step ``result``), assessment ``results``,
  the job-seeker ``registration`` and the profile ``sections``.
- **v2**: the conversation keeps only what is in progress; saved results are records.

:func:`upgrade_state` turns any stored shape into v2 and returns the effects that save what
it took out. Migration 0002 uses it to move every stored blob; the engine uses it for a v1
blob it still meets (e.g. one written by an old process during a rolling upgrade). Keep it
able to read every older version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.core.types import Effect
from bot.records.model import (
    AssessmentRecord,
    RegistrationRecord,
    SaveAssessment,
    SaveEligibility,
    SaveProfileSection,
    SaveRegistration,
)
from bot.rules.config import RuleSettings
from bot.rules.eligibility import claim_deadline

STATE_VERSION = 2


def upgrade_state(
    stored: Mapping[str, Any] | None, rules: RuleSettings | None = None
) -> tuple[dict[str, Any] | None, list[Effect]]:
    """(the state in the newest shape, the effects that keep what older shapes held)."""
    if not stored:
        return None, []
    version = int(stored.get("v") or 1)
    if version >= STATE_VERSION:
        return dict(stored), []
    dialogs = {k: dict(v) for k, v in (stored.get("dialogs") or {}).items()}
    effects: list[Effect] = []
    if "eligibility" in dialogs:
        dialogs["eligibility"], moved = _eligibility(
            dialogs["eligibility"], rules or RuleSettings()
        )
        effects += moved
    if "assessment" in dialogs:
        data = dialogs["assessment"]
        for result in data.pop("results", None) or []:
            effects.append(SaveAssessment(AssessmentRecord.from_data(result)))
        if data.get("step") == "result":
            data.clear()
    if "jobseeker" in dialogs:
        data = dialogs["jobseeker"]
        if registration := data.pop("registration", None):
            effects.append(SaveRegistration(RegistrationRecord.from_data(registration)))
        if data.get("step") == "saved":
            data.clear()
    if "profile" in dialogs:
        data = dialogs["profile"]
        for section, value in (data.pop("sections", None) or {}).items():
            entries = (value,) if isinstance(value, dict) else tuple(value)
            effects.append(SaveProfileSection(section, tuple(dict(e) for e in entries if e)))
        if data.get("step", "home") == "home":
            data.clear()
    kept = {name: data for name, data in dialogs.items() if data}
    upgraded = {
        "v": STATE_VERSION,
        "active": stored.get("active"),
        "dialogs": kept,
        "pending": [list(p) for p in stored.get("pending") or []],
    }
    return upgraded, effects


def _eligibility(data: dict[str, Any], rules: RuleSettings) -> tuple[dict[str, Any], list[Effect]]:
    if data.get("step") != "result" or not data.get("verdict"):
        return data, []
    answers = dict(data.get("answers") or {})
    phk = answers.get("phk_date")
    deadline = None
    if isinstance(phk, str) and phk != "unknown":
        deadline = claim_deadline(date.fromisoformat(phk), rules)
    return {}, [SaveEligibility(str(data["verdict"]), answers, deadline)]
