"""Hubungkan nomor HP end to end: the real engine and database (SQLite and PostgreSQL), the
code sent through the outbox, the SMS delivery and Twilio's API to the fake SMS gateway, and
typed back on Telegram."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.sms.delivery import SmsDelivery
from bot.channels.sms.text import is_gsm7, segment_count
from bot.channels.sms.twilio_gateway import TwilioGateway
from bot.link import store as links
from bot.link.model import CodeResult
from bot.link.tables import LinkCode, SmsUsage
from bot.settings import Settings, SmsSettings
from bot.storage.models import (
    ConsentEvent,
    Conversation,
    Identity,
    OutboxMessage,
    Person,
    ProfileEntry,
    table,
)
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.fake_sms_gateway import FakeSmsGateway
from scheduler.outbox import OutboxSender

PHONE = "+6281234567890"
TYPED = "0812-3456-7890"
MASKED = "+62 812-****-7890"


@dataclass
class Linking:
    app: App
    fake: FakeSmsGateway
    sms: OutboxSender  # the SMS channel's outbox sender, through Twilio's API to the fake

    def telegram(self, user: str = "111") -> ChatClient:
        return ChatClient(self.app.engine, channel="telegram", user=user)

    def phone(self, number: str = PHONE) -> ChatClient:
        """Someone writing by SMS from ``number`` (the identity the SMS channel makes)."""
        return ChatClient(self.app.engine, channel="sms", user=number)

    async def code(self, number: str = PHONE) -> str:
        """Send what the outbox holds for SMS; the code of the last SMS to ``number``."""
        await self.sms.drain()
        texts = self.fake.texts_to(number)
        assert texts, "no SMS was sent"
        found = re.search(r"\b(\d{6})\b", texts[-1])
        assert found, texts[-1]
        return found.group(1)

    async def count(self, model: type, **where: object) -> int:
        t = table(model)
        stmt = select(func.count()).select_from(t)
        for name, value in where.items():
            stmt = stmt.where(t.c[name] == value)
        async with self.app.db.read() as conn:
            return int(await conn.scalar(stmt) or 0)


def sms_settings(fake: FakeSmsGateway) -> SmsSettings:
    return SmsSettings(
        provider="twilio", twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token, sms_from=fake.number, api_base=fake.base_url,
    )  # fmt: skip


@pytest.fixture
async def linking(settings: Settings, clock: FrozenClock) -> AsyncIterator[Linking]:
    async with FakeSmsGateway() as fake:
        app = await build_app(replace(settings, sms=sms_settings(fake)), clock=clock)
        gateway = TwilioGateway(fake.account_sid, fake.auth_token, sms_from=fake.number,
                                api_base=fake.base_url)  # fmt: skip
        sender = OutboxSender(
            app.db, "sms", SmsDelivery(gateway, app.engine.domain), clock, per_second=0,
            chat_interval=0,
        )  # fmt: skip
        try:
            yield Linking(app, fake, sender)
        finally:
            await gateway.close()
            await app.close()


async def person_of(linking: Linking, channel: str, address: str) -> int | None:
    from bot.storage import people

    async with linking.app.db.read() as conn:
        snap = await people.snapshot(conn, channel, address)
    return snap.person.id if snap else None


async def test_a_code_by_sms_links_the_number_and_data_shows_it(linking: Linking) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    assert tg.said() == ["utter_ask_link_phone", "utter_footer"]
    await tg.send(TYPED)
    assert tg.said() == ["utter_link_code_sent", "utter_ask_link_code"]
    assert MASKED in tg.text() and "10 menit" in tg.text()
    code = await linking.code()
    (sms,) = linking.fake.texts_to(PHONE)
    assert is_gsm7(sms) and segment_count(sms) == 1 and "10 menit" in sms
    await tg.send("1234567")
    assert tg.said() == ["utter_invalid_link_code_format", "utter_ask_link_code"]
    await tg.send("kode " + code[:3] + " " + code[3:])  # words and spaces are forgiven
    assert tg.said() == ["utter_link_done", "utter_menu"]
    await tg.click("link:resend")  # a stale button of the finished dialog
    assert tg.said() == ["utter_invalid_stale_button", "utter_menu"]
    person = await person_of(linking, "telegram", "111")
    assert person is not None and await person_of(linking, "sms", PHONE) == person
    assert await linking.count(LinkCode, status="used") == 1
    await tg.click("menu:my_data")
    assert "utter_data_link_numbers" in tg.said()
    assert MASKED in tg.text() and PHONE not in tg.text()
    # the phone now writes as the same person: its first message is past consent already
    phone = linking.phone()
    await phone.send("menu")
    assert phone.said() == ["utter_menu"]


async def test_the_same_code_never_works_twice(linking: Linking) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    await tg.send(TYPED)
    code = await linking.code()
    await tg.send(code)
    assert tg.said() == ["utter_link_done", "utter_menu"]
    person = await person_of(linking, "telegram", "111")
    assert person is not None
    async with linking.app.db.read() as conn:
        again = await links.check(conn, person, code, linking.app.engine.clock())
    assert again.result is CodeResult.NONE
    await tg.click("menu:link")
    assert tg.said()[:2] == ["utter_link_current", "utter_ask_link_phone"]
    await tg.send(TYPED)
    assert tg.said() == ["utter_link_already_mine", "utter_menu"]
    assert await linking.count(Identity, channel="sms") == 1


async def test_wrong_codes_count_down_and_the_fifth_voids_the_code(linking: Linking) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    await tg.send(TYPED)
    code = await linking.code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        await tg.send(wrong)
        assert tg.said() == ["utter_invalid_link_code_wrong", "utter_ask_link_code"]
        assert f"Sisa percobaan: {left}." in tg.text()
    await tg.send(wrong)
    assert tg.said() == ["utter_link_code_void", "utter_ask_link_phone"]
    assert await linking.count(LinkCode, status="void") == 1
    person = await person_of(linking, "telegram", "111")
    assert person is not None
    async with linking.app.db.read() as conn:
        late = await links.check(conn, person, code, linking.app.engine.clock())
    assert late.result is CodeResult.VOID  # the right code, too late
    assert await linking.count(Identity, channel="sms") == 0
    await tg.send("12345")  # at the number step again: not a number
    assert tg.said()[0].startswith("utter_invalid_link_phone_")


async def test_a_code_expires(linking: Linking, clock: FrozenClock) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    await tg.send(TYPED)
    code = await linking.code()
    clock.advance(minutes=9, seconds=59)
    await tg.send("abc")
    assert tg.said() == ["utter_invalid_link_code_format", "utter_ask_link_code"]
    clock.advance(seconds=1)
    await tg.send(code)
    assert tg.said() == ["utter_link_code_expired", "utter_ask_link_phone"]
    assert await linking.count(Identity, channel="sms") == 0
    # a new code works, and only the new one
    await tg.send(TYPED)
    new = await linking.code()
    if new != code:
        await tg.send(code)
        assert tg.said()[0] == "utter_invalid_link_code_wrong"
    await tg.send(new)
    assert tg.said() == ["utter_link_done", "utter_menu"]


async def test_codes_are_rate_limited_per_person_and_per_number(
    linking: Linking, clock: FrozenClock
) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    for _ in range(3):
        await tg.send(TYPED)
        assert tg.said()[0] == "utter_link_code_sent"
        await tg.click("link:resend")
        assert tg.said() == ["utter_ask_link_phone"]
    await tg.send(TYPED)
    assert tg.said() == ["utter_link_too_many_codes", "utter_menu"]
    await linking.sms.drain()
    assert len(linking.fake.texts_to(PHONE)) == 3
    # another person asking for the same number is limited too (per number)
    other = await consented(linking.telegram("222"))
    await other.click("menu:link")
    await other.send(TYPED)
    assert other.said() == ["utter_link_too_many_codes", "utter_menu"]
    await other.send("menu")
    await other.click("menu:link")
    await other.send("0857 1111 2222")  # another number: fine for this person
    assert other.said()[0] == "utter_link_code_sent"
    clock.advance(hours=1)
    await tg.click("menu:link")
    await tg.send(TYPED)
    assert tg.said()[0] == "utter_link_code_sent"


async def test_a_number_not_a_mobile_gets_a_friendly_retry(linking: Linking) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    await tg.send("021 5551234")  # a Jakarta landline
    assert tg.said() == ["utter_invalid_link_phone_not_mobile", "utter_ask_link_phone"]
    await tg.send("nomor saya")
    assert tg.said()[0] == "utter_invalid_link_phone_format"
    await tg.send("0812")
    assert tg.said()[0] in ("utter_invalid_link_phone_invalid", "utter_invalid_link_phone_format")
    assert await linking.count(LinkCode) == 0
    await tg.click("/back")
    assert tg.said()[-1] == "utter_ask_link_phone"


async def test_the_numbers_own_person_is_merged_without_loss_or_duplicates(
    linking: Linking,
) -> None:
    # Someone who so far used SMS only, with a profile entry and consent history.
    phone = await consented(linking.phone())
    await phone.click("menu:profile")
    await phone.click("profile:skill")
    await phone.send("Mengemudi forklift")
    # A bystander whose data must stay as it is.
    other = await consented(linking.telegram("999"))
    await other.click("menu:profile")
    await other.click("profile:skill")
    await other.send("Menjahit")
    # The same person on Telegram, with their own entry.
    tg = await consented(linking.telegram())
    await tg.click("menu:profile")
    await tg.click("profile:skill")
    await tg.send("Microsoft Excel")
    sms_person = await person_of(linking, "sms", PHONE)
    tg_person = await person_of(linking, "telegram", "111")
    bystander = await person_of(linking, "telegram", "999")
    assert sms_person and tg_person and bystander and sms_person != tg_person
    entries_before = await linking.count(ProfileEntry)
    consents_before = await linking.count(ConsentEvent)
    bystander_before = await linking.count(ProfileEntry, person_id=bystander)

    await tg.send("menu")
    await tg.click("menu:link")
    await tg.send(TYPED)
    await tg.send(await linking.code())
    assert tg.said() == ["utter_link_done", "utter_menu"]

    assert await linking.count(Person) == 2  # the SMS person is gone, the bystander stays
    assert await person_of(linking, "sms", PHONE) == tg_person
    assert await linking.count(Identity, person_id=tg_person) == 2
    assert await linking.count(ProfileEntry) == entries_before  # nothing lost, no copies
    assert await linking.count(ProfileEntry, person_id=tg_person) == 2
    assert await linking.count(ProfileEntry, person_id=bystander) == bystander_before
    assert await linking.count(ConsentEvent) == consents_before
    assert await linking.count(Conversation, person_id=sms_person) == 0
    assert await linking.count(OutboxMessage, person_id=sms_person) == 0
    # One ledger, seen from both channels.
    await tg.click("menu:my_data")
    assert "Mengemudi forklift" in tg.text() and "Microsoft Excel" in tg.text()
    await phone.send("data")
    assert "Mengemudi forklift" in phone.text() and "Microsoft Excel" in phone.text()
    assert "Menjahit" not in phone.text()


async def test_a_number_of_someone_elses_telegram_is_not_taken_over(linking: Linking) -> None:
    owner = await consented(linking.telegram())
    await owner.click("menu:link")
    await owner.send(TYPED)
    await owner.send(await linking.code())
    assert owner.said() == ["utter_link_done", "utter_menu"]
    intruder = await consented(linking.telegram("666"))
    await intruder.click("menu:link")
    await intruder.send(TYPED)
    assert intruder.said() == ["utter_link_number_taken", "utter_menu"]
    await linking.sms.drain()
    assert len(linking.fake.texts_to(PHONE)) == 1  # no code went to the owner's phone
    assert await person_of(linking, "sms", PHONE) == await person_of(linking, "telegram", "111")


async def test_hapus_deletes_codes_numbers_and_spending(linking: Linking) -> None:
    tg = await consented(linking.telegram())
    await tg.click("menu:link")
    await tg.send(TYPED)
    await tg.send(await linking.code())
    await tg.click("menu:link")
    await tg.send("0857 1111 2222")  # a second code, waiting
    await tg.click("menu:my_data")
    assert "utter_data_link_pending" in tg.said()
    assert await linking.count(LinkCode) == 2 and await linking.count(SmsUsage) == 1
    await tg.send("hapus")
    await tg.click("delete:yes")
    assert tg.said() == ["utter_data_deleted"]
    assert await linking.count(LinkCode) == 0
    assert await linking.count(SmsUsage) == 0
    assert await linking.count(Identity) == 0
    assert await linking.count(Person) == 0


async def test_without_sms_or_from_sms_the_dialog_says_what_to_do(
    linking: Linking, sqlite_app: App
) -> None:
    off = await consented(ChatClient(sqlite_app.engine, channel="telegram", user="1"))
    await off.click("menu:link")
    assert off.said() == ["utter_link_unavailable", "utter_menu"]
    phone = await consented(linking.phone())
    await phone.click("menu:link")
    assert phone.said() == ["utter_link_from_phone", "utter_menu"]


TRANSCRIPT = Path(__file__).parent / "transcripts" / "link_number.yml"


@pytest.mark.parametrize("channel", ["console", "telegram"])
async def test_link_transcript(
    linking: Linking, channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The golden journey, on the console (numbered options) and Telegram (buttons)."""
    spec = importlib.util.spec_from_file_location(
        "golden_transcripts", Path(__file__).parents[1] / "test_transcripts.py"
    )
    assert spec is not None and spec.loader is not None
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)  # the replay every golden transcript uses
    monkeypatch.setattr(links.secrets, "randbelow", lambda _: 123456)
    script = yaml.safe_load(TRANSCRIPT.read_text(encoding="utf-8"))
    client = ChatClient(linking.app.engine, channel=channel, user="4242")
    await golden.replay(client, script["steps"])
    await linking.sms.drain()
    assert linking.fake.texts_to(PHONE) == [
        "Kode Pendamping JKP: 123456. Berlaku 10 menit. Jangan berikan kode ini kepada siapa pun."
    ]
