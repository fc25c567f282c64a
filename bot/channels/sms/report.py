"""How every response of domain.yml goes out by SMS: rendered as the SMS channel renders it
(``Domain.render`` + ``render_plain``: numbered options, the plain footer under questions),
its placeholders filled with realistic values — the longest real ones where the value comes
from reference data (an occupation, a job group, a province) — and measured.

``python -m bot.channels.sms.report`` prints the table (Markdown).
"""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass
from datetime import date

from bot.channels.sms.text import SmsLength, non_gsm7, sms_length, split_sms
from bot.core.domain import NAV_KEY, Domain, load_default_domain
from bot.core.plaintext import render_plain
from bot.core.types import OutboundMessage, Say
from bot.knowledge.catalog import catalog
from bot.rules.eligibility import CLAUSES
from bot.rules.parsing import format_date, format_rupiah

CHANNEL = "sms"


def _longest(values: list[str]) -> str:
    return max(values, key=len)


def sample_values() -> dict[str, str]:
    """A realistic value for each placeholder name used in domain.yml."""
    data = catalog()
    groups = sorted((g.name for g in data.groups.values()), key=len, reverse=True)
    cities = [r.name.removeprefix("Kota ") for r in data.regencies if r.name.startswith("Kota ")]
    jobs = sorted((o.title for o in data.occupations), key=len, reverse=True)
    from bot.knowledge.faq import faq_params
    from bot.rules.config import RuleSettings

    return {
        **faq_params(RuleSettings(), 365),  # the figures the FAQ answers quote
        "a": "100",
        "c": "100",
        "checked": format_date(date(2025, 9, 30)),
        "clause": "; ".join(CLAUSES.values()),  # "Dasar aturan": every clause at once
        "date": format_date(date(2025, 9, 30)),
        "desired": ", ".join(jobs[:3]),
        "e": "100",
        "i": "100",
        "next": "choice:profile:certification",
        "next_id": "certification",
        "previous": ", ".join(jobs[3:6]),
        "r": "100",
        "s": "100",
        # the evidence dialog (issue 9): dates as format_date writes them, the longest months
        **{
            name: format_date(date(2025, 9, 30))
            for name in ("start", "first", "last", "date", "day")
        },
        **dict.fromkeys(
            (
                "accepted",
                "pending",
                "rejected",
                "catalogue",
                "outside",
                "invitation",
                "applications",
                "done",
                "required",
                "number",
                "next",
            ),
            "5",
        ),
        "company": "PT Sinar Jaya Abadi Sentosa Tbk",
        "days": "31",
        "workdays": "21",
        "photos": "10",
        "points": "120",
        "why": "Foto buram, nama perusahaan dan tanggal surat tidak terbaca. Mohon kirim foto yang "
        "lebih jelas",
        "contract_end": format_date(date(2025, 9, 30)),
        "count": "3",
        "current": "PT Sinar Jaya Abadi Sentosa",
        "deadline": format_date(date(2025, 9, 30)),
        "example": _longest(cities),
        "explanation": _longest([g.explanation for g in data.groups.values()]),
        "groups": ", ".join(groups[:3]),
        "item": _longest([i.text for i in data.items]),
        "link": "https://t.me/pendamping_jkp_bot",
        "maximum": "100",
        "minimum": "12",
        "monthly": format_rupiah(3_000_000),
        "months": "6",
        "n": "36",
        "name": groups[0],
        "percent": "100",
        "pf_ach_title": "Karyawan Terbaik Bagian Produksi",
        "pf_ach_year": "2022",
        "pf_cert_issuer": "BNSP",
        "pf_cert_name": "Operator Forklift",
        "pf_cert_year": "2021",
        "pf_edu_level": "choice:pf_edu_level:sma",
        "pf_edu_major": "Teknik Pemesinan",
        "pf_edu_school": "SMK Negeri 2 Bekasi",
        "pf_edu_year": "2012",
        "pf_exp_company": "PT Sinar Jaya Abadi Sentosa",
        "pf_exp_end": format_date(date(2025, 5, 31)),
        "pf_exp_position": _longest([o.title for o in data.occupations]),
        "pf_exp_start": format_date(date(2015, 3, 1)),
        "pf_lang_level": "choice:pf_lang_level:intermediate",
        "pf_lang_name": "Bahasa Inggris",
        "pf_skill_name": "Mengemudi mobil (SIM A)",
        "pf_trn_name": "Pelatihan K3 Umum",
        "pf_trn_organizer": "Balai Latihan Kerja Bekasi",
        "pf_trn_year": "2019",
        "phk_date": format_date(date(2025, 3, 15)),
        "province": _longest([p.name for p in data.provinces]),
        "rank": "3",
        "rate": "60",
        "reason": "choice:reason:resign",
        "retention_days": "365",
        "section": "choice:profile:experience",
        "title": _longest([o.title for o in data.occupations]),
        "total": "36",
        "value": "Kabupaten Bekasi, Jawa Barat",
        "wage_basis": format_rupiah(5_000_000),
        "wage_cap": format_rupiah(5_000_000),
        "window_months": "6",
        # counseling (issue 11); staff texts are read on Telegram, measured all the same
        "catalogue": "3",
        "closes": format_date(date(2025, 9, 30)),
        "context": "eligibility:contribution_months",
        "counselor": "Dra. Siti Nurhaliza Kusumawardhani",
        "evidence": "1234",
        "invitations": "1",
        "items": "#12 Budi (lamaran), #13 Ani (panggilan)",
        "job": _longest([o.title for o in data.occupations]),
        "mention_ids": "123456789,987654321",
        "met": "belum",
        "minutes": "10",
        "names": "Dra. Siti Nurhaliza (3 Juni 2025), Ahmad Fauzi (4 Juni 2025)",
        "number": "2",
        "outside": "2",
        "place": "Kabupaten Bekasi",
        "position": "Operator Mesin Produksi / PT Sinar Jaya Abadi Sentosa",
        "request_reason": (
            "Saya bingung memilih pekerjaan baru yang cocok dengan pengalaman saya sebagai "
            "operator mesin selama delapan tahun, dan ingin tahu pelatihan apa yang perlu."
        ),
        "school": "SMK Negeri 2 Bekasi",
        "session": "12345",
        "status": "selesai",
        "usage": "Contoh: /catatan Peserta ingin pindah ke bidang logistik.",
        "vacancy": "123456",
        "wage": "Rp4.500.000 - Rp5.500.000",
        "when": "Selasa, 30 September 2025 pukul 10.00 WITA",
        "who": "Budi Santoso Wijayakusuma (#12345)",
        # linking (issue 12 item 3): masked numbers as mask_phone writes them
        "code": "123456",
        "left": "4",
        "numbers": "+62 812-****-7890, +62 857-****-1234",
        "phone": "+62 812-****-7890",
        "words": (
            "Baik, Pak Budi. Dari pengalaman Bapak, bidang logistik dan gudang cukup cocok. "
            "Apakah Bapak punya SIM B1?"
        ),
        "zone": "WIB",
        # monthly progress updates (issue 10): "melamar ke 5 perusahaan"
        "companies": "10",
        "unit": "perusahaan",
        # the placement report (issue 10): dates as format_date writes them; working days left
        **{name: format_date(date(2025, 9, 30)) for name in ("hired", "reported")},
        # Lamaran saya and Unduh CV (issue 8)
        "changed": format_date(date(2025, 9, 30)),
        "page": "12",
        "pages": "12",
        "path": "/home/siti/CV Siti Rahmawati Kusumawardhani.pdf",
        # vacancies (issue 8, bot/dialogs/vacancies.py)
        "ago": "3 minggu lalu",
        "description": (
            "PT Sinar Jaya Abadi Sentosa, pabrik komponen otomotif di Cikarang, membuka "
            "lowongan Operator Mesin Produksi untuk shift pagi dan malam. Tugas: menjalankan "
            "mesin press, memeriksa hasil produksi, dan mencatat laporan harian."
        ),
        "education": "SMA",
        "home": _longest([r.name for r in data.regencies]),
        "label": _longest([o.title for o in data.occupations]),
        "openings": "12",
        "query": "operator mesin produksi kabupaten bekasi",
        "requirements": (
            "- Pria atau wanita, usia 18-30 tahun\n- Pendidikan minimal SMA/SMK sederajat\n"
            "- Sehat jasmani dan rohani, tidak buta warna\n- Bersedia bekerja shift"
        ),
        "type": "choice:vf:pkwtt",
        "years": "45",
    }


