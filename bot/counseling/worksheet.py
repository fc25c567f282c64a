"""Kertas Kerja Konseling Karir (Pedoman 1.4 item 20): the record of one counseling session —
the counselor's and the participant's profiles, the self-assessment results, the questions
asked and the participant's answers (the transcript), the counselor's notes, and the agreed
recommendations — as JSON and as a PDF (fpdf2).

The participant's profile and assessment are those kept with the session when it started
(``counseling_sessions.data.worksheet``), so the worksheet shows what the counselor saw;
a session that never started shows the records as they are now.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.counseling import store
from bot.knowledge.catalog import catalog

TITLE = "Kertas Kerja Konseling Karir"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


class WorksheetError(LookupError):
    pass


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def build(conn: AsyncConnection, session_id: int, now: datetime) -> dict[str, Any]:
    row = await store.session_row(conn, session_id)
    if row is None:
        raise WorksheetError(f"no counseling session #{session_id}")
    view = row.view
    counselor = await store.counselor_by_id(conn, view.counselor_id) if view.counselor_id else None
    snapshot = row.data.get("worksheet") or await store.worksheet_snapshot(conn, row.person_id)
    assessment = snapshot.get("assessment")
    groups = catalog().groups
    if assessment:
        assessment = {
            **assessment,
            "top3": [
                {"code": g["code"], "name": groups[g["code"]].name if g["code"] in groups else "",
                 "percent": g["percent"]}
                for g in assessment.get("groups", [])[:3]
            ],
        }  # fmt: skip
    lines = await store.entries(conn, session_id)
    applied = {e.get("vacancy") for e in lines if e["kind"] == "applied"}
    return {
        "title": TITLE,
        "basis": "Pedoman Manfaat Akses Informasi Pasar Kerja JKP, 1.4 angka 20 dan 3.6",
        "exported_at": now.isoformat(),
        "session": {
            "id": view.id, "kind": view.kind, "status": view.status,
            "requested_at": _iso(view.requested_at), "scheduled_at": _iso(view.scheduled_at),
            "started_at": _iso(view.started_at), "ended_at": _iso(view.ended_at),
            "reason": view.reason, "ended_by": row.data.get("ended_by"),
            "decline_reason": view.decline_reason or None,
        },
        "counselor": {
            "name": counselor.name if counselor else None,
            "title": counselor.title if counselor else None,
            "office": counselor.office if counselor else None,
        },
        "participant": {
            "person_id": row.person_id,
            "name": await store.display_name(conn, row.person_id),
            "profile": snapshot.get("profile") or {},
            "registration": snapshot.get("registration"),
        },
        "assessment": assessment,
        "transcript": [e for e in lines if e["kind"] in ("message", "photo", "document", "other")],
        "notes": [e for e in lines if e["kind"] == "note"],
        "recommendations": [
            {**e, "applied": e.get("vacancy") in applied}
            for e in lines if e["kind"] == "recommendation"
        ],
    }  # fmt: skip


def _font(pdf: Any) -> str:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


def _profile_lines(profile: dict[str, Any]) -> list[str]:
    out = []
    for section, value in profile.items():
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            fields = "; ".join(
                f"{k.removeprefix('pf_')}: {v}" for k, v in entry.items() if v not in (None, "")
            )
            out.append(f"{section}: {fields}")
    return out or ["-"]


def write_pdf(sheet: dict[str, Any], path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family = _font(pdf)
    unicode_font = family == "DejaVu"

    def text(value: Any) -> str:
        s = str(value if value is not None else "-")
        return s if unicode_font else s.encode("latin-1", "replace").decode("latin-1")

    def heading(value: str) -> None:
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)

    def line(value: Any) -> None:
        pdf.multi_cell(0, 5, text(value), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(family, "B", 15)
    pdf.multi_cell(0, 9, text(sheet["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    line(sheet["basis"])
    session = sheet["session"]
    heading(f"Sesi #{session['id']} ({session['kind']}, {session['status']})")
    for label, key in (("Diajukan", "requested_at"), ("Jadwal", "scheduled_at"),
                       ("Mulai", "started_at"), ("Selesai", "ended_at")):  # fmt: skip
        line(f"{label}: {session.get(key) or '-'}")
    line(f"Alasan pengajuan: {session.get('reason') or '-'}")
    heading("Profil Konselor")
    c = sheet["counselor"]
    line(f"Nama: {c.get('name') or '-'}")
    line(f"Jabatan: {c.get('title') or '-'}")
    line(f"Unit kerja: {c.get('office') or '-'}")
    heading("Profil Peserta")
    p = sheet["participant"]
    line(f"Nama: {p['name']}")
    reg = p.get("registration") or {}
    line(f"Pekerjaan yang diinginkan: {reg.get('job') or '-'}")
    for entry in _profile_lines(p.get("profile") or {}):
        line(entry)
    heading("Hasil Asesmen Diri")
    a = sheet.get("assessment")
    if a:
        line(f"Pekerjaan sebelumnya: {', '.join(a.get('previous') or []) or '-'}")
        line(f"Pekerjaan yang diinginkan: {', '.join(a.get('desired') or []) or '-'}")
        for i, g in enumerate(a.get("top3") or [], 1):
            line(f"{i}. {g['name'] or g['code']}: {g['percent']}%")
    else:
        line("Belum ada asesmen diri.")
    heading("Pertanyaan Konseling dan Tanggapan Peserta")
    for e in sheet["transcript"] or [{"at": "", "author": "", "words": "Belum ada percakapan."}]:
        who = e.get("counselor") if e.get("author") == "counselor" else "Peserta"
        file_note = f" [{e['kind']}]" if e.get("kind") in ("photo", "document") else ""
        line(f"{e.get('at', '')[:16]} {who or ''}{file_note}: {e.get('words') or ''}".strip())
    heading("Catatan Konselor")
    for e in sheet["notes"] or [{"words": "-"}]:
        line(f"- {e.get('words')}")
    heading("Hasil Kesepakatan Rekomendasi")
    for e in sheet["recommendations"] or [{"title": "-", "company": "", "applied": False}]:
        applied = " (sudah dilamar)" if e.get("applied") else ""
        line(f"- {e.get('title')} {('- ' + e['company']) if e.get('company') else ''}{applied}")
    pdf.output(str(path))
