"""The SMS delivery function: rendered plain, split into numbered one-segment parts, sent in
order through a real gateway to the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.channels.sms.delivery import SmsDelivery
from bot.channels.sms.gateway import SmsChannel
from bot.channels.sms.text import is_gsm7, segment_count
from bot.channels.sms.twilio_gateway import TwilioGateway
from bot.core.domain import Domain, load_default_domain
from bot.core.plaintext import FOOTER_KEY
from bot.core.types import OutboundMessage, Say, combine, say
from bot.testing.fake_sms_gateway import FakeSmsGateway
from scheduler.outbox import Unreachable

BUDI = "+6281234567890"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSmsGateway]:
    async with FakeSmsGateway() as server:
        yield server


@pytest_asyncio.fixture
async def twilio(fake: FakeSmsGateway) -> AsyncIterator[TwilioGateway]:
    gateway = TwilioGateway(
        fake.account_sid,
        fake.auth_token,
        sms_from=fake.number,
        whatsapp_from=fake.whatsapp_number,
        api_base=fake.base_url,
    )
    yield gateway
    await gateway.close()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_default_domain()


async def test_a_question_goes_as_numbered_options_with_the_plain_footer(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    """The footer comes when a dialog opens (the router adds it), after the options."""
    deliver = SmsDelivery(twilio, domain, segments_per_part=3)
    await deliver(BUDI, combine(Say("utter_ask_laid_off"), Say(FOOTER_KEY)))
    (text,) = fake.texts_to(BUDI, SmsChannel.SMS)
    assert "\n1. " in text and "\n2. " in text
    assert text.endswith(str(domain.variation(FOOTER_KEY, "sms")["text"]))


async def test_a_long_message_goes_as_numbered_single_segment_parts_in_order(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    message = OutboundMessage(
        (Say("utter_privacy_notice_full", {"retention_days": "365"}), Say("utter_consent_question"))
    )
    deliver = SmsDelivery(twilio, domain)
    expected = deliver.parts(message)
    assert len(expected) > 3
    await deliver(BUDI, message)
    sent = fake.texts_to(BUDI)
    assert sent == expected
    assert [t[: len(f"({i}/{len(sent)})")] for i, t in enumerate(sent, 1)] == [
        f"({i}/{len(sent)})" for i in range(1, len(sent) + 1)
    ]
    assert all(segment_count(t) == 1 for t in sent)
    assert "1. Setuju" in sent[-1]


async def test_whatsapp_is_not_cut_into_sms_segments(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    deliver = SmsDelivery(twilio, domain, SmsChannel.WHATSAPP)
    await deliver(BUDI, say("utter_privacy_notice_full", retention_days="365"))
    (text,) = fake.texts_to(BUDI, SmsChannel.WHATSAPP)
    assert segment_count(text) > 1 and not text.startswith("(1/")


async def test_the_address_is_resolved_to_the_number(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    numbers = {"person-7": BUDI}

    async def resolve(address: str) -> str:
        return numbers[address]

    await SmsDelivery(twilio, domain, resolve=resolve)("person-7", say("utter_help"))
    assert len(fake.texts_to(BUDI)) >= 1


async def test_errors_reach_the_sender(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    fake.unsubscribe(BUDI)
    with pytest.raises(Unreachable):
        await SmsDelivery(twilio, domain)(BUDI, say("utter_help"))


async def test_look_alikes_in_data_do_not_turn_an_sms_into_ucs2(
    fake: FakeSmsGateway, twilio: TwilioGateway, domain: Domain
) -> None:
    message = say("utter_keep_current", current="Jum’at – “libur”")
    await SmsDelivery(twilio, domain)(BUDI, message)
    await SmsDelivery(twilio, domain, SmsChannel.WHATSAPP)(BUDI, message)
    (sms,) = fake.texts_to(BUDI, SmsChannel.SMS)
    (whatsapp,) = fake.texts_to(BUDI, SmsChannel.WHATSAPP)
    assert 'Jum\'at - "libur"' in sms and is_gsm7(sms)
    assert "Jum’at – “libur”" in whatsapp  # WhatsApp has no alphabet to fit
