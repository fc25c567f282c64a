"""The placement records with the real engine, intake and file store (SQLite and PostgreSQL):
the offer letter's photo is stored encrypted and named in the report; BATAL drops the started
report and its photo; HAPUS leaves no placement row, no photo row and no file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.records.placement_table import Placement
from bot.storage.models import EvidenceFile, table
from bot.testing.client import ChatClient, consented
from bot.testing.images import sample

PL, F = table(Placement), table(EvidenceFile)


async def rows(app: App) -> tuple[list[Any], list[Any]]:
    async with app.db.read() as conn:
        return (await conn.execute(select(PL))).all(), (await conn.execute(select(F))).all()


async def up_to_the_photo(app: App) -> ChatClient:
    client = ChatClient(app.engine, channel="telegram", user="77", intake=app.intake)
    await consented(client)
    await client.click("menu:placement")
    await client.send("30-05-2025")
    await client.send("PT Maju Jaya")
    await client.send("Operator produksi")
    assert client.said() == ["utter_ask_placement_photo"]
    return client


async def send_photo(client: ChatClient, folder: Path) -> None:
    data, suffix = sample("letter1")
    path = folder / f"letter1{suffix}"
    path.write_bytes(data)
    await client.photo(path)


async def test_the_photo_is_kept_with_the_report_and_erased_by_hapus(
    app: App, tmp_path: Path
) -> None:
    client = await up_to_the_photo(app)
    await send_photo(client, tmp_path)
    assert client.said()[0] == "utter_placement_photo_received"
    await client.click("placement_confirm:yes")
    (report,), (photo,) = await rows(app)
    assert report.status == "reported" and report.file_ref == photo.ref
    stored = app.files.path_of(photo.ref)
    assert stored.exists() and b"JFIF" not in stored.read_bytes()[:64]  # encrypted on disk
    await client.send("hapus")
    await client.click("delete:yes")
    assert await rows(app) == ([], [])
    assert not stored.exists()


async def test_a_second_photo_replaces_the_first(app: App, tmp_path: Path) -> None:
    client = await up_to_the_photo(app)
    await send_photo(client, tmp_path)
    await client.send("kembali")
    assert client.said() == ["utter_back_ok", "utter_ask_placement_photo"]
    data, suffix = sample("letter2")
    (tmp_path / f"letter2{suffix}").write_bytes(data)
    await client.photo(tmp_path / f"letter2{suffix}")
    await client.click("placement_confirm:yes")
    (report,), files = await rows(app)
    assert [f.ref for f in files] == [report.file_ref]


async def test_batal_drops_the_started_report_and_its_photo(app: App, tmp_path: Path) -> None:
    client = await up_to_the_photo(app)
    await send_photo(client, tmp_path)
    (started,), (photo,) = await rows(app)
    assert started.status == "started"
    await client.send("batal")
    assert client.said() == ["utter_placement_cancelled", "utter_menu"]
    assert await rows(app) == ([], [])
    assert not app.files.path_of(photo.ref).exists()


async def test_a_new_hire_date_moves_the_one_started_report(app: App) -> None:
    client = await up_to_the_photo(app)
    await client.click("placement_photo:skip")
    await client.click("placement_confirm:edit")
    await client.send("2 Juni 2025")
    (started,), _ = await rows(app)
    assert (started.status, str(started.hired_on), str(started.deadline)) == (
        "started", "2025-06-02", "2025-06-12")  # fmt: skip


async def test_buttons_of_a_finished_report_are_stale(app: App) -> None:
    client = await up_to_the_photo(app)
    await client.click("placement_photo:skip")
    await client.click("placement_confirm:yes")
    await client.click("placement_confirm:yes")  # pressed again, after the report was made
    assert client.said() == ["utter_invalid_stale_button", "utter_menu"]
    await client.click("placement_photo:skip")
    assert client.said() == ["utter_invalid_stale_button", "utter_menu"]
    (report,), _ = await rows(app)
    assert report.status == "reported"
