"""The FAQ answers (issue 14): one domain.yml response per question of nlu/faq.yml, each
citing its rule, with the figures that are settings filled from the settings."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.core.domain import Domain
from bot.core.types import OutboundMessage, Say
from bot.knowledge.faq import FAQ_RESPONSES, OUT_OF_SCOPE_RESPONSE, faq_params, faq_response
from bot.rules.config import RuleSettings
from nlu.data import load_training

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ("telegram", "console", "sms")


@pytest.fixture(scope="module")
def domain() -> Domain:
    with (ROOT / "domain.yml").open(encoding="utf-8") as f:
        return Domain(yaml.safe_load(f))


def test_every_question_has_its_answer(domain: Domain) -> None:
    questions = {e.label for e in load_training()[0].examples if e.label != e.intent}
    assert set(FAQ_RESPONSES) == questions
    for question, key in FAQ_RESPONSES.items():
        assert key == f"utter_{question}"  # Rasa's name for a retrieval intent's answer
        assert faq_response(question) == key and domain.has(key)
    assert faq_response("benefit_info/nothing") is None
    assert domain.has(OUT_OF_SCOPE_RESPONSE)


@pytest.mark.parametrize("key", sorted(FAQ_RESPONSES.values()))
@pytest.mark.parametrize("channel", CHANNELS)
def test_answers_are_short_filled_and_cite_their_rule(
    domain: Domain, key: str, channel: str
) -> None:
    params = faq_params(RuleSettings(), retention_days=365)
    rendered = domain.render(OutboundMessage((Say(key, params),)), channel)
    assert not re.search(r"\{[^{}]*\}", rendered.text), rendered.text
    assert len(rendered.text) <= 500  # a phone screen
    if key != "utter_benefit_info/about_bot":  # the one answer about the assistant itself
        assert re.search(r"\nDasar: .*(Pedoman|PP|Permenaker|UU) ", rendered.text), rendered.text


def test_figures_come_from_the_settings(domain: Domain) -> None:
    rules = RuleSettings(
        benefit_rate=Decimal("0.5"), wage_cap=6_000_000, benefit_months=5, claim_window_months=3
    )
    params = faq_params(rules, retention_days=90)
    assert (params["rate"], params["cap"], params["max_monthly"]) == ("50%", "Rp6.000.000",
                                                                    "Rp3.000.000")  # fmt: skip
    amount = domain.render(OutboundMessage((Say("utter_benefit_info/amount", params),)), "sms")
    assert "50% dari upah" in amount.text and "Rp6.000.000" in amount.text
    assert "paling lama 5 bulan" in amount.text
    deadline = domain.render(OutboundMessage((Say("utter_benefit_info/deadline", params),)), "sms")
    assert "paling lambat 3 bulan" in deadline.text
    privacy = domain.render(OutboundMessage((Say("utter_benefit_info/privacy", params),)), "sms")
    assert "90 hari" in privacy.text


def test_default_figures() -> None:
    params = faq_params(RuleSettings(), retention_days=365)
    assert params == {
        "rate": "60%", "cap": "Rp5.000.000", "max_monthly": "Rp3.000.000", "months": "6",
        "window": "6", "min_contributions": "12", "period": "24", "consecutive": "6",
        "age": "54", "retention_days": "365",
    }  # fmt: skip
