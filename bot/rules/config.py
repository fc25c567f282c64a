"""Figures of the regulation that are settings, not constants (FACTS.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

LedgerCount = Literal["companies", "applications"]


@dataclass(frozen=True)
class RuleSettings:
    """Regulatory figures; each default cites its source."""

    # PP 37/2021 Pasal 40 as amended by PP 6/2025: claim within 6 months of the PHK.
    claim_window_months: int = 6
    # Pedoman 2.1 angka 4; PP 37/2021 Pasal 20: 12 months paid within 24 months ...
    min_contribution_months: int = 12
    contribution_period_months: int = 24
    # ... including 6 consecutive months right before the PHK.
    min_consecutive_months: int = 6
    # PP 6/2025 Pasal 4: under 54 years old when registered as a member.
    max_registration_age: int = 54
    # PP 37/2021 Pasal 21 as amended by PP 6/2025: 60% of the wage for up to 6 months,
    # the wage capped at Rp5,000,000 (FACTS.md §1, secondary sources: a setting).
    benefit_rate: Decimal = Decimal("0.60")
    wage_cap: int = 5_000_000
    benefit_months: int = 6

    # Monthly job-search requirement (Pedoman 2.2 angka 5 and 3.7; bot/rules/ledger.py).
    # "5 (lima) perusahaan yang berbeda" per application route ...
    ledger_min_companies: int = 5
    # ... or at least 1 invitation to a selection test or interview.
    ledger_min_invitations: int = 1
    # "companies": distinct companies (Pedoman 3.7, the default); "applications": each
    # application counts (Permenaker 2/2025 Pasal 13, "paling sedikit 5 lamaran").
    ledger_count: LedgerCount = "companies"
    # Whether catalogue applications and uploaded proofs add up to one count of companies
    # (Pedoman 2.2 angka 5 "dan/atau") instead of being two separate routes (Pedoman 3.7
    # angka 1-2, "atau"; the default).
    ledger_cross_route: bool = False
    # Whether evidence still waiting for review counts toward the requirement.
    ledger_count_pending: bool = True
    # Mission points (Pedoman 3.7: points grow with each application in Karirhub). The
    # amounts are not public (FACTS.md §5 [U]): our own, per item, in one month.
    mission_points_catalogue: int = 10
    mission_points_outside: int = 10
    mission_points_invitation: int = 20

    # Working days (bot/rules/workdays.py). Whether cuti bersama stop the clock; False gives
    # the earlier, safer deadline (FACTS.md §2).
    cuti_bersama_non_working: bool = False
    # Pedoman 3.7: report a new job within 7 working days of being hired.
    placement_report_working_days: int = 7
    # Reminders before the deadline, in working days before it (0: the deadline day).
    placement_reminder_working_days: tuple[int, ...] = (5, 3, 1, 0)
