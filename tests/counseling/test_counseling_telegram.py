"""Counseling end to end over HTTP: the real runtime (polling, the engine, the outbox senders
for private chats and for the counselors' group) against the fake Bot API with forum topics.
A beneficiary and a counselor are two Telegram users; a stranger in the group cannot act."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.telegram import TelegramRuntime
from bot.counseling import cli as counseling_cli
from bot.counseling import store
from bot.counseling.config import CounselingSettings
from bot.counseling.runtime import counseling_runtime
from bot.counseling.tables import Counselee, CounselingSession, CounselorAudit
from bot.knowledge.catalog import catalog
from bot.records.model import RegistrationRecord
from bot.records.store import save_registration
from bot.settings import Settings
from bot.storage import people
from bot.storage.models import Application, table
from bot.testing.clock import FrozenClock
from bot.testing.fake_bot_api import (
    FakeBotAPI,
    callback_update,
    forum_callback_update,
    forum_update,
    photo_update,
    text_update,
)
from bot.vacancies.importer import import_text
from scheduler.counseling import counseling_timers

GROUP = -1001234567890
BEN = 7001
SITI = 9001  # a registered counselor
STRANGER = 9666  # in the group, not a counselor
CATALOGUE = """source,source_id,title,company,regency_code,wage_min,wage_max,posted_at,closes_at
uji,G1,Operator Gudang,PT Logistik Nusantara,3216,4500000,5500000,2025-05-30,2025-07-30
uji,G2,Admin Gudang,PT Sinar Abadi,3216,4000000,4800000,2025-05-29,2025-07-30
"""


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def rt(
    api: FakeBotAPI, settings: Settings, clock: FrozenClock
) -> AsyncIterator[TelegramRuntime]:
    tg = replace(
        settings, telegram_token=api.token, telegram_api_base=api.base_url,
        telegram_chat_interval=0, counseling=CounselingSettings(chat_id=GROUP),
    )  # fmt: skip
    app = await build_app(tg, clock=clock)
    runtime = counseling_runtime(app)
    for sender in runtime.senders:
        sender.chat_interval = 0
    runtime.poller.max_backoff = 0.05
    runtime.startup_backoff = (0.01, 0.05)
    async with app.db.write() as conn:
        await store.add_counselor(conn, SITI, "Siti Rahma", clock(), title="Pengantar Kerja")
    await import_text(app.db.engine, CATALOGUE, "csv", now=clock(), today=date(2025, 6, 2))
    task = asyncio.create_task(runtime.run_polling())
    try:
        yield runtime
    finally:
        runtime.stop.set()
        await asyncio.wait_for(task, 15)
        await app.close()


async def until(api: FakeBotAPI, condition: Callable[[], bool], what: str) -> None:
    assert await api.wait_until(condition, 15), f"not seen: {what}"


def sent(api: FakeBotAPI, chat: int) -> list[str]:
    return api.messages_to(chat)


async def expect(api: FakeBotAPI, chat: int, piece: str, after: int = 0) -> str:
    await until(api, lambda: any(piece in t for t in sent(api, chat)[after:]), piece)
    return next(t for t in sent(api, chat)[after:] if piece in t)


def markup_call(api: FakeBotAPI, chat: int, payload_prefix: str) -> tuple[Any, str]:
    """The last message to ``chat`` with a button starting with ``payload_prefix``."""
    for call in reversed(api.calls):
        if call.method not in ("sendMessage", "sendPhoto") or call.params.get("chat_id") != chat:
            continue
        rows = (call.params.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in rows:
            for button in row:
                if str(button.get("callback_data", "")).startswith(payload_prefix):
                    return call, button["callback_data"]
    raise AssertionError(f"no button {payload_prefix!r} was sent to {chat}")


def _has(find: Callable[[], Any]) -> bool:
    try:
        find()
    except AssertionError:
        return False
    return True


async def press(api: FakeBotAPI, chat: int, payload_prefix: str) -> None:
    await until(api, lambda: _has(lambda: markup_call(api, chat, payload_prefix)), payload_prefix)
    call, data = markup_call(api, chat, payload_prefix)
    api.push_update(callback_update(chat, data, message_id=1, message_text=call.params["text"]))


def group_message(
    api: FakeBotAPI, payload_prefix: str, suffix: str = ""
) -> tuple[dict[str, Any], str]:
    """The bot's group message carrying a button, as Telegram would echo it."""
    for thread_messages in [api.topic_messages(GROUP, None)] + [
        api.topic_messages(GROUP, t) for t in api.topics.get(GROUP, {})
    ]:
        for m in reversed(thread_messages):
            for row in (m.get("reply_markup") or {}).get("inline_keyboard") or []:
                for b in row:
                    data = b["callback_data"]
                    if data.startswith(payload_prefix) and data.endswith(suffix):
                        return m, b["callback_data"]
    raise AssertionError(f"no group button {payload_prefix!r}")


