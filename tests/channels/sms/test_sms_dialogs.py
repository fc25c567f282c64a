"""Every dialog over SMS and WhatsApp, end to end: a webhook signed as the provider signs it,
the engine, the outbox and its sender, the fake gateway's REST API (bot/testing/sms_client.py).

The golden transcripts replay over both channels in tests/test_transcripts.py; here: what
only text messages have (keywords typed on a keypad, 0, redeliveries, signatures, photos that
SMS cannot carry, WhatsApp photos, WhatsApp's 24-hour window) and the dialogs no transcript
walks (counseling, PETUGAS, HAPUS), each exchange within the segment budget, a longer reply
paged ("Balas LAGI").
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.app import App
from bot.channels.sms.delivery import template_text
from bot.channels.sms.gateway import InboundSms, SmsChannel
from bot.channels.sms.web import add_sms_webhook
from bot.core.paging import MORE_KEY
from bot.core.types import say
from bot.settings import SmsSettings
from bot.storage import outbox, people
from bot.storage.crypto import address_hash
from bot.storage.db import StorageUnavailable
from bot.testing.clock import FrozenClock
from bot.testing.fake_sms_gateway import twilio_inbound_params
from bot.testing.images import sample
from bot.testing.sms_client import SmsChatClient, SmsHarness, new_number, sms_harness
from bot.vacancies.model import VacancyQuery

TEMPLATE = "HX" + "0123456789abcdef" * 2
BUDGET = SmsSettings().segment_budget
TODAY = date(2025, 6, 2)  # the frozen clock's
MORE_TEXT = "(Balas LAGI untuk lanjutannya.)"


async def agreed(client: SmsChatClient) -> None:
    await client.send("halo")
    assert client.said()[-1] == "utter_consent_question"
    await client.send("1")  # Setuju
    assert client.said() == ["utter_consent_thanks", "utter_menu"]


def menu_number(client: SmsChatClient, payload: str) -> str:
    return str(client.shown().index(payload) + 1)


# -- keywords, digits, 0 ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("MENU", "utter_menu"),
        ("Menu", "utter_menu"),
        ("mnue", "utter_menu"),
        ("BANTUAN", "utter_help"),
        ("bantun", "utter_help"),
        ("Batuan", "utter_help"),
        ("DATA", "utter_my_data_intro"),
        ("dta", "utter_my_data_intro"),
        ("PETUGAS", "utter_human_requested"),
        ("ptugas", "utter_human_requested"),
        ("HAPUS", "utter_ask_delete_confirm"),
        ("hpus", "utter_ask_delete_confirm"),
        ("stpo", "utter_stopped"),
    ],
)
async def test_keywords_in_any_case_and_with_common_typos(
    sqlite_app: App, typed: str, first: str
) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        await client.send(menu_number(client, "menu:eligibility"))
        await client.send(typed)
        assert client.said()[0] == first, client.text()


async def test_stop_and_mulai_with_typos(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        await client.send("STOP")
        assert client.said()[0] == "utter_stopped"
        await client.send("mulay")
        assert client.said()[0] == "utter_resumed"


async def test_digits_pick_options_and_0_goes_back(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        await client.send(menu_number(client, "menu:eligibility"))
        assert client.said()[1] == "utter_ask_laid_off"
        assert "\n1. " in client.last_bodies[0] and "\n2. " in client.last_bodies[0]
        await client.send(menu_number(client, "laid_off:yes"))
        assert client.said() == ["utter_ask_reason"]
        await client.send("0")
        assert client.said() == ["utter_back_ok", "utter_ask_laid_off"]
        await client.send("9")  # no such option
        assert client.said() == ["utter_invalid_choice", "utter_ask_laid_off"]


async def test_a_redelivered_message_is_processed_once(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await client.send("halo", event_id="SM" + "1" * 32)
        sent = len(harness.fake.sent)
        assert sent >= 1
        await client.send("halo", event_id="SM" + "1" * 32)  # Twilio retries the webhook
        assert client.last == [] and len(harness.fake.sent) == sent
        await client.send("1", event_id="SM" + "2" * 32)
        assert client.said() == ["utter_consent_thanks", "utter_menu"]


# -- signatures ---------------------------------------------------------------------------
async def test_a_request_signed_by_twilios_own_validator_is_served(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        fake, number = harness.fake, new_number()
        params = twilio_inbound_params(number, fake.number, "halo", account_sid=fake.account_sid)
        signature = RequestValidator(fake.auth_token).compute_signature(harness.url, params)
        status, _ = await fake.post_inbound(
            harness.url, number, "halo", message_sid=params["MessageSid"], signature=signature
        )
        assert status == 200
        await harness.drain()
        assert "selamat datang di Pendamping JKP" in fake.texts_to(number)[0]


async def test_a_forged_request_is_refused_and_nothing_is_stored(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        fake, number = harness.fake, new_number()
        forged = RequestValidator("another-token").compute_signature(
            harness.url, twilio_inbound_params(number, fake.number, "halo")
        )
        status, _ = await fake.post_inbound(harness.url, number, "halo", signature=forged)
        assert status == 403
        assert await harness.drain() == 0 and fake.sent == []
        async with sqlite_app.db.read() as conn:
            assert await people.snapshot(conn, "sms", number) is None


async def test_the_generic_json_format_reaches_the_same_dialogs(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app, provider="json") as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        assert harness.fake.requests[-1].api == "json"
        await client.send("BANTUAN")
        assert client.said()[0] == "utter_help"


# -- photos -------------------------------------------------------------------------------
async def open_upload(client: SmsChatClient) -> None:
    """Syarat bulanan up to "Unggah bukti" (each exchange within the budget on SMS)."""
    await agreed(client)
    await client.send(menu_number(client, "menu:evidence"))
    assert client.segments() <= BUDGET or client.whatsapp
    await client.send("15 April 2025")
    await client.send(menu_number(client, "ev_start_ok:yes"))
    assert client.said()[-1] == "utter_ev_hub"
    assert client.segments() <= BUDGET or client.whatsapp
    for step in ("ev:history", "ev:status"):
        await client.send(menu_number(client, step))
        assert client.said()[-1] == "utter_ev_hub"
        assert client.segments() <= BUDGET or client.whatsapp
    await client.send(menu_number(client, "ev:upload"))


async def test_sms_cannot_carry_photos_and_says_which_ways_can(
    sqlite_app: App, tmp_path: Path
) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await open_upload(client)
        assert client.said() == ["utter_ev_no_photos_sms", "utter_ev_hub"]
        assert "WhatsApp" in client.text() and "Telegram" in client.text()
        assert client.segments() <= BUDGET
        path = tmp_path / "letter.jpg"
        path.write_bytes(sample("letter1")[0])
        await client.photo(path)  # an MMS: never downloaded, never evidence
        assert harness.fake.media_downloads == []
        assert "utter_ev_photo_received" not in client.said()


async def test_a_whatsapp_photo_is_downloaded_with_the_credentials_into_evidence(
    sqlite_app: App, tmp_path: Path
) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness, whatsapp=True)
        path = tmp_path / "letter.jpg"
        path.write_bytes(sample("letter1")[0])
        await agreed(client)
        await client.photo(path)  # not awaited: not downloaded
        assert harness.fake.media_downloads == []
        await client.send("menu")
        await client.send(menu_number(client, "menu:evidence"))
        await client.send("15 April 2025")
        await client.send(menu_number(client, "ev_start_ok:yes"))
        await client.send(menu_number(client, "ev:upload"))
        assert client.said() == ["utter_ask_ev_kind"]
        await client.send(menu_number(client, "ev_kind:application"))
        await client.send("PT Sinar Jaya")
        await client.send("28 Mei 2025")
        assert client.said()[-1] == "utter_ask_ev_photos"
        await client.photo(path)
        assert client.said() == ["utter_ev_photo_received"]
        assert [ok for _, ok in harness.fake.media_downloads] == [True]


async def whatsapp_at_photos(harness: SmsHarness) -> SmsChatClient:
    client = SmsChatClient(harness, whatsapp=True)
    await open_upload(client)
    await client.send(menu_number(client, "ev_kind:application"))
    await client.send("PT Sinar Jaya")
    await client.send("28 Mei 2025")
    assert client.said()[-1] == "utter_ask_ev_photos"
    return client


async def test_a_whatsapp_album_is_one_piece_with_one_reply(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = await whatsapp_at_photos(harness)
        fake = harness.fake
        urls = [fake.add_media(sample(f"letter{i}")[0]) for i in (1, 2)]
        await client._post("", media=[(u, "image/jpeg") for u in urls])
        assert client.said() == ["utter_ev_photo_received"]  # the album's second is silent
        assert [ok for _, ok in fake.media_downloads] == [True, True]
        await client.send(menu_number(client, "ev:done"))
        assert client.said()[0] == "utter_ev_recorded_application"
        assert "2 foto" in client.text()


async def test_a_whatsapp_photo_that_cannot_be_fetched_is_asked_again(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = await whatsapp_at_photos(harness)
        gone = harness.fake.add_media(b"").rsplit("/", 1)[0] + "/ME-missing"
        await client._post("", media=[(gone, "image/jpeg")])
        assert client.said()[0] == "utter_evidence_refused_download_failed"
        await client._post("", media=[(harness.fake.add_media(b"x" * 40), "application/pdf")])
        assert client.said()[0] == "utter_evidence_refused_pdf"
        assert len(harness.fake.media_downloads) == 1  # a PDF is refused undownloaded


# -- the dialogs no transcript walks ------------------------------------------------------
async def test_counseling_petugas_and_hapus_over_sms_within_the_budget(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        turns = []
        for step in ("menu:counseling", "/menu", "menu:human", "/menu", "menu:help"):
            if step.startswith("menu:"):
                await client.send(menu_number(client, step))
            else:
                await client.send("menu")
            turns.append((client.segments(), client.said()))
        await client.send("hapus")
        turns.append((client.segments(), client.said()))
        assert client.said() == ["utter_ask_delete_confirm"]
        await client.send(menu_number(client, "delete:yes"))
        turns.append((client.segments(), client.said()))
        assert client.said() == ["utter_data_deleted"]
        assert [t for t in turns if t[0] > BUDGET] == []
        async with sqlite_app.db.read() as conn:
            assert await people.snapshot(conn, "sms", client.number) is None


# -- WhatsApp's 24-hour window ------------------------------------------------------------
async def queue_reminder(app: App, number: str, key: str) -> None:
    """A scheduled message to a WhatsApp identity, as a sweep queues it."""
    now = app.engine.clock()
    async with app.db.write() as conn:
        await outbox.enqueue(
            conn, channel="whatsapp", chat_key=address_hash("whatsapp", number),
            address=number, person_id=None, message=say("utter_help"), now=now,
            idempotency_key=key, expires_at=now + timedelta(hours=24),
        )  # fmt: skip


async def wrote_on_whatsapp(harness: SmsHarness) -> SmsChatClient:
    client = SmsChatClient(harness, whatsapp=True)
    await client.send("halo")
    harness.fake.sent.clear()
    return client


async def test_inside_the_window_a_message_goes_as_it_is(app: App, clock: FrozenClock) -> None:
    async with sms_harness(app, whatsapp_template_sid=TEMPLATE) as harness:
        client = await wrote_on_whatsapp(harness)
        clock.advance(hours=23)
        await queue_reminder(app, client.number, "reminder:inside")
        await harness.drain()
        (sent,) = harness.fake.sent
        assert sent.channel is SmsChannel.WHATSAPP and sent.content_sid == ""
        assert sent.body.startswith("Petunjuk singkat")


async def test_outside_the_window_the_template_carries_the_message(
    app: App, clock: FrozenClock
) -> None:
    async with sms_harness(app, whatsapp_template_sid=TEMPLATE) as harness:
        client = await wrote_on_whatsapp(harness)
        clock.advance(hours=25)
        await queue_reminder(app, client.number, "reminder:outside")
        await harness.drain()
        (sent,) = harness.fake.sent
        assert (sent.channel, sent.to, sent.body) == (SmsChannel.WHATSAPP, client.number, "")
        assert sent.content_sid == TEMPLATE
        text = sent.content_variables["1"]
        assert text.startswith("Petunjuk singkat: / - Balas dengan angka pilihan")
        assert "\n" not in text and "    " not in text


async def test_outside_the_window_without_a_template_it_goes_by_sms(
    app: App, clock: FrozenClock
) -> None:
    async with sms_harness(app) as harness:
        client = await wrote_on_whatsapp(harness)
        clock.advance(hours=24)
        await queue_reminder(app, client.number, "reminder:sms")
        await harness.drain()
        (sent,) = harness.fake.sent
        assert (sent.channel, sent.to) == (SmsChannel.SMS, client.number)
        assert sent.sender == harness.fake.number and sent.body.startswith("Petunjuk singkat")


async def test_the_providers_word_that_the_window_closed_is_believed(
    sqlite_app: App,
) -> None:
    async with sms_harness(sqlite_app, whatsapp_template_sid=TEMPLATE) as harness:
        client = await wrote_on_whatsapp(harness)
        harness.fake.fail_next(400, 63016, "Outside the allowed window", to=client.number)
        await queue_reminder(sqlite_app, client.number, "reminder:provider")
        await harness.drain()
        (sent,) = harness.fake.sent
        assert sent.content_sid == TEMPLATE


def test_a_template_variable_is_one_line_and_bounded() -> None:
    text = "Halo.\n\n1. Ya\n2. Tidak\n\n(KEMBALI = ubah)"
    assert template_text(text) == "Halo. | 1. Ya / 2. Tidak | (KEMBALI = ubah)"
    long = template_text("kata " * 400)
    assert len(long) == 900 and long.endswith("...")


# -- an outage while a message comes in -----------------------------------------------------
async def test_a_database_outage_answers_503_and_the_retry_is_served_once(
    sqlite_app: App,
) -> None:
    """The provider retries a webhook that failed; the message is processed once."""
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        real = harness.runtime.inbound
        calls: list[str] = []

        async def down_once(inbound: InboundSms) -> None:
            calls.append(inbound.message_id)
            if len(calls) == 1:
                raise StorageUnavailable("the database is down")
            await real(inbound)

        server = web.Application()
        add_sms_webhook(server, "/down", harness.runtime.gateway, down_once)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/down"
        try:
            sid = "SM" + "7" * 32
            status, _ = await harness.fake.post_inbound(url, client.number, "halo",
                                                        message_sid=sid)  # fmt: skip
            assert status == 503 and await harness.drain() == 0
            for _ in range(2):  # the retry, then a duplicate of it
                status, _ = await harness.fake.post_inbound(url, client.number, "halo",
                                                            message_sid=sid)  # fmt: skip
                assert status == 200
            await harness.drain()
            assert calls == [sid, sid, sid]
            texts = harness.fake.texts_to(client.number)
            assert sum("selamat datang" in t for t in texts) == 1
        finally:
            await runner.cleanup()


# -- paging -------------------------------------------------------------------------------
async def test_a_long_reply_is_paged_and_lagi_brings_the_rest(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        client.follow = False  # see each page
        await client.send("halo")  # welcome, privacy summary, consent question: 5 segments
        first = client.said()
        assert client.last[-1].keys[-1] == MORE_KEY and client.segments() <= BUDGET
        assert "Balas LAGI" in client.last_bodies[-1]
        assert "utter_consent_question" not in first
        pages = [first]
        while client.last[-1].keys[-1] == MORE_KEY:
            await client.send("lagi")
            pages.append(client.said())
            assert client.segments() <= BUDGET
        assert [k for page in pages for k in page] == [
            "utter_welcome", "utter_privacy_notice", "utter_consent_question"
        ]  # fmt: skip
        assert len(pages) > 1
        await client.send(client_number_of(client, "consent:agree"))
        assert client.said() == ["utter_consent_thanks", "utter_menu"]


async def test_the_full_notice_is_cut_into_pages_that_join_back(sqlite_app: App) -> None:
    """One response longer than the budget (12 segments whole) is cut at line and sentence
    ends; the consent options come on the last page, and a digit there picks them."""
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await client.send("halo")
        client.follow = False
        await client.send(client_number_of(client, "consent:notice"))
        pages = [client.last]
        while client.last[-1].keys[-1] == MORE_KEY:
            assert client.segments() <= BUDGET
            assert not client.last[-1].buttons  # no options before the last page
            await client.send("LAGI")
            pages.append(client.last)
        assert client.segments() <= BUDGET and len(pages) > 3
        more = harness.app.engine.domain.render(say(MORE_KEY), "sms").text
        texts = [r.plain.removesuffix(more).strip() for page in pages for r in page]
        assert all(t.endswith((".", ":")) for t in texts[:-1]), texts  # line and sentence ends
        whole = harness.app.engine.domain.render(
            say("utter_privacy_notice_full", retention_days="365"), "sms"
        ).text
        assert " ".join(texts[:-1]).split() == whole.split()  # nothing lost, nothing twice
        assert pages[-1][-1].keys == ("utter_consent_question",)
        assert pages[0][0].keys[0] == "utter_privacy_notice_full"  # said once, at its start
        await client.send(client_number_of(client, "consent:agree"))
        assert client.said() == ["utter_consent_thanks", "utter_menu"]


CATALOGUE = Path(__file__).parents[2] / "vacancies" / "data" / "relevance_catalogue.csv"


async def load_catalogue(app: App, *rows: dict[str, str]) -> None:
    """The test catalogue (84 vacancies), and ``rows`` (columns left out are empty)."""
    from bot.vacancies.importer import import_text

    text = CATALOGUE.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writerows(rows)
    now = app.engine.clock()
    report = await import_text(app.db.engine, text + out.getvalue(), "csv", now=now,
                               today=now.date())  # fmt: skip
    assert not report.errors, report.errors


async def at_vacancies(client: SmsChatClient) -> None:
    await agreed(client)
    await client.send(menu_number(client, "menu:vacancies"))
    assert client.said()[0] == "utter_ask_vac_search"


async def test_three_vacancies_a_page_and_2_on_page_2_opens_the_5th(sqlite_app: App) -> None:
    """By SMS a page holds 3 of the same ranking: the next page goes on at the 4th, and "2"
    typed there opens the 5th vacancy's card."""
    await load_catalogue(sqlite_app)
    async with sqlite_app.db.read() as conn:
        from bot.vacancies import store

        five = await store.search(conn, VacancyQuery(text="operator"), today=TODAY)
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await at_vacancies(client)
        await client.send("operator")
        assert client.segments() <= BUDGET and len(client.exchanges) == 1
        shown = client.shown()
        assert shown[:3] == [f"vac:{h.id}" for h in five.hits[:3]]
        await client.send(menu_number(client, shown[3]))  # Halaman berikutnya
        assert "halaman 2 dari 5" in client.text()
        assert client.shown()[:2] == [f"vac:{h.id}" for h in five.hits[3:5]]
        await client.send("2")
        fifth = five.hits[4]
        assert client.said()[0] == "utter_vac_card"
        assert f"{fifth.title}\n{fifth.company}" in client.text()
        assert all(n <= BUDGET for n in client.exchanges)


