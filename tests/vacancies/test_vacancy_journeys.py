"""The vacancy journeys through the whole engine, on SQLite and PostgreSQL: an application made
in chat is one row with its CV snapshot encrypted at rest, counted for the month, shown in
DATA, and gone after HAPUS."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.records.applications import load_applications
from bot.records.model import SaveProfileSection
from bot.storage.models import Application, table
from bot.testing.client import ChatClient, consented
from bot.testing.db import apply_effects, count, person_row
from bot.vacancies.importer import import_text

A = table(Application)
CATALOGUE = Path(__file__).with_name("data") / "relevance_catalogue.csv"


async def load_catalogue(app: App) -> None:
    now = app.engine.clock()
    text = CATALOGUE.read_text(encoding="utf-8")
    assert not (await import_text(app.db.engine, text, "csv", now=now, today=now.date())).errors


async def test_apply_in_chat_keeps_an_encrypted_cv_snapshot_and_hapus_removes_it(app: App) -> None:
    await load_catalogue(app)
    client = await consented(ChatClient(app.engine, user="lamar"))
    person = (await person_row(app, "console", "lamar")).id
    personal = {"pf_full_name": "Sutrisno Wibowo", "pf_birth_date": "1990-08-17"}
    await apply_effects(app, person, SaveProfileSection("personal", (personal,)))
    await client.click("menu:vacancies")
    await client.send("admin jaksel")
    hit = next(b for b in client.last[-1].buttons if b.title.startswith("Staf Administrasi"))
    await client.click(hit.payload)
    assert "utter_ask_vac_card" in client.said()
    vacancy = hit.payload.removeprefix("vac:")
    await client.click(f"vapply:{vacancy}")
    assert client.said() == ["utter_vac_applied", "utter_vac_month_count_calendar",
                             "utter_ask_vac_after_apply"]  # fmt: skip
    await client.click(f"vapply:{vacancy}")  # the same button again: nothing new
    assert client.said()[0] == "utter_vac_already_applied"
    async with app.db.read() as conn:
        (application,) = await load_applications(conn, person)
        row = (await conn.execute(select(A.c.data, A.c.via).where(A.c.person_id == person))).one()
        raw = [str(r[0]) for r in await conn.exec_driver_sql("SELECT data FROM applications")]
    assert (application.title, application.company) == ("Staf Administrasi",
                                                         "PT Graha Mandiri Properti")  # fmt: skip
    assert row.via == "catalogue"
    assert row.data["cv"]["personal"]["pf_full_name"] == "Sutrisno Wibowo"
    assert raw and not any("Sutrisno" in r or "Graha" in r for r in raw)  # encrypted at rest
    await client.send("data")
    assert "- Staf Administrasi, PT Graha Mandiri Properti\nDikirim 2 Juni 2025" in client.text()
    await client.send("hapus")
    await client.click("delete:yes")
    assert await count(app, Application) == 0
