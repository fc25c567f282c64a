"""The CV as a one-page A4 PDF (fpdf2, the library the counseling worksheet uses), in the
usual Indonesian layout: the name, then Data pribadi, Pendidikan, Pengalaman kerja,
Pelatihan, Sertifikasi, Prestasi, Bahasa and Keterampilan, each only when the profile holds
it; the profile photo top right when there is one.

It always fits one page: it is drawn again with a smaller font while it does not, and at
the smallest size whatever would not fit is left out. The words a stored choice stands for
(education level, gender, language level) are the titles of its buttons in domain.yml.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.dialogs.profile import real_entries
from bot.knowledge.catalog import catalog
from bot.records.model import ProfileRecord, RegistrationRecord
from bot.rules.parsing import format_date

log = logging.getLogger(__name__)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
SIZES = (10.0, 9.0, 8.0, 7.0)  # body font sizes tried in turn until it fits one page
PHOTO_W, PHOTO_H = 30.0, 40.0  # mm, a 3x4 pas foto
Title = Callable[[str], str | None]  # a button payload -> its title in domain.yml


@dataclass(frozen=True)
class CvSection:
    heading: str
    lines: tuple[str, ...]


def _year_span(start: Any, end: Any) -> str:
    if start and end:
        return f"{start}-{end}" if str(start) != str(end) else str(start)
    return str(start or end or "")


def _join(*parts: Any, sep: str = ", ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, "", "none"))


def _regency(code: Any) -> str:
    region = catalog().regency(str(code)) if code else None
    return f"{region.name}, {region.province}" if region else str(code or "")


def cv_name(profile: ProfileRecord) -> str:
    """The person's name as written in the profile ("" when not given yet)."""
    personal = profile.single("personal") or {}
    return " ".join(str(personal.get("pf_full_name") or "").split())


def sections(
    profile: ProfileRecord, registration: RegistrationRecord | None, title: Title
) -> list[CvSection]:
    """What the CV says, in order (headings with no lines are left out)."""

    def choice(slot: str, value: Any) -> str:
        return title(f"{slot}:{value}") or str(value) if value else ""

    data = profile.as_data()
    personal: Mapping[str, Any] = data.get("personal") or {}
    about = []
    if born := personal.get("pf_birth_date"):
        about.append(f"Tanggal lahir: {format_date(date.fromisoformat(str(born)))}")
    if (gender := personal.get("pf_gender")) and gender != "undisclosed":
        about.append(f"Jenis kelamin: {choice('pf_gender', gender)}")
    if domicile := personal.get("pf_domicile"):
        about.append(f"Domisili: {_regency(domicile)}")
    if registration is not None and registration.job:
        about.append(f"Pekerjaan yang diinginkan: {registration.job}")

    def entries(name: str) -> list[dict[str, Any]]:
        return real_entries(data.get(name))

    education = [
        _join(
            choice("pf_edu_level", e.get("pf_edu_level")),
            e.get("pf_edu_school"),
            e.get("pf_edu_major"),
            e.get("pf_edu_year"),
        )
        for e in sorted(entries("education"), key=lambda e: -int(e.get("pf_edu_year") or 0))
    ]
    experience = [
        _join(
            e.get("pf_exp_position"),
            e.get("pf_exp_company"),
            _year_span(e.get("pf_exp_start"), e.get("pf_exp_end")),
        )
        for e in sorted(entries("experience"), key=lambda e: -int(e.get("pf_exp_start") or 0))
    ]
    training = [
        _join(e.get("pf_trn_name"), e.get("pf_trn_organizer"), e.get("pf_trn_year"))
        for e in entries("training")
    ]
    certification = [
        _join(e.get("pf_cert_name"), e.get("pf_cert_issuer"), e.get("pf_cert_year"))
        for e in entries("certification")
    ]
    achievement = [
        _join(e.get("pf_ach_title"), e.get("pf_ach_year")) for e in entries("achievement")
    ]
    languages = [
        _join(e.get("pf_lang_name"), choice("pf_lang_level", e.get("pf_lang_level")), sep=" - ")
        for e in entries("language")
    ]
    skills = [str(e.get("pf_skill_name")) for e in entries("skill") if e.get("pf_skill_name")]
    found = [
        CvSection("Data pribadi", tuple(about)),
        CvSection("Pendidikan", tuple(education)),
        CvSection("Pengalaman kerja", tuple(experience)),
        CvSection("Pelatihan", tuple(training)),
        CvSection("Sertifikasi", tuple(certification)),
        CvSection("Prestasi", tuple(achievement)),
        CvSection("Bahasa", (", ".join(languages),) if languages else ()),
        CvSection("Keterampilan", (", ".join(skills),) if skills else ()),
    ]
    return [s for s in found if s.lines]