async def test_a_long_vacancy_card_comes_in_pages_with_its_options_last(sqlite_app: App) -> None:
    """A card whose description alone is longer than the budget: cut at sentence ends, every
    exchange within the budget, "Lamar sekarang" on the last page, and a digit there applies."""
    description = " ".join(
        f"Tugas ke-{n}: menyiapkan bahan, memasak menu harian dan menjaga dapur tetap bersih."
        for n in range(1, 16)
    )
    requirements = "\n".join(f"- Syarat {n}: pengalaman memasak minimal {n} tahun" for n in
                             range(1, 6))  # fmt: skip
    row = {"source": "uji", "source_id": "R900", "title": "Juru Masak Katering",
           "company": "PT Rasa Nusantara", "occupation_code": "5120", "regency_code": "3578",
           "country": "ID", "openings": "2", "wage_min": "4000000", "employment_type": "pkwt",
           "sex": "semua", "disability_friendly": "false", "posted_at": "2025-06-01",
           "description": description, "requirements": requirements,
           "featured": "false"}  # fmt: skip
    await load_catalogue(sqlite_app, row)
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await at_vacancies(client)
        await client.send("juru masak katering")
        assert client.shown()[0].startswith("vac:")
        client.follow = False
        await client.send("1")
        pages = [client.text()]
        while client.last[-1].keys[-1] == MORE_KEY:
            assert client.segments() <= BUDGET and not client.last[-1].buttons
            await client.send("LAGI")
            pages.append(client.text())
        assert client.segments() <= BUDGET and len(pages) >= 3
        whole = "\n\n".join(pages)
        assert "Juru Masak Katering\nPT Rasa Nusantara" in pages[0]
        assert " ".join(description.split()) in " ".join(whole.replace(MORE_TEXT, "").split())
        titles = [b.title for b in client.last[-1].buttons]  # all the card's options
        assert titles == ["Lengkapi Profil saya", "Lamar sekarang", "Kembali ke daftar",
                          "Cari lagi"]  # fmt: skip
        await client.send("2")
        assert client.said()[0] == "utter_vac_applied"


