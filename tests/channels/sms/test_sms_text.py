"""GSM-7 / UCS-2, segment counting and splitting into numbered parts."""

from __future__ import annotations

import random
import re

import pytest

from bot.channels.sms.text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    is_gsm7,
    non_gsm7,
    segment_count,
    sms_length,
    split_sms,
    to_gsm7,
    turn_segments,
)

G, U = Encoding.GSM7, Encoding.UCS2


def test_the_gsm7_tables_have_their_standard_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 positions, the escape is not a character
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", G, 0, 1),
        ("Halo", G, 4, 1),
        ("a" * 160, G, 160, 1),
        ("a" * 161, G, 161, 2),
        ("a" * 306, G, 306, 2),
        ("a" * 307, G, 307, 3),
        ("€" * 80, G, 160, 1),  # extension characters count two septets
        ("€" * 81, G, 162, 2),
        ("[x]" * 32, G, 160, 1),
        ("[x]" * 33, G, 165, 2),
        # 306 septets fill two concatenated segments exactly, but the "{" (two septets)
        # cannot straddle the first boundary: three segments.
        ("a" * 152 + "{" + "a" * 152, G, 306, 3),
        ("Baris satu\nBaris dua\r\n", G, 22, 1),
        ("ÄÖÑÜ äöñüà èéùìò Ç ß ¿¡ £$¥ @ _", G, 31, 1),
        ("Jum’at", U, 6, 1),  # a curly apostrophe: the whole message is UCS-2
        ("Halo 👋", U, 7, 1),  # an emoji is two UTF-16 units
        ("ç" * 70, U, 70, 1),
        ("ç" * 71, U, 71, 2),
        ("ç" * 134, U, 134, 2),
        ("ç" * 135, U, 135, 3),
        ("😀" * 35, U, 70, 1),
        ("😀" * 36, U, 72, 2),
        ("x" * 66 + "😀" + "x" * 66, U, 134, 3),  # a surrogate pair never straddles
        ("a" * 159 + "\t", U, 160, 3),  # a tab is not GSM-7
    ],
)
def test_length(text: str, encoding: Encoding, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)
    assert segment_count(text) == segments


@pytest.mark.parametrize(
    ("text", "per_segment"),
    [("a", 160), ("a" * 200, 153), ("ç", 70), ("ç" * 100, 67)],
)
def test_capacity_per_segment(text: str, per_segment: int) -> None:
    assert sms_length(text).per_segment == per_segment


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("Balas 1, 2 atau 3.", ""),
        ("Harga {a} [b] ~c~ |d| ^e \\f €", ""),
        ("“Halo” – apa kabar… 👍", "“”–…👍"),
        ("Jum’at, Jum’at", "’"),
        ("naïve façade", "ïç"),
    ],
)
def test_non_gsm7(text: str, offending: str) -> None:
    assert non_gsm7(text) == offending
    assert is_gsm7(text) == (offending == "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jum’at", "Jum'at"),
        ("“Halo”", '"Halo"'),
        ("08.00–17.00", "08.00-17.00"),
        ("tunggu…", "tunggu..."),
        ("Rp 3\u00a0000", "Rp 3 000"),
        ("• satu", "- satu"),
        ("José Ñandù", "José Ñandù"),  # already GSM-7
        ("Ośrodek naïve façade", "Osrodek naive facade"),
        ("Łódź", "Łodz"),  # Ł has no decomposition: left as it is
        ("Halo 👋", "Halo 👋"),  # no look-alike: left for the caller
    ],
)
def test_to_gsm7(text: str, expected: str) -> None:
    assert to_gsm7(text) == expected


def test_turn_segments_add_up_each_message() -> None:
    assert turn_segments(["a" * 161, "b", "", "😀"]) == 2 + 1 + 1


# -- splitting ----------------------------------------------------------------------------
MARKER = re.compile(r"^\((\d+)/(\d+)\) ")


def _unmarked(parts: list[str]) -> list[str]:
    total = len(parts)
    out = []
    for i, part in enumerate(parts, 1):
        m = MARKER.match(part)
        assert m, part
        assert (int(m.group(1)), int(m.group(2))) == (i, total)
        out.append(part[m.end() :])
    return out


def test_a_text_that_fits_is_returned_whole_and_unnumbered() -> None:
    text = "Balas 1 untuk Ya atau 2 untuk Tidak."
    assert split_sms(text) == [text]
    assert split_sms("  \n ") == []
    assert split_sms("a" * 300, segments_per_part=2) == ["a" * 300]


