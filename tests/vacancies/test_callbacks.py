"""Button payloads fit Telegram's 64 bytes and name the search they belong to."""

from __future__ import annotations

from bot.vacancies import callbacks
from bot.vacancies.model import PlaceOption, VacancyQuery


def test_every_payload_fits_in_64_bytes() -> None:
    biggest = 2**63 - 1
    long_query = VacancyQuery(
        text="operator produksi " * 20,
        places=(PlaceOption("regency", "3275", "Kota Bekasi"),) * 5,
        employment_types=("pkwt", "pkwtt", "harian", "magang", "lainnya"),
        page=10**6,
    )
    payloads = [
        callbacks.card(biggest),
        callbacks.page(long_query, 10**6),
        callbacks.place(long_query, 99),
        callbacks.suggestion(long_query, 99),
    ]
    assert max(len(p.encode()) for p in payloads) <= callbacks.MAX_BYTES
    assert len(callbacks.card(biggest)) == 23


def test_a_token_names_the_query_not_its_page() -> None:
    query = VacancyQuery(text="satpam")
    assert callbacks.query_token(query) == callbacks.query_token(query.at_page(3))
    assert callbacks.query_token(query) != callbacks.query_token(VacancyQuery(text="kasir"))
    filtered = VacancyQuery(text="satpam", disability_friendly=True)
    assert callbacks.query_token(query) != callbacks.query_token(filtered)


def test_parse() -> None:
    query = VacancyQuery(text="satpam")
    token = callbacks.query_token(query)
    assert callbacks.parse(callbacks.card(42)) == ("vac", "", 42)
    assert callbacks.parse(callbacks.page(query, 2)) == ("vp", token, 2)
    assert callbacks.parse(callbacks.place(query, 1)) == ("vpl", token, 1)
    assert callbacks.parse(callbacks.suggestion(query, 0)) == ("vs", token, 0)
    for bad in ("vac:x", "vp:zzzzzz:1", "vp:abc:1", "vp:abcdef", "pick:abcdef:1", "", "vac:1:2"):
        assert callbacks.parse(bad) is None, bad