async def test_anything_but_lagi_drops_the_rest(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        client.follow = False
        await client.send("halo")
        assert client.last[-1].keys[-1] == MORE_KEY
        await client.send("apa ini")  # not LAGI: the consent question is asked, nothing held
        assert client.said() == ["utter_consent_need_answer", "utter_consent_question"]
        await client.send("LAGI")  # nothing held any more: an ordinary reply
        assert "utter_welcome" not in client.said()
        assert "utter_privacy_notice" not in client.said()


def client_number_of(client: SmsChatClient, payload: str) -> str:
    return str(client.shown().index(payload) + 1)


async def test_a_channel_without_a_sender_is_not_answered(sqlite_app: App) -> None:
    """WHATSAPP_FROM unset: a WhatsApp message is acknowledged (no retries) and dropped."""
    async with sms_harness(sqlite_app, whatsapp_from="") as harness:
        number = new_number()
        status, _ = await harness.fake.post_inbound(harness.url, number, "halo", whatsapp=True)
        assert status == 200 and await harness.drain() == 0
        async with sqlite_app.db.read() as conn:
            assert await people.snapshot(conn, "whatsapp", number) is None
        client = SmsChatClient(harness)  # SMS still answers
        await client.send("halo")
        assert client.said()[0] == "utter_welcome"


async def test_credentials_never_follow_a_redirect_to_another_host(sqlite_app: App) -> None:
    """Twilio answers a media URL with a redirect to its CDN: the photo is fetched there
    without the account's credentials."""
    seen: list[str] = []
    cdn_bytes = [sample("letter1")[0]]

    async def cdn(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(body=cdn_bytes[0], content_type="image/jpeg")

    server = web.Application()
    server.router.add_get("/photo.jpg", cdn)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with sms_harness(sqlite_app) as harness:
            client = await whatsapp_at_photos(harness)
            port = runner.addresses[0][1]
            url = harness.fake.add_media_redirect(f"http://localhost:{port}/photo.jpg")
            await client._post("", media=[(url, "image/jpeg")])
            assert client.said() == ["utter_ev_photo_received"]
            assert [ok for _, ok in harness.fake.media_downloads] == [True]
            assert seen == [""]
            direct = f"http://localhost:{port}/photo.jpg?second"  # another host, asked directly
            seen.clear()
            cdn_bytes[0] = sample("letter2")[0]
            await client._post("", media=[(direct, "image/jpeg")])
            assert client.said() == ["utter_ev_photo_received"]
            assert seen == [""]
    finally:
        await runner.cleanup()


async def test_hapus_with_pages_held_leaves_nothing(sqlite_app: App) -> None:
    async with sms_harness(sqlite_app) as harness:
        client = SmsChatClient(harness)
        await agreed(client)
        client.follow = False
        await client.send("bantuan")  # the help, then the menu: paged
        assert client.last[-1].keys[-1] == MORE_KEY
        await client.send("hapus")
        assert client.said() == ["utter_ask_delete_confirm"]
        await client.send(menu_number(client, "delete:yes"))
        assert client.said() == ["utter_data_deleted"]
        async with sqlite_app.db.read() as conn:
            assert await people.snapshot(conn, "sms", client.number) is None
        await client.send("LAGI")  # nothing held, nobody known: a new first contact
        assert client.said()[0] == "utter_welcome"