async def group_press(api: FakeBotAPI, user: int, payload_prefix: str, suffix: str = "") -> None:
    find = lambda: group_message(api, payload_prefix, suffix)  # noqa: E731
    await until(api, lambda: _has(find), payload_prefix)
    message, data = find()
    api.push_update(forum_callback_update(GROUP, user, data, message=message))


async def person_of(app: App) -> int:
    async with app.db.read() as conn:
        snap = await people.snapshot(conn, "telegram", str(BEN))
    assert snap is not None
    return snap.person.id


async def consented_jobseeker(api: FakeBotAPI, app: App, clock: FrozenClock) -> int:
    api.push_update(text_update(BEN, "/start"))
    await until(api, lambda: len(sent(api, BEN)) >= 2, "the welcome")
    await press(api, BEN, "consent:agree")
    await expect(api, BEN, "Persetujuan Anda sudah dicatat")
    person = await person_of(app)
    job = catalog().occupations[0].title
    async with app.db.write() as conn:  # the job-seeker registration (its own dialog's tests)
        await save_registration(conn, person, RegistrationRecord(job, "ter_phk", "none", "32",
                                                                 "3216"), clock())  # fmt: skip
    return person


def topic(api: FakeBotAPI) -> int:
    live = [t for t, v in api.topics.get(GROUP, {}).items() if not v["deleted"]]
    assert live, "no topic was created"
    return live[-1]


async def count(app: App, model: Any, *where: Any) -> int:
    async with app.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table(model)).where(*where)))


