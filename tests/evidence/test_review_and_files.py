"""Review (accept, reject with a reason: the person told through the outbox, the month counted
again), the operator's command, and the files' life: deleted with the person (HAPUS, the
retention purge), orphans swept, re-encrypted by ``jkp-bot rekey``. On the disk, not only in
the tables."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.cli import _parser, main
from bot.evidence.files import PreparedImage, receive_local
from bot.evidence.review import EvidenceReview, ReviewError
from bot.evidence.review_cli import run_review
from bot.records.model import SetBenefitStart
from bot.settings import Settings
from bot.storage.crypto import Cipher, new_key
from bot.storage.models import BenefitMonthRow, EvidenceFile, EvidenceRow, table
from bot.testing.client import ChatClient, consented
from bot.testing.clock import FrozenClock
from bot.testing.db import apply_effects, snapshot
from bot.testing.images import sample
from scheduler.jobs import purge_inactive

START = date(2025, 4, 15)  # the frozen clock's today (2 June 2025) is in month 2


def sample_path(folder: Path, name: str) -> Path:
    data, suffix = sample(name)
    path = folder / f"{name}{suffix}"
    path.write_bytes(data)
    return path


async def uploader(app: App, user: str, tmp_path: Path) -> ChatClient:
    client = await consented(ChatClient(app.engine, user=user, intake=app.intake))
    snap = await snapshot(app, "console", user)
    assert snap is not None
    await apply_effects(app, snap.person.id, SetBenefitStart(START))
    await client.click("menu:evidence")
    return client


async def person_of(app: App, client: ChatClient) -> int:
    snap = await snapshot(app, client.channel, client.user)
    assert snap is not None
    return snap.person.id


async def upload(
    client: ChatClient, folder: Path, company: str, *photos: str, finish: bool = True
) -> None:
    await client.click("ev:upload")
    await client.click("ev_kind:application")
    await client.send(company)
    await client.send("28 Mei 2025")
    for name in photos:
        await client.photo(sample_path(folder, name))
        assert client.said() == ["utter_ev_photo_received"], client.text()
    if finish:
        await client.click("ev:done")
        assert client.said()[0] == "utter_ev_recorded_application"


async def evidence_ids(app: App) -> list[int]:
    async with app.db.read() as conn:
        return list((await conn.execute(select(table(EvidenceRow).c.id))).scalars())


async def files_of(app: App, user: str | None = None) -> list[str]:
    """The file references in the database (of one console user's person)."""
    F = table(EvidenceFile)
    stmt = select(F.c.ref)
    if user is not None:
        snap = await snapshot(app, "console", user)
        assert snap is not None
        stmt = stmt.where(F.c.person_id == snap.person.id)
    async with app.db.read() as conn:
        return list((await conn.execute(stmt)).scalars())


# -- review ----------------------------------------------------------------------------------
async def test_a_rejection_is_told_with_its_reason_and_stops_counting(
    app: App, tmp_path: Path
) -> None:
    client = await uploader(app, "r1", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1", "letter2")
    review = EvidenceReview(app)
    (entry,) = await review.pending()
    assert (entry.kind.value, entry.act_on, entry.files) == ("application", date(2025, 5, 28), 2)
    async with app.db.read() as conn:
        row = (await conn.execute(select(table(BenefitMonthRow)).where(
            table(BenefitMonthRow).c.number == 2))).one()  # fmt: skip
    assert (row.outside_done, row.pending) == (1, 1)

    decision = await review.reject(entry.id, "Nama perusahaan di foto tidak terbaca", "ani")
    assert decision.changed and decision.notified == 1
    await client.sender.drain()  # what the person's channel would deliver now
    said = [k for r in client.output.replies[-1:] for k in r.keys]
    assert said == [
        "utter_ev_rejected_application",
        "utter_ev_counted_in",
        "utter_ev_route_outside_companies",
        "utter_ev_missing",
        "utter_ev_open",
    ]
    text = client.output.replies[-1].plain
    assert "PT Satu (28 Mei 2025) tidak dapat diterima" in text
    assert "Alasannya: Nama perusahaan di foto tidak terbaca." in text
    assert "0 dari 5 perusahaan" in text
    async with app.db.read() as conn:
        row = (await conn.execute(select(table(BenefitMonthRow)).where(
            table(BenefitMonthRow).c.number == 2))).one()  # fmt: skip
    assert (row.outside_done, row.pending) == (0, 0)
    assert await review.pending() == []
    again = await review.reject(entry.id, "Nama perusahaan di foto tidak terbaca", "ani")
    assert not again.changed and again.notified == 0

    await client.click("ev:history")
    assert "lamaran ke PT Satu, ditolak: Nama perusahaan di foto tidak terbaca" in client.text()
    with pytest.raises(ReviewError):
        await review.reject(entry.id, "   ", "ani")
    with pytest.raises(ReviewError):
        await review.accept(999_999, "ani")


async def test_a_notification_keeps_an_upload_in_progress(app: App, tmp_path: Path) -> None:
    client = await uploader(app, "r2", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1")
    await upload(client, tmp_path, "PT Dua", "letter2", finish=False)  # at the photo step
    (first,) = await evidence_ids(app)
    await EvidenceReview(app).accept(first, "ani")
    await client.sender.drain()
    assert client.output.replies[-1].keys[0] == "utter_ev_accepted_application"
    await client.photo(sample_path(tmp_path, "letter3"))  # the upload goes on
    assert client.said() == ["utter_ev_photo_received"]
    await client.click("ev:done")
    assert "PT Dua, tanggal 28 Mei 2025, 2 foto" in client.text()


async def test_stop_silences_an_acceptance_but_not_a_rejection(app: App, tmp_path: Path) -> None:
    client = await uploader(app, "r3", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1")
    await upload(client, tmp_path, "PT Dua", "letter2")
    await client.send("stop")
    review = EvidenceReview(app)
    one, two = sorted(await evidence_ids(app))
    assert (await review.accept(one, "ani")).notified == 0
    assert (await review.reject(two, "Foto terpotong", "ani")).notified == 1


async def test_the_review_command(
    app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = await uploader(app, "c0", tmp_path)
    await upload(other, tmp_path, "PT Satu", "letter7")
    client = await uploader(app, "c1", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter7-q40", "letter8")  # near the other's
    first, second = sorted(await evidence_ids(app))

    async def review(*words: str) -> int:
        return await run_review(app, _parser().parse_args(["evidence", "review", *words]))

    assert await review() == 0
    listed = capsys.readouterr().out
    assert f"#{first} " in listed and f"#{second} " in listed and "2 piece(s) waiting" in listed
    assert listed.count("NEAR-DUPLICATE") == 1
    export = tmp_path / "look"
    assert await review("show", str(second), "--export", str(export)) == 0
    shown = capsys.readouterr().out
    assert "company:  PT Satu" in shown and "act date: 2025-05-28" in shown
    assert "NEAR-DUPLICATE (distance" in shown and f"(evidence #{first})" in shown
    written = sorted(export.iterdir())
    assert len(written) == 2
    for path in written:
        assert path.read_bytes().startswith(b"\xff\xd8")  # decrypted JPEGs, for the eye
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await review("reject", str(second)) == 2
    assert "needs a reason" in capsys.readouterr().out
    reason = ("--reason", "Salinan foto orang lain", "--reviewer", "ani")
    assert await review("reject", str(second), *reason) == 0
    assert "rejected; the person was told" in capsys.readouterr().out
    assert await review("accept", str(first), "--quiet") == 0
    assert "accepted; the person was not told" in capsys.readouterr().out
    assert await review("show") == 2


def test_jkp_bot_evidence_review_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'jkp.sqlite3'}")
    monkeypatch.delenv("EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    assert main(["evidence", "review"]) == 0
    assert "0 piece(s) waiting for review" in capsys.readouterr().out
    assert main(["evidence", "review", "accept", "5"]) == 2
    assert "no evidence #5" in capsys.readouterr().out


# -- files -----------------------------------------------------------------------------------
async def test_hapus_deletes_the_persons_files_and_only_theirs(app: App, tmp_path: Path) -> None:
    keep = await uploader(app, "h0", tmp_path)
    await upload(keep, tmp_path, "PT Satu", "letter1")
    client = await uploader(app, "h1", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1", "letter2")  # the same picture: own file
    await upload(client, tmp_path, "PT Dua", "letter3", finish=False)  # staged, not recorded
    before = set(await files_of(app))
    theirs = await files_of(app, "h1")
    assert len(before) == 4 and len(theirs) == 3 and await app.files.refs() == before
    await client.send("hapus")
    await client.click("delete:yes")
    assert client.said() == ["utter_data_deleted"]
    assert set(await files_of(app)) == before - set(theirs)
    assert await app.files.refs() == before - set(theirs)  # on the disk too
    assert len(await evidence_ids(app)) == 1


async def test_cancel_deletes_the_photos_sent_so_far(app: App, tmp_path: Path) -> None:
    client = await uploader(app, "b1", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1")
    await upload(client, tmp_path, "PT Dua", "letter2", "letter3", finish=False)
    assert len(await app.files.refs()) == 3
    await client.send("batal")
    assert client.said() == ["utter_ev_cancelled", "utter_menu"]
    assert len(await files_of(app)) == 1 and len(await app.files.refs()) == 1


async def test_a_rejected_photo_may_be_sent_again(app: App, tmp_path: Path) -> None:
    client = await uploader(app, "s1", tmp_path)
    await upload(client, tmp_path, "PT Satu", "letter1")
    (piece,) = await evidence_ids(app)
    await EvidenceReview(app).reject(piece, "Tanggalnya salah ketik", "ani")
    await upload(client, tmp_path, "PT Satu", "letter1")  # accepted again, for a new piece
    assert len(await evidence_ids(app)) == 2
    assert len(await app.files.refs()) == 1  # the same file, named by owner and content


async def test_the_purge_deletes_files_of_inactive_persons_and_sweeps_orphans(
    app: App, tmp_path: Path, clock: FrozenClock
) -> None:
    gone = await uploader(app, "p0", tmp_path)
    await upload(gone, tmp_path, "PT Satu", "letter1")
    clock.advance(days=app.settings.retention_days + 1)
    stays = await uploader(app, "p1", tmp_path)
    await upload(stays, tmp_path, "PT Dua", "letter2")
    # Orphans: stored files no row refers to (a crash between storing and recording).
    old = await app.files.put("person:999", await prepared(app, tmp_path, "letter6"))
    new = await app.files.put("person:999", await prepared(app, tmp_path, "letter7"))
    hours_ago = (clock.now - timedelta(hours=2)).timestamp()
    os.utime(app.files.path_of(old.ref), (hours_ago, hours_ago))
    os.utime(app.files.path_of(new.ref), (clock.now.timestamp(), clock.now.timestamp()))
    assert len(await app.files.refs()) == 4

    assert await purge_inactive(app) == 1
    rows = set(await files_of(app))
    assert rows == set(await files_of(app, "p1")) and len(rows) == 1
    assert await app.files.refs() == rows | {new.ref}  # the young orphan waits its turn


async def prepared(app: App, folder: Path, name: str) -> PreparedImage:
    return await receive_local(str(sample_path(folder, name)), app.files, app.settings.evidence)


async def test_rekey_seals_the_files_with_the_new_key(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    from bot.cli import _rekey

    app = await build_app(settings, clock=clock)
    try:
        client = await uploader(app, "k1", tmp_path)
        await upload(client, tmp_path, "PT Satu", "letter1", "letter2")
        refs = await app.files.refs()
    finally:
        await app.close()
    new = new_key()
    rotated = replace(settings, encryption_keys=f"{new},{settings.encryption_keys}")
    rows, files = await _rekey(rotated)
    assert files == 2 and rows > 0
    only_new = Cipher([new])
    for ref in refs:  # readable with the new key alone
        data = only_new.open_bytes((Path(settings.evidence.directory) / ref[:2] / ref).read_bytes())
        assert data.startswith(b"\xff\xd8")


async def test_near_duplicates_need_both_hashes_near(app: App, tmp_path: Path) -> None:
    """Different pages of one layout often have pHashes a few bits apart; only a copy of the
    same picture is near on the dHash too."""
    from bot.core.types import Upload
    from bot.records.evidence_model import StageUpload

    async def staged(person_id: int, name: str) -> int | None:
        image = await prepared(app, tmp_path, name)
        stored = await app.files.put(f"person:{person_id}", image)
        upload = Upload(ref=stored.ref, sha256=stored.sha256, phash=stored.phash,
                        dhash=stored.dhash, mime=stored.mime, width=stored.width,
                        height=stored.height, size=stored.size)  # fmt: skip
        await apply_effects(app, person_id, StageUpload(upload))
        F = table(EvidenceFile)
        async with app.db.read() as conn:
            return (
                await conn.execute(select(F.c.near_file_id).where(F.c.ref == stored.ref))
            ).scalar_one()

    a, b = [await person_of(app, await uploader(app, user, tmp_path)) for user in ("n1", "n2")]
    for seed in range(20):
        assert await staged(a, f"letter{seed}") is None
    flagged = [seed for seed in range(40, 60) if await staged(b, f"letter{seed}") is not None]
    assert flagged == []  # other letters of the same layout: not flagged
    near = await staged(b, "letter7-q40")  # a recompressed copy of a's seventh letter
    F = table(EvidenceFile)
    async with app.db.read() as conn:
        (seventh,) = (await conn.execute(
            select(F.c.id).where(F.c.person_id == a).order_by(F.c.id).offset(7).limit(1)
        )).scalars()  # fmt: skip
    assert near == seventh