# Where one name means something else in one response.
SAMPLE_OVERRIDES: dict[str, dict[str, str]] = {
    "utter_estimate": {"total": format_rupiah(18_000_000)},
    "utter_invalid_consecutive_over_total": {"total": "24"},
    "utter_invalid_months_range": {"maximum": "24"},
    # Read-backs (bot/dialogs/questions.py): the longest date, span and wage they show.
    **{
        key: {"date": format_date(date(2025, 9, 30))}
        for key in (
            "utter_confirm_date",
            "utter_confirm_date_said",
            "utter_confirm_date_about",
            "utter_confirm_date_future",
        )
    },
    "utter_confirm_date_span": {
        "date": format_date(date(2025, 12, 29)),
        "when": "29 Desember 2025 sampai 4 Januari 2026",
    },
    "utter_confirm_rupiah": {"amount": format_rupiah(45_000_000)},
    "utter_my_data_said": {"value": "29 Desember 2025 sampai 4 Januari 2026"},
    "utter_confirm_rupiah_low": {"amount": format_rupiah(50_000)},
}


def placeholders(domain: Domain, key: str) -> set[str]:
    """The ``{names}`` in any variation of ``key`` (text and button titles)."""
    names: set[str] = set()
    for variation in domain.responses[key]:
        texts = [str(variation.get("text") or "")]
        texts += [str(b["title"]) for b in variation.get("buttons") or []]
        for text in texts:
            names |= {n for _, n, _, _ in string.Formatter().parse(text) if n}
    return names


