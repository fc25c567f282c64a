"""Answers given by key: the questions people ask about JKP (issue 14).

Each question is a Rasa retrieval intent ``benefit_info/<topic>`` in nlu/faq.yml, answered
by the response ``utter_benefit_info/<topic>`` in domain.yml (Rasa's naming for retrieval
intents), which cites its rule. The figures that are settings (rate, cap, months, claim
window...) are parameters, filled by :func:`faq_params`, so an answer never contradicts the
eligibility check or the estimate.
"""

from __future__ import annotations

from bot.rules.config import RuleSettings
from bot.rules.parsing import format_rupiah

FAQ_RESPONSES: dict[str, str] = {
    "benefit_info/what_is_jkp": "utter_benefit_info/what_is_jkp",
    "benefit_info/requirements": "utter_benefit_info/requirements",
    "benefit_info/duration": "utter_benefit_info/duration",
    "benefit_info/amount": "utter_benefit_info/amount",
    "benefit_info/deadline": "utter_benefit_info/deadline",
    "benefit_info/resign": "utter_benefit_info/resign",
    "benefit_info/contract_end": "utter_benefit_info/contract_end",
    "benefit_info/phi": "utter_benefit_info/phi",
    "benefit_info/documents": "utter_benefit_info/documents",
    "benefit_info/proof_letter": "utter_benefit_info/proof_letter",
    "benefit_info/where_claim": "utter_benefit_info/where_claim",
    "benefit_info/payment_time": "utter_benefit_info/payment_time",
    "benefit_info/monthly_requirement": "utter_benefit_info/monthly_requirement",
    "benefit_info/report_job": "utter_benefit_info/report_job",
    "benefit_info/siapkerja": "utter_benefit_info/siapkerja",
    "benefit_info/karirhub": "utter_benefit_info/karirhub",
    "benefit_info/counselor": "utter_benefit_info/counselor",
    "benefit_info/privacy": "utter_benefit_info/privacy",
    "benefit_info/contributions": "utter_benefit_info/contributions",
    "benefit_info/age": "utter_benefit_info/age",
    "benefit_info/citizen": "utter_benefit_info/citizen",
    "benefit_info/membership": "utter_benefit_info/membership",
    "benefit_info/arrears": "utter_benefit_info/arrears",
    "benefit_info/contribution_cost": "utter_benefit_info/contribution_cost",
    "benefit_info/lose_right": "utter_benefit_info/lose_right",
    "benefit_info/assessment_info": "utter_benefit_info/assessment_info",
    "benefit_info/training": "utter_benefit_info/training",
    "benefit_info/about_bot": "utter_benefit_info/about_bot",
    "benefit_info/transition": "utter_benefit_info/transition",
}
# A kind answer to what the assistant does not do, with what it does.
OUT_OF_SCOPE_RESPONSE = "utter_out_of_scope"


def faq_response(faq: str) -> str | None:
    """The response answering a FAQ question (``benefit_info/duration``), if there is one."""
    return FAQ_RESPONSES.get(faq)


def faq_params(rules: RuleSettings, retention_days: int) -> dict[str, str]:
    """Every figure a FAQ answer may quote, from the settings."""
    rate = rules.benefit_rate * 100
    return {
        "rate": f"{rate.normalize():f}".replace(".", ",") + "%",
        "cap": format_rupiah(rules.wage_cap),
        "max_monthly": format_rupiah(int(rules.wage_cap * rules.benefit_rate)),
        "months": str(rules.benefit_months),
        "window": str(rules.claim_window_months),
        "min_contributions": str(rules.min_contribution_months),
        "period": str(rules.contribution_period_months),
        "consecutive": str(rules.min_consecutive_months),
        "age": str(rules.max_registration_age),
        "retention_days": str(retention_days),
    }