async def test_a_scheduled_session_from_request_to_worksheet(
    rt: TelegramRuntime, api: FakeBotAPI, clock: FrozenClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    app = rt.app
    person = await consented_jobseeker(api, app, clock)

    # -- the beneficiary asks: register as a counselee, then "Ajukan konseling" with a reason
    await press(api, BEN, "menu:counseling")
    await expect(api, BEN, "Daftar sekarang?")
    await press(api, BEN, "counseling:register")
    await expect(api, BEN, "Anda sudah terdaftar sebagai konseli")
    await press(api, BEN, "counseling:ask")
    await expect(api, BEN, "Tulis singkat alasan")
    api.push_update(text_update(BEN, "Saya bingung mau pindah kerja ke bidang apa setelah PHK"))
    await expect(api, BEN, "Pengajuan konseling Anda sudah terkirim")
    await until(api, lambda: any("PENGAJUAN KONSELING #" in t for t in
                                 api.topic_texts(GROUP)), "the card")  # fmt: skip
    card = next(t for t in api.topic_texts(GROUP) if "PENGAJUAN KONSELING" in t)
    assert "Saya bingung mau pindah kerja" in card and "Asesmen: belum ada" in card
    assert "Bulan manfaat: belum ada data" in card

    # -- a stranger in the group cannot act: ignored (and logged)
    caplog.set_level(logging.WARNING, logger="bot.counseling.staff")
    calls = len(api.calls)
    await group_press(api, STRANGER, "cs:ok:")
    api.push_update(forum_update(GROUP, STRANGER, "/tolak 1 iseng"))
    await until(api, lambda: sum("not a registered counselor" in r.message
                                 for r in caplog.records) >= 2, "the refusals logged")  # fmt: skip
    await asyncio.sleep(0.3)
    assert not [c for c in api.calls[calls:] if c.params.get("chat_id") == GROUP]

    # -- the counselor approves and picks a slot (12:00 WIB, the second one offered)
    await group_press(api, SITI, "cs:ok:")
    await until(api, lambda: any("pilih jadwal" in t for t in api.topic_texts(GROUP)), "slots")
    slots, _ = group_message(api, "cs:slot:")
    offered = [b["callback_data"][-12:] for row in slots["reply_markup"]["inline_keyboard"]
               for b in row]  # fmt: skip
    assert offered[:3] == ["202506021100", "202506021200", "202506021300"]
    await group_press(api, SITI, "cs:slot:", "202506021200")
    told = await expect(api, BEN, "disetujui")
    assert "Senin, 2 Juni 2025 pukul 12.00 WIB dengan Siti Rahma" in told
    await until(api, lambda: bool(api.topics.get(GROUP)), "the person's topic")
    thread = topic(api)
    await until(api, lambda: any("Dijadwalkan" in t for t in api.topic_texts(GROUP, thread)),
                "the topic told")  # fmt: skip

    # -- reminders: the hour before (the day before is past already), then "Mulai konseling"
    clock.advance(minutes=30)
    assert await counseling_timers(app) == 0  # within the day: no day-before reminder
    clock.advance(minutes=31)  # 11:01
    assert await counseling_timers(app) == 1
    await expect(api, BEN, "satu jam lagi")
    assert await counseling_timers(app) == 0  # once
    clock.advance(minutes=59)  # 12:00
    assert await counseling_timers(app) == 1
    await expect(api, BEN, "Sekarang waktunya konseling")
    await press(api, BEN, "counsel:start:")
    await expect(api, BEN, "Konseling dimulai")

    # -- in session: what the person writes (a photo too) goes to the topic, verbatim
    mark = len(sent(api, BEN))
    api.push_update(text_update(BEN, "Saya pernah jadi {operator} choice:menu:profile {0}"))
    await until(api, lambda: any("{operator} choice:menu:profile {0}" in t
                                 for t in api.topic_texts(GROUP, thread)), "forwarded")  # fmt: skip
    api.push_update(photo_update(BEN, file_id="AgACphotoOfMyCV"))
    await until(api, lambda: any(m.get("photo", [{}])[0].get("file_id") == "AgACphotoOfMyCV"
                                 for m in api.topic_messages(GROUP, thread)), "photo")  # fmt: skip
    assert len(sent(api, BEN)) == mark  # nothing said back: the counselor answers

    # ...and what the counselor writes in the topic goes to the person
    api.push_update(forum_update(GROUP, SITI, "Punya SIM B1? {} {name}", thread=thread))
    said = await expect(api, BEN, "Punya SIM B1?")
    assert said == "Siti Rahma: Punya SIM B1? {} {name}"
    api.push_update(forum_update(GROUP, SITI, "Contoh CV", thread=thread, document="BQACcvDoc"))
    await expect(api, BEN, "[document] Siti Rahma: Contoh CV")

    # MENU says a counselor is there and how to end it; the menu itself waits
    api.push_update(text_update(BEN, "menu"))
    await expect(api, BEN, "Anda sedang konseling dengan Siti Rahma", mark)
    await press(api, BEN, "counsel:stay")
    await expect(api, BEN, "Silakan lanjutkan")

    # /rekomendasi with an id, and with a search answered by buttons; one tap applies
    vacancy = await _vacancy_id(app, "G1")
    api.push_update(forum_update(GROUP, SITI, f"/rekomendasi {vacancy}", thread=thread))
    await expect(api, BEN, "Rekomendasi dari Siti Rahma")
    await press(api, BEN, "counsel:apply:")
    await expect(api, BEN, "sudah tercatat dan dihitung")
    assert await count(app, Application, table(Application).c.via == "counselor") == 1
    api.push_update(forum_update(GROUP, SITI, "/rekomendasi admin gudang", thread=thread))
    await until(api, lambda: any("Pilih lowongan" in t for t in api.topic_texts(GROUP, thread)),
                "search results")  # fmt: skip
    await group_press(api, SITI, "cs:rec:")
    await until(api, lambda: sum("Rekomendasi dari" in t for t in sent(api, BEN)) == 2, "card 2")

    # /catatan, /profil (audited), then /selesai hands the conversation back
    api.push_update(forum_update(GROUP, SITI, "/catatan Tertarik logistik; punya SIM B1",
                                 thread=thread))  # fmt: skip
    await until(api, lambda: any("Catatan disimpan" in t for t in api.topic_texts(GROUP, thread)),
                "note")  # fmt: skip
    api.push_update(forum_update(GROUP, SITI, "/profil", thread=thread))
    await until(api, lambda: any("Profil: ingin kerja" in t for t in
                                 api.topic_texts(GROUP, thread)), "profile")  # fmt: skip
    api.push_update(forum_update(GROUP, SITI, "/selesai", thread=thread))
    await expect(api, BEN, "menutup sesi konseling")
    await until(api, lambda: any("selesai. Kertas kerja" in t for t in
                                 api.topic_texts(GROUP, thread)), "ended")  # fmt: skip
    mark = len(sent(api, BEN))
    api.push_update(text_update(BEN, "menu"))
    await expect(api, BEN, "Apa yang ingin Anda lakukan?", mark)  # the bot has it again
    api.push_update(forum_update(GROUP, SITI, "Masih di sana?", thread=thread))
    await until(api, lambda: any("Tidak terkirim" in t for t in api.topic_texts(GROUP, thread)),
                "not delivered after the end")  # fmt: skip

    # DATA names the counselor who opened the record
    api.push_update(text_update(BEN, "data"))
    data = await expect(api, BEN, "Konselor yang pernah membuka data Anda")
    assert "Siti Rahma" in data

    # -- the worksheet: PDF and JSON
    session_id = await _only_session(app)
    args = argparse.Namespace(command="counseling", counseling_command="export",
                              session=session_id, out=str(tmp_path))  # fmt: skip
    out = io.StringIO()
    assert await counseling_cli.run_async(args, app.settings, out) == 0
    pdf = tmp_path / f"kertas-kerja-konseling-{session_id}.pdf"
    sheet = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sheet["counselor"]["name"] == "Siti Rahma"
    assert sheet["participant"]["registration"]["job"] == catalog().occupations[0].title
    words = [e["words"] for e in sheet["transcript"]]
    assert "Punya SIM B1? {} {name}" in words
    assert any("{operator}" in w for w in words)
    assert [n["words"] for n in sheet["notes"]] == ["Tertarik logistik; punya SIM B1"]
    assert [(r["title"], r["applied"]) for r in sheet["recommendations"]] == [
        ("Operator Gudang", True), ("Admin Gudang", False)]  # fmt: skip
    actions = await _audit_actions(app, person)
    assert {"approve", "recommend", "end", "open", "export"} <= set(actions)


async def _vacancy_id(app: App, source_id: str) -> int:
    from bot.vacancies.store import get_by_source

    async with app.db.read() as conn:
        found = await get_by_source(conn, "uji", source_id)
    assert found is not None
    return found


async def _only_session(app: App) -> int:
    async with app.db.read() as conn:
        ids = list(await conn.scalars(select(table(CounselingSession).c.id)))
    assert len(ids) == 1
    return int(ids[0])


async def _audit_actions(app: App, person: int | None) -> list[str]:
    au = table(CounselorAudit)
    async with app.db.read() as conn:
        return list(await conn.scalars(select(au.c.action).where(au.c.person_id == person)))


async def test_urgent_takeover_topic_recreated_and_hapus(
    rt: TelegramRuntime, api: FakeBotAPI, clock: FrozenClock
) -> None:
    app = rt.app
    person = await consented_jobseeker(api, app, clock)
    await press(api, BEN, "menu:eligibility")
    await expect(api, BEN, "PHK")
    mark = len(sent(api, BEN))
    api.push_update(text_update(BEN, "petugas"))
    told = await expect(api, BEN, "sudah kami teruskan ke petugas", mark)
    assert "10 menit" in told
    await until(api, lambda: any("PERMINTAAN BICARA DENGAN PETUGAS" in t
                                 for t in api.topic_texts(GROUP)), "urgent card")  # fmt: skip
    card = next(m for m in api.topic_messages(GROUP) if "PETUGAS" in m.get("text", ""))
    assert "Konselor yang sedang luang: Siti Rahma" in card["text"]
    mention = card["entities"][0]
    assert (mention["type"], mention["user"]["id"]) == ("text_mention", SITI)

    # nobody takes it in 10 minutes: the person is told honestly when someone will answer
    clock.advance(minutes=11)
    assert await counseling_timers(app) == 1
    await expect(api, BEN, "semua petugas sedang sibuk")
    assert await counseling_timers(app) == 0

    # a topic existed and was deleted by someone in the group: it is made again
    async with app.db.write() as conn:
        await store.set_topic(conn, person, 4242)
    api.topics.setdefault(GROUP, {})[4242] = {"name": "old", "closed": False, "deleted": True}
    await group_press(api, SITI, "cs:take:")
    await expect(api, BEN, "Petugas Siti Rahma sekarang bersama Anda")
    await until(api, lambda: len(api.calls_of("createForumTopic")) == 1, "a new topic")
    thread = topic(api)
    assert thread != 4242
    await until(api, lambda: any("mengambil alih" in t for t in api.topic_texts(GROUP, thread)),
                "taken")  # fmt: skip
    async with app.db.read() as conn:
        assert await store.topic_of(conn, person) == thread

    # in session: the person's paused step is kept; HAPUS still deletes everything
    api.push_update(text_update(BEN, "hapus"))
    await expect(api, BEN, "Yakin ingin menghapus")
    await press(api, BEN, "delete:yes")
    await expect(api, BEN, "sudah dihapus")
    await until(api, lambda: bool(api.calls_of("deleteForumTopic")), "topic deleted")
    assert api.topics[GROUP][thread]["deleted"]
    assert await count(app, Counselee) == 0
    assert await count(app, CounselingSession) == 0
    au = table(CounselorAudit)
    assert await count(app, CounselorAudit) >= 1  # who did what, when, is kept...
    assert await count(app, CounselorAudit, au.c.person_id.is_not(None)) == 0  # ...about nobody


async def test_a_console_beneficiary_with_a_telegram_counselor(
    rt: TelegramRuntime, api: FakeBotAPI, clock: FrozenClock
) -> None:
    """The person on a plain channel (console; SMS renders the same way): numbered options,
    and a counselor's file becomes a line saying it cannot be shown (the counselor is told)."""
    from bot.testing.client import ChatClient, consented

    app = rt.app
    client = await consented(ChatClient(app.engine, channel="console", user="ani"))
    async with app.db.read() as conn:
        snap = await people.snapshot(conn, "console", "ani")
    assert snap is not None
    job = catalog().occupations[0].title
    async with app.db.write() as conn:
        await save_registration(conn, snap.person.id, RegistrationRecord(job, "ter_phk", "none"),
                                clock())  # fmt: skip
    await client.click("menu:counseling")
    await client.send("1")  # Daftar sebagai konseli
    assert "utter_counseling_registered" in client.said()
    await client.click("counseling:ask")
    await client.send("Saya ingin tahu pelatihan yang cocok untuk saya")
    assert client.said()[0] == "utter_counseling_requested"
    await group_press(api, SITI, "cs:ok:")
    await group_press(api, SITI, "cs:slot:", "202506021100")
    await until(api, lambda: bool(api.topics.get(GROUP)), "the person's topic")
    thread = topic(api)
    await client.sender.drain()
    assert "Senin, 2 Juni 2025 pukul 11.00 WIB" in client.output.replies[-1].text
    clock.advance(hours=1)
    replies = await client.click("menu:counseling")
    assert "1. Mulai konseling" in replies[0].plain
    await client.send("1")
    assert client.said() == ["utter_counseling_started"]
    await client.send("1")  # a "1" typed in session is for the counselor, not an old button
    await until(api, lambda: any(t.endswith(": 1") for t in api.topic_texts(GROUP, thread)),
                "the 1 forwarded")  # fmt: skip
    api.push_update(forum_update(GROUP, SITI, "Ini brosurnya", thread=thread, photo="AgACbrosur"))
    await until(api, lambda: any("SMS atau konsol" in t for t in api.topic_texts(GROUP, thread)),
                "the counselor told")  # fmt: skip
    await client.sender.drain()
    last = client.output.replies[-1]
    assert last.keys == ("utter_counselor_says", "utter_counselor_file_not_shown")
    assert "Siti Rahma: Ini brosurnya" in last.text
    api.push_update(forum_update(GROUP, SITI, "/selesai", thread=thread))
    await until(api, lambda: any("selesai. Kertas kerja" in t for t in
                                 api.topic_texts(GROUP, thread)), "ended")  # fmt: skip
    await client.sender.drain()
    assert client.output.replies[-1].keys[0] == "utter_counseling_ended"
    await client.send("menu")
    assert client.said() == ["utter_menu"]


async def test_a_request_declined_with_a_reason_by_reply(
    rt: TelegramRuntime, api: FakeBotAPI, clock: FrozenClock
) -> None:
    app = rt.app
    await consented_jobseeker(api, app, clock)
    await press(api, BEN, "menu:counseling")
    await press(api, BEN, "counseling:register")
    await press(api, BEN, "counseling:ask")
    await expect(api, BEN, "Tulis singkat alasan")
    api.push_update(text_update(BEN, "Saya ingin konsultasi soal pelatihan kerja"))
    await expect(api, BEN, "sudah terkirim")
    await group_press(api, SITI, "cs:no:")
    await until(api, lambda: any("alasan penolakan" in t for t in api.topic_texts(GROUP)),
                "the prompt")  # fmt: skip
    prompt = next(m for m in api.topic_messages(GROUP) if "alasan penolakan" in m.get("text", ""))
    asked = next(c for c in api.calls_of("sendMessage") if "alasan penolakan" in c.params["text"])
    assert asked.params["reply_markup"]["force_reply"] is True
    api.push_update(forum_update(GROUP, SITI, "Jadwal penuh {minggu} ini", reply_to=prompt))
    told = await expect(api, BEN, "belum bisa disetujui")
    assert "Alasan dari konselor: Jadwal penuh {minggu} ini." in told
    await until(api, lambda: any("ditolak oleh Siti Rahma" in t for t in api.topic_texts(GROUP)),
                "the group told")  # fmt: skip
    mark = len(sent(api, BEN))
    await press(api, BEN, "menu:counseling")  # Konseling aktif: declined, may ask again
    shown = await expect(api, BEN, "Pengajuan konseling Anda sebelumnya belum bisa", mark)
    assert "Jadwal penuh {minggu} ini" in shown
    await press(api, BEN, "counseling:ask")
    await expect(api, BEN, "Tulis singkat alasan", mark)


class FakeReview:
    """Stands in for bot/evidence/review.py's EvidenceReview (not merged yet) behind the
    hook: the same calls."""

    def __init__(self, person: int) -> None:
        self.person = person
        self.done: list[tuple[str, int, str]] = []

    async def pending(self, limit: int = 50) -> list[Any]:
        from types import SimpleNamespace

        return [SimpleNamespace(id=31, person_id=self.person),
                SimpleNamespace(id=32, person_id=self.person + 1)]  # fmt: skip

    async def accept(self, evidence_id: int, reviewer: str, *, notify: bool = True) -> Any:
        from types import SimpleNamespace

        self.done.append(("accept", evidence_id, reviewer))
        return SimpleNamespace(person_id=self.person)

    async def reject(self, evidence_id: int, reason: str, reviewer: str) -> Any:
        from types import SimpleNamespace

        self.done.append(("reject", evidence_id, reason))
        return SimpleNamespace(person_id=self.person)


async def test_evidence_is_reviewed_from_the_topic_through_the_hook(
    api: FakeBotAPI, settings: Settings, clock: FrozenClock
) -> None:
    tg = replace(
        settings, telegram_token=api.token, telegram_api_base=api.base_url,
        telegram_chat_interval=0, counseling=CounselingSettings(chat_id=GROUP),
    )  # fmt: skip
    app = await build_app(tg, clock=clock)
    async with app.db.write() as conn:
        await store.add_counselor(conn, SITI, "Siti Rahma", clock())
    review = FakeReview(person=0)
    runtime = counseling_runtime(app, evidence=review)
    for sender in runtime.senders:
        sender.chat_interval = 0
    task = asyncio.create_task(runtime.run_polling())
    try:
        person = await consented_jobseeker(api, app, clock)
        review.person = person
        async with app.db.write() as conn:
            await store.set_topic(conn, person, 4300)
        api.topics.setdefault(GROUP, {})[4300] = {"name": "x", "closed": False, "deleted": False}
        api.push_update(forum_update(GROUP, SITI, "/bukti", thread=4300))
        listed = lambda: any("pemeriksaan: #31" in t for t in api.topic_texts(GROUP, 4300))  # noqa: E731
        await until(api, listed, "the list")
        assert "#32" not in api.topic_texts(GROUP, 4300)[-1]  # only this person's
        await group_press(api, SITI, "cs:ev:ok:31")
        await until(api, lambda: review.done == [("accept", 31, "counselor:Siti Rahma")], "accept")
        await group_press(api, SITI, "cs:ev:no:31")
        await until(api, lambda: any("Bukti #31: balas" in t for t in
                                     api.topic_texts(GROUP, 4300)), "the prompt")  # fmt: skip
        in_topic = api.topic_messages(GROUP, 4300)
        prompt = next(m for m in in_topic if "Bukti #31: balas" in m["text"])
        api.push_update(forum_update(GROUP, SITI, "Foto buram", thread=4300, reply_to=prompt))
        await until(api, lambda: ("reject", 31, "Foto buram") in review.done, "reject")
        assert {"open", "evidence"} <= set(await _audit_actions(app, person))
    finally:
        runtime.stop.set()
        await asyncio.wait_for(task, 15)
        await app.close()


async def test_an_sms_beneficiary_with_a_telegram_counselor(
    rt: TelegramRuntime, api: FakeBotAPI, clock: FrozenClock
) -> None:
    """The person texts by SMS (through the webhook, signed as Twilio signs it; replies
    through the outbox to the fake gateway), the counselor works on Telegram: the request,
    the slot, the session both ways (a counselor's photo becomes a line saying it cannot be
    shown by SMS) and its end."""
    from bot.testing.sms_client import SmsChatClient, sms_harness

    async with sms_harness(rt.app) as harness:
        app = harness.app
        client = SmsChatClient(harness)
        await client.send("halo")
        await client.click("consent:agree")
        async with app.db.read() as conn:
            snap = await people.snapshot(conn, "sms", client.number)
        assert snap is not None
        job = catalog().occupations[0].title
        async with app.db.write() as conn:
            record = RegistrationRecord(job, "ter_phk", "none")
            await save_registration(conn, snap.person.id, record, clock())
        await client.click("menu:counseling")
        await client.send("1")  # Daftar sebagai konseli
        assert "utter_counseling_registered" in client.said()
        await client.click("counseling:ask")
        await client.send("Saya ingin tahu pelatihan yang cocok untuk saya")
        assert client.said()[0] == "utter_counseling_requested"
        await group_press(api, SITI, "cs:ok:")
        await group_press(api, SITI, "cs:slot:", "202506021100")
        await until(api, lambda: bool(api.topics.get(GROUP)), "the person's topic")
        thread = topic(api)
        await harness.drain()
        assert any("Senin, 2 Juni 2025 pukul 11.00 WIB" in r.text for r in client.output.replies)
        assert any("11.00 WIB" in m.body for m in harness.fake.sent)  # it went by SMS
        clock.advance(hours=1)
        await client.send("menu")
        replies = await client.click("menu:counseling")
        assert "1. Mulai konseling" in replies[0].plain
        await client.send("1")
        assert client.said() == ["utter_counseling_started"]
        await client.send("Baik, terima kasih")  # in session: for the counselor
        said = lambda: api.topic_texts(GROUP, thread)  # noqa: E731
        await until(api, lambda: any(t.endswith(": Baik, terima kasih") for t in said()), "sent")
        api.push_update(forum_update(GROUP, SITI, "Ini brosurnya", thread=thread,
                                     photo="AgACbrosur"))  # fmt: skip
        await until(api, lambda: any("SMS atau konsol" in t for t in said()), "counselor told")
        await harness.drain()
        last = client.output.replies[-1]
        assert last.keys == ("utter_counselor_says", "utter_counselor_file_not_shown")
        assert "Siti Rahma: Ini brosurnya" in harness.fake.sent[-1].body
        api.push_update(forum_update(GROUP, SITI, "/selesai", thread=thread))
        await until(api, lambda: any("selesai. Kertas kerja" in t for t in
                                     api.topic_texts(GROUP, thread)), "ended")  # fmt: skip
        await harness.drain()
        assert client.output.replies[-1].keys[0] == "utter_counseling_ended"