def missing_samples(domain: Domain) -> dict[str, set[str]]:
    """Responses with placeholders that have no realistic sample value yet."""
    known = set(sample_values())
    return {
        key: missing
        for key in domain.responses
        if (missing := placeholders(domain, key) - known - set(SAMPLE_OVERRIDES.get(key, {})))
    }


@dataclass(frozen=True)
class ResponseSize:
    key: str
    text: str  # as the SMS user reads it
    length: SmsLength
    parts: int  # one-segment SMS after split_sms

    @property
    def offending(self) -> str:
        """Characters outside GSM-7 (they make the whole SMS UCS-2)."""
        return non_gsm7(self.text)


def render_sms(domain: Domain, key: str, params: dict[str, str]) -> str:
    rendered = domain.render(OutboundMessage((Say(key, params),)), CHANNEL)
    return render_plain(rendered, domain, CHANNEL)


def response_sizes(domain: Domain) -> list[ResponseSize]:
    """Every response but the navigation buttons (never shown on plain channels), in
    domain.yml order."""
    samples = sample_values()
    sizes = []
    for key in domain.responses:
        if key == NAV_KEY:
            continue
        params = {n: samples.get(n, n.upper()) for n in placeholders(domain, key)}
        params.update(SAMPLE_OVERRIDES.get(key, {}))
        text = render_sms(domain, key, params)
        sizes.append(ResponseSize(key, text, sms_length(text), len(split_sms(text))))
    return sizes


def format_table(sizes: list[ResponseSize]) -> str:
    by_segments = Counter(s.length.segments for s in sizes)
    summary = ", ".join(f"{n} segment(s): {by_segments[n]}" for n in sorted(by_segments))
    lines = [
        f"{len(sizes)} responses rendered for SMS; {summary}.",
        "",
        "| response | alphabet | units | segments | 1-segment parts |",
        "|---|---|---|---|---|",
    ]
    for s in sorted(sizes, key=lambda s: (-s.length.units, s.key)):
        alphabet = s.length.encoding.value + (f" ({s.offending!r})" if s.offending else "")
        lines.append(
            f"| {s.key} | {alphabet} | {s.length.units} | {s.length.segments} | {s.parts} |"
        )
    return "\n".join(lines)


def main() -> None:
    print(format_table(response_sizes(load_default_domain())))


if __name__ == "__main__":
    main()