SENTENCES = (
    "Terima kasih, jawaban Anda sudah kami catat. "
    "Berdasarkan jawaban Anda, Anda kemungkinan memenuhi syarat JKP. "
    "Segera ajukan klaim paling lambat 30 September 2025 lewat aplikasi JMO. "
    "Siapkan surat PHK, KTP dan buku tabungan. Ketik MENU untuk kembali."
)


def test_split_at_sentence_ends() -> None:
    parts = split_sms(SENTENCES)
    assert parts == [
        "(1/2) Terima kasih, jawaban Anda sudah kami catat. Berdasarkan jawaban Anda, Anda "
        "kemungkinan memenuhi syarat JKP.",
        "(2/2) Segera ajukan klaim paling lambat 30 September 2025 lewat aplikasi JMO. "
        "Siapkan surat PHK, KTP dan buku tabungan. Ketik MENU untuk kembali.",
    ]
    assert all(segment_count(p) == 1 for p in parts)


OPTIONS = (
    "Apa alasan PHK Anda? Pilih yang paling sesuai dengan surat PHK Anda.\n\n"
    "1. Perusahaan melakukan PHK (efisiensi, tutup, dll.)\n"
    "2. Saya mengundurkan diri\n"
    "3. Cacat total tetap\n"
    "4. Pensiun\n"
    "5. Tidak tahu\n\n"
    "Balas dengan angka. Ketik KEMBALI untuk mengubah jawaban, MENU untuk ke menu."
)


def test_split_keeps_numbered_options_on_their_lines() -> None:
    parts = _unmarked(split_sms(OPTIONS))
    assert len(parts) == 2
    lines = [line for part in parts for line in part.split("\n")]
    for n, title in enumerate(["Perusahaan", "Saya", "Cacat", "Pensiun", "Tidak tahu"], 1):
        assert any(line.startswith(f"{n}. {title}") for line in lines), title
    # Parts end at line ends: every line of a part is a whole line of the text.
    assert set(lines) <= set(OPTIONS.split("\n"))
    assert parts[1].startswith("3. Cacat total tetap\n")


def test_split_on_words_when_there_is_no_punctuation() -> None:
    words = [f"kata{i}" for i in range(80)]
    parts = _unmarked(split_sms(" ".join(words)))
    assert len(parts) == 4
    assert [w for p in parts for w in p.split(" ")] == words  # no word cut


def test_a_word_longer_than_a_part_is_cut_only_then() -> None:
    url = "https://contoh.go.id/" + "x" * 300
    parts = split_sms(f"Buka {url} lalu ikuti langkahnya.")
    body = _unmarked(parts)
    assert body[0] == "Buka"  # the URL is not cut where a space allows it
    assert "".join(body[1:-1]) + body[-1].split(" ")[0] == url
    assert all(segment_count(p) == 1 for p in parts)


def test_more_than_nine_parts_get_two_digit_markers() -> None:
    text = " ".join(["Halo semuanya."] * 120)
    parts = split_sms(text)
    assert len(parts) >= 10
    assert parts[9].startswith(f"(10/{len(parts)}) ")
    assert all(segment_count(p) == 1 for p in parts)
    assert " ".join(_unmarked(parts)) == text


def test_ucs2_text_is_split_in_its_own_units_and_parts_measured_alone() -> None:
    text = "Halo 👋 " + " ".join(["Terima kasih sudah menunggu."] * 6)
    parts = split_sms(text)
    assert all(segment_count(p) == 1 for p in parts)
    assert sms_length(parts[0]).encoding is Encoding.UCS2
    # Later parts do not carry the emoji: they go as GSM-7 and hold more.
    assert sms_length(parts[-1]).encoding is Encoding.GSM7


@pytest.mark.parametrize("segments_per_part", [1, 2, 3])
def test_split_properties_on_generated_texts(segments_per_part: int) -> None:
    """Every part fits, the words come back in order, and no word shorter than a part is
    cut, over many texts mixing words, sentences, lines, extension characters and emoji."""
    rng = random.Random(segments_per_part)
    vocabulary = [
        "kerja",
        "JKP",
        "BPJS",
        "Rp3.000.000",
        "ya.",
        "tidak,",
        "{kode}",
        "€5",
        "Ketik",
        "MENU",
        "\n",
        "\n\n",
        "1.",
        "🙏",
        "surat",
    ]
    for _ in range(100):
        tokens = [rng.choice(vocabulary) for _ in range(rng.randint(1, 400))]
        text = " ".join(tokens)
        parts = split_sms(text, segments_per_part)
        assert all(segment_count(p) <= segments_per_part for p in parts)
        body = parts if len(parts) == 1 else _unmarked(parts)
        assert [w for p in body for w in p.split()] == text.split()


def test_split_rejects_a_part_size_below_one() -> None:
    with pytest.raises(ValueError):
        split_sms("x", segments_per_part=0)
