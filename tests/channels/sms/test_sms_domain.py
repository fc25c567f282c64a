"""Every response of domain.yml as an SMS user gets it: GSM-7 only, and how many segments.

The report of segments per response is printed by this module's last test (``pytest -rP
tests/channels/sms/test_sms_domain.py``) and by ``python -m bot.channels.sms.report``.
"""

from __future__ import annotations

import pytest

from bot.channels.sms.report import (
    format_table,
    missing_samples,
    placeholders,
    render_sms,
    response_sizes,
    sample_values,
)
from bot.channels.sms.text import Encoding, segment_count
from bot.core.domain import NAV_KEY, Domain, load_default_domain
from bot.core.plaintext import FOOTER_KEY
from bot.settings import SmsSettings

# Responses longer than the per-turn segment budget, each with its reason. Over SMS such a
# response is cut into pages at line and sentence ends (bot/core/paging.py), each within the
# budget; the person replies LAGI for the next.
OVER_BUDGET = {
    # UU 27/2022 Pasal 20-22: purpose, data, retention and rights must all be told before
    # consent. The first screen carries a short summary (utter_privacy_notice, within the
    # budget); the full notice, one button away ("Baca selengkapnya"), stays complete.
    "utter_privacy_notice_full",
}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_default_domain()


def test_every_placeholder_has_a_realistic_sample(domain: Domain) -> None:
    assert missing_samples(domain) == {}, "add the names to bot/channels/sms/report.py"


def test_samples_are_realistic_not_dummies(domain: Domain) -> None:
    samples = sample_values()
    assert all(v and v != "X" for v in samples.values())
    rendered = render_sms(
        domain, "utter_cond_reason_fail", {"reason": samples["reason"], "clause": samples["clause"]}
    )
    title = domain.choice_title("reason:resign")
    assert title and f'"{title}"' in rendered  # the words of the button, not the payload
    assert "{" not in rendered and "choice:" not in rendered


def test_every_plain_response_is_gsm7(domain: Domain) -> None:
    sizes = response_sizes(domain)
    assert {s.key for s in sizes} == set(domain.responses) - {NAV_KEY}
    assert {s.key: s.offending for s in sizes if s.length.encoding is Encoding.UCS2} == {}
    assert all("{" not in s.text and "choice:" not in s.text for s in sizes)


def test_questions_carry_numbers_and_no_footer(domain: Domain) -> None:
    """The footer is said once, when a dialog opens (Router.open_dialog), not under every
    question: a question alone is its text and its numbered options."""
    footer = str(domain.variation(FOOTER_KEY, "sms")["text"])
    by_key = {s.key: s for s in response_sizes(domain)}
    asked = [k for k in by_key if k.startswith("utter_ask_") and placeholders(domain, k) == set()]
    assert asked
    assert not [k for k in asked if footer in by_key[k].text]
    assert "\n1. " in by_key["utter_ask_laid_off"].text  # options as numbered lines


def test_responses_fit_the_segment_budget(domain: Domain) -> None:
    budget = SmsSettings().segment_budget
    over = {s.key: s.length.segments for s in response_sizes(domain) if s.length.segments > budget}
    assert set(over) == OVER_BUDGET, over


def test_the_check_catches_a_curly_quote(domain: Domain) -> None:
    data = dict(domain.data)
    responses = dict(domain.responses)
    responses["utter_help"] = [{"text": "Ketik “MENU” untuk kembali."}]
    broken = Domain({**data, "responses": responses})
    bad = {s.key: s.offending for s in response_sizes(broken) if s.offending}
    assert bad == {"utter_help": "“”"}
    assert segment_count(render_sms(broken, "utter_help", {})) == 1


def test_segment_report(domain: Domain) -> None:
    sizes = response_sizes(domain)
    table = format_table(sizes)
    print(table)
    assert table.count("\n| utter_") == len(sizes)
    assert f"{len(sizes)} responses rendered for SMS" in table
