"""Unduh CV: the PDF (one page, the name, the jobs, the photo; a full and an almost empty
profile, parsed back with pypdf), the dialog on the console (a file written where the reply
says, the stored copy deleted) and on SMS, and HAPUS removing a CV not delivered yet."""

from __future__ import annotations

import io
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest

from bot.app import App
from bot.channels.console import CHANNEL, ConsoleOutput
from bot.core.domain import load_default_domain
from bot.core.types import EventKind, InboundEvent
from bot.cv.render import render_cv
from bot.evidence.upkeep import sweep_files
from bot.records.model import ProfileRecord, RegistrationRecord, SaveProfileSection
from bot.testing.client import ChatClient, consented
from bot.testing.db import apply_effects, snapshot
from bot.testing.images import photo
from scheduler.outbox import OutboxSender

PERSONAL = {"pf_full_name": "Siti Rahmawati", "pf_birth_date": "1990-08-17",
            "pf_gender": "female", "pf_domicile": "3275"}  # fmt: skip
# fmt: off
FULL: dict[str, tuple[dict[str, Any], ...]] = {
    "personal": (PERSONAL,),
    "education": ({"pf_edu_level": "smk", "pf_edu_school": "SMK Negeri 1 Bekasi",
                   "pf_edu_major": "Akuntansi", "pf_edu_year": 2008},),
    "experience": (
        {"pf_exp_position": "Operator Produksi", "pf_exp_company": "PT Sinar Jaya",
         "pf_exp_start": 2015, "pf_exp_end": 2024},
        {"pf_exp_position": "Kasir", "pf_exp_company": "Toko Makmur", "pf_exp_start": 2009,
         "pf_exp_end": 2014},
    ),
    "training": ({"pf_trn_name": "K3 Umum", "pf_trn_organizer": "Disnaker Bekasi",
                  "pf_trn_year": 2019},),
    "certification": ({"pf_none": True},),
    "language": ({"pf_lang_name": "Inggris", "pf_lang_level": "intermediate"},),
    "skill": ({"pf_skill_name": "Microsoft Excel"}, {"pf_skill_name": "Mengemudi mobil"}),
}
# fmt: on
TITLE = load_default_domain().choice_title


