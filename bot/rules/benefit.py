"""Estimate of the JKP cash benefit (PP 37/2021 Pasal 21 as amended by PP 6/2025).

60% of the last wage the employer reported, the wage capped at Rp5,000,000, each month for
up to 6 months (FACTS.md §1; all three figures are settings). An estimate, not a promise:
BPJS Ketenagakerjaan pays from the wage it has on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.rules.config import RuleSettings


@dataclass(frozen=True)
class BenefitEstimate:
    wage_basis: int
    capped: bool
    monthly: int
    months: int
    total: int


def estimate_benefit(last_wage: int, rules: RuleSettings) -> BenefitEstimate:
    """Monthly and total cash benefit for a reported wage, in whole rupiah."""
    basis = min(last_wage, rules.wage_cap)
    monthly = int((Decimal(basis) * rules.benefit_rate).quantize(Decimal(1), ROUND_HALF_UP))
    return BenefitEstimate(
        wage_basis=basis,
        capped=last_wage > rules.wage_cap,
        monthly=monthly,
        months=rules.benefit_months,
        total=monthly * rules.benefit_months,
    )