def render_cv(
    profile: ProfileRecord,
    registration: RegistrationRecord | None,
    title: Title,
    photo: bytes | None = None,
) -> bytes:
    """The CV's PDF bytes: always one page."""
    name = cv_name(profile) or "-"
    content = sections(profile, registration, title)
    for size in SIZES:
        pdf = _draw(name, content, photo, size, clip=size == SIZES[-1])
        try:
            if pdf.pages_count == 1 or size == SIZES[-1]:
                return bytes(pdf.output())
        finally:
            _close_fonts(pdf)
    raise AssertionError("unreachable: the smallest size always fits")


def _close_fonts(pdf: Any) -> None:
    """fpdf2 reads fonts lazily and leaves the files open: close them now."""
    for font in pdf.fonts.values():
        if (ttfont := getattr(font, "ttfont", None)) is not None:
            ttfont.close()


def _font(pdf: Any) -> str:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


def _draw(name: str, content: Sequence[CvSection], photo: bytes | None, size: float,
          *, clip: bool) -> Any:  # fmt: skip
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("Pendamping JKP")
    pdf.set_auto_page_break(auto=not clip, margin=12)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    family = _font(pdf)
    unicode_font = family == "DejaVu"
    bottom = pdf.h - 12

    def text(value: str) -> str:
        return value if unicode_font else value.encode("latin-1", "replace").decode("latin-1")

    width = pdf.w - pdf.l_margin - pdf.r_margin
    if photo and _place_photo(pdf, photo):
        width -= PHOTO_W + 5
    pdf.set_font(family, "B", size + 8)
    pdf.multi_cell(width, (size + 8) * 0.5, text(name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", size)
    pdf.multi_cell(width, size * 0.5, "Curriculum Vitae", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(size * 0.4)
    top_limit = 15 + PHOTO_H + 3 if photo else 0
    for section in content:
        if clip and pdf.get_y() + size > bottom:
            break
        pdf.ln(size * 0.3)
        pdf.set_font(family, "B", size + 2)
        pdf.cell(0, (size + 2) * 0.55, text(section.heading.upper()), new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y()
        pdf.set_draw_color(120, 120, 120)
        pdf.line(pdf.l_margin, y, pdf.l_margin + (width if y < top_limit else pdf.epw), y)
        pdf.ln(1)
        pdf.set_font(family, "", size)
        for line in section.lines:
            if clip and pdf.get_y() + size * 0.5 > bottom:
                break
            w = width if pdf.get_y() < top_limit else pdf.epw
            bullet = "- " if section.heading not in ("Data pribadi",) else ""
            pdf.multi_cell(w, size * 0.5, text(bullet + line), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _place_photo(pdf: Any, photo: bytes) -> bool:
    """The photo top right, as a 3x4 pas foto; a picture that cannot be read is left out."""
    try:
        pdf.image(io.BytesIO(photo), x=pdf.w - pdf.r_margin - PHOTO_W, y=15, w=PHOTO_W,
                  h=PHOTO_H, keep_aspect_ratio=True)  # fmt: skip
    except Exception:  # not an image fpdf2 and Pillow can read
        log.warning("the profile photo could not be placed on the CV; left out")
        return False
    return True