def read(pdf: bytes) -> tuple[int, str, int]:
    """Pages, text, images of a PDF."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), text, sum(len(page.images) for page in reader.pages)


def test_a_full_profile_makes_one_page_in_the_indonesian_layout() -> None:
    job = RegistrationRecord("Operator Mesin Produksi", "ter_phk", "none")
    pages, text, images = read(render_cv(ProfileRecord(FULL), job, TITLE, photo(3, (300, 400))))
    assert pages == 1 and images == 1
    for expected in ("Siti Rahmawati", "DATA PRIBADI", "17 Agustus 1990", "Perempuan",
                     "Kota Bekasi", "PENDIDIKAN", "SMK, SMK Negeri 1 Bekasi, Akuntansi, 2008",
                     "PENGALAMAN KERJA", "Operator Produksi, PT Sinar Jaya, 2015-2024",
                     "Kasir, Toko Makmur, 2009-2014", "PELATIHAN", "K3 Umum",
                     "BAHASA", "Inggris - Menengah", "KETERAMPILAN", "Microsoft Excel",
                     "Pekerjaan yang diinginkan: Operator Mesin Produksi"):  # fmt: skip
        assert expected in text, expected
    assert "SERTIFIKASI" not in text  # answered "Tidak ada": left out
    assert text.index("Operator Produksi") < text.index("Kasir")  # the latest job first


def test_a_name_only_profile_and_an_unreadable_photo_still_make_a_page() -> None:
    profile = ProfileRecord({"personal": ({"pf_full_name": "Budi"},)})
    pages, text, images = read(render_cv(profile, None, TITLE, b"not a picture"))
    assert pages == 1 and images == 0
    assert "Budi" in text and "PENDIDIKAN" not in text and "PENGALAMAN" not in text


def test_a_very_long_profile_is_cut_to_one_page() -> None:
    many = {
        "personal": (PERSONAL,),
        "experience": tuple(
            {"pf_exp_position": f"Operator Produksi Mesin Injeksi {n}" + " x" * 30,
             "pf_exp_company": f"PT Sinar Jaya Abadi {n}", "pf_exp_start": 1990 + n,
             "pf_exp_end": 1991 + n}
            for n in range(10)
        ),
        "training": tuple({"pf_trn_name": "Pelatihan " * 10, "pf_trn_organizer": "BLK",
                           "pf_trn_year": 2000 + n} for n in range(10)),
        "achievement": tuple({"pf_ach_title": "Karyawan teladan " * 12, "pf_ach_year": 2010}
                             for _ in range(10)),
    }  # fmt: skip
    pages, text, _ = read(render_cv(ProfileRecord(many), None, TITLE, photo(1, (300, 400))))
    assert pages == 1 and "Siti Rahmawati" in text and "PT Sinar Jaya Abadi 9" in text


# -- the dialog -----------------------------------------------------------------------------
@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


async def person(app: App, client: ChatClient) -> int:
    snap = await snapshot(app, client.channel, client.user)
    assert snap is not None
    return snap.person.id


async def with_profile(app: App, client: ChatClient) -> None:
    effects = [SaveProfileSection(name, entries) for name, entries in FULL.items()]
    await apply_effects(app, await person(app, client), *effects)


async def test_without_a_name_the_profile_comes_first(app: App) -> None:
    client = await consented(ChatClient(app.engine, user="cv0"))
    await client.click("menu:cv")
    assert client.said() == ["utter_cv_needs_profile", "utter_menu"]
    assert client.last[0].payloads() == ["menu:profile"]
    assert await app.files.refs() == set()


async def test_on_the_console_the_cv_is_written_where_the_reply_says(
    app: App, tmp_path: Path
) -> None:
    client = await consented(ChatClient(app.engine, user="cv1"))
    await with_profile(app, client)
    out = io.StringIO()
    folder = tmp_path / "here"
    console = OutboxSender(app.db, CHANNEL, ConsoleOutput(app.engine.domain, out, app.files,
                                                          folder), app.engine.clock,
                           per_second=0, chat_interval=0)  # fmt: skip
    await app.engine.handle(InboundEvent(CHANNEL, "cv1", EventKind.TEXT, text="unduh cv"))
    assert len(await app.files.refs()) == 1  # made into the file store, encrypted
    await console.drain()
    written = folder / "CV Siti Rahmawati.pdf"
    printed = out.getvalue()
    assert "Ini CV Anda (PDF, 1 halaman)" in printed
    assert f"File CV disimpan di: {written.resolve()}" in printed
    pages, text, _ = read(written.read_bytes())
    assert pages == 1 and "Operator Produksi, PT Sinar Jaya" in text
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert await app.files.refs() == set()  # delivered: the stored copy is gone


async def test_a_cv_gone_before_delivery_is_said(app: App, tmp_path: Path) -> None:
    client = await consented(ChatClient(app.engine, user="cv2"))
    await with_profile(app, client)
    out = io.StringIO()
    console = OutboxSender(app.db, CHANNEL, ConsoleOutput(app.engine.domain, out, app.files,
                                                          tmp_path), app.engine.clock,
                           per_second=0, chat_interval=0)  # fmt: skip
    await app.engine.handle(InboundEvent(CHANNEL, "cv2", EventKind.CHOICE, payload="menu:cv"))
    for ref in await app.files.refs():
        await app.files.delete(ref)
    await console.drain()
    assert "File CV-nya sudah tidak tersedia" in out.getvalue()
    assert not (tmp_path / "CV Siti Rahmawati.pdf").exists()


async def test_hapus_deletes_a_cv_not_delivered_yet(app: App) -> None:
    keep = await consented(ChatClient(app.engine, user="cv3"))
    await with_profile(app, keep)
    await keep.click("menu:cv")  # the collecting test channel does not deliver files
    gone = await consented(ChatClient(app.engine, user="cv4"))
    await with_profile(app, gone)
    await gone.click("menu:cv")
    assert gone.said() == ["utter_cv_ready", "utter_menu"]
    assert len(await app.files.refs()) == 2
    await gone.send("hapus")
    await gone.click("delete:yes")
    assert gone.said()[0] == "utter_data_deleted"
    assert len(await app.files.refs()) == 1  # only the other person's
    (left,) = await app.files.refs()
    made = (app.engine.clock() - timedelta(hours=2)).timestamp()
    os.utime(app.files.path_of(left), (made, made))  # made two hours ago, never delivered
    assert await sweep_files(app.db, app.files, app.engine.clock()) == 1  # the daily sweep
    assert await app.files.refs() == set()


async def test_sms_is_told_to_use_telegram(app: App) -> None:
    client = await consented(ChatClient(app.engine, channel="sms", user="+6281234567890"))
    await with_profile(app, client)
    await client.click("menu:cv")
    assert client.said() == ["utter_cv_no_files_here", "utter_menu"]
    assert await app.files.refs() == set()
