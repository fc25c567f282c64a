"""Figures of the regulation that are settings, not constants (FACTS.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
