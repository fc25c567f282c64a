"""Import: CSV with a header row, or JSON Lines with the same keys (the README's schema).

Each row is checked on its own (:func:`parse_record`, pure): a bad row is reported with its
line number and the good rows still load. Unknown keys are ignored. A missing occupation
code is taken from the title when the title names a job of occupations.yml; a missing
regency from the city when the city names exactly one. Rows are written in batches, each
in its own short transaction (SQLite has one writer: a chat turn waits for one batch at
most); then vacancies past their closes_at are closed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.knowledge.catalog import catalog
from bot.knowledge.search import occupations
from bot.vacancies import store
from bot.vacancies.model import (
    EDUCATION_LEVELS,
    EMPLOYMENT_TYPES,
    SAMPLE_SOURCE,
    SEXES,
    ImportReport,
    RowError,
    VacancyRecord,
)
from bot.vacancies.query import places

FIELDS = (
    "source", "source_id", "title", "company", "occupation_code", "province_code",
    "regency_code", "city", "country", "openings", "wage_min", "wage_max", "employment_type",
    "education_min", "age_max", "sex", "disability_friendly", "posted_at", "closes_at",
    "description", "requirements", "url", "featured",
)  # fmt: skip
REQUIRED = ("source", "source_id", "title", "company", "posted_at")
BATCH = 500
MAX_TEXT = 10_000
MAX_WAGE = 1_000_000_000  # a month, in rupiah
INFER_SCORE = 90.0
TRUE = {"true", "1", "ya", "yes", "y"}
FALSE = {"false", "0", "tidak", "no", "n", ""}
SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
RUPIAH = re.compile(r"(?:rp\.?\s*)?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:,-|,00)?", re.IGNORECASE)


class ImportFailed(Exception):
    """The whole input is unusable (no header, missing columns, unreadable): the message
    says why."""


class RowProblem(ValueError):
    pass


def _text(raw: Mapping[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = raw.get(key)
    text = "" if value is None else str(value).strip()
    if key not in ("description", "requirements"):
        text = " ".join(text.split())
    if required and not text:
        raise RowProblem(f"{key} is empty")
    if len(text) > limit:
        raise RowProblem(f"{key} is longer than {limit} characters")
    return text


def _optional(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    text = "" if value is None else str(value).strip()
    return text or None


def _int(raw: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = _optional(raw, key)
    if value is None:
        return None
    if isinstance(raw.get(key), bool):
        raise RowProblem(f"{key} is not a whole number: {value!r}")
    try:
        number = int(float(value)) if re.fullmatch(r"\d+(\.0+)?", value) else int(value)
    except ValueError:
        raise RowProblem(f"{key} is not a whole number: {value!r}") from None
    if not low <= number <= high:
        raise RowProblem(f"{key} must be between {low} and {high}, got {number}")
    return number


def _rupiah(raw: Mapping[str, Any], key: str) -> int | None:
    value = _optional(raw, key)
    if value is None:
        return None
    if isinstance(raw.get(key), int | float) and not isinstance(raw.get(key), bool):
        number = int(raw[key])
    else:
        found = RUPIAH.fullmatch(value.replace(" ", ""))
        if not found:
            raise RowProblem(f"{key} is not an amount in rupiah: {value!r}")
        number = int(re.sub(r"[.,]", "", found.group(1)))
    if not 0 <= number <= MAX_WAGE:
        raise RowProblem(f"{key} must be between 0 and {MAX_WAGE}, got {number}")
    return number


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise RowProblem(f"{key} must be true or false, got {value!r}")


def _date(raw: Mapping[str, Any], key: str, required: bool = False) -> date | None:
    value = _optional(raw, key)
    if value is None:
        if required:
            raise RowProblem(f"{key} is empty")
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise RowProblem(f"{key} is not an ISO date (YYYY-MM-DD): {value!r}") from None


def _choice(
    raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str | None
) -> str | None:
    value = _optional(raw, key)
    if value is None:
        return default
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise RowProblem(f"{key} must be one of {'|'.join(allowed)}, got {value!r}")


def infer_occupation(title: str) -> str | None:
    """The ISCO code of the job the title names ("Operator Produksi Shift Malam" → 8189)."""
    found = occupations().search(title, limit=2)
    if not found or found[0].score < INFER_SCORE:
        return None
    if len(found) > 1 and found[1].score == found[0].score:
        return None
    occupation = catalog().occupation(found[0].key)
    return occupation.isco if occupation else None


def parse_record(raw: Mapping[str, Any]) -> VacancyRecord:
    """One row of the import schema as a checked record; RowProblem says what is wrong."""
    data = catalog()
    source = _text(raw, "source", 32, required=True)
    if not SOURCE.fullmatch(source):
        raise RowProblem(f"source may only contain letters, digits, '.', '_' and '-': {source!r}")
    source_id = _text(raw, "source_id", 64, required=True)
    title = _text(raw, "title", 200, required=True)
    company = _text(raw, "company", 200, required=True)
    country = (_optional(raw, "country") or "ID").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RowProblem(f"country must be an ISO 3166 alpha-2 code such as ID, got {country!r}")
    occupation = _optional(raw, "occupation_code")
    if occupation is not None:
        if not re.fullmatch(r"\d{4}", occupation) or occupation[:2] not in data.groups:
            raise RowProblem(f"occupation_code is not an ISCO-08 unit group: {occupation!r}")
    else:
        occupation = infer_occupation(title)
    province = _optional(raw, "province_code")
    regency = _optional(raw, "regency_code")
    city = _text(raw, "city", 100) or None
    if regency is not None:
        if data.regency(regency.replace(".", "")) is None:
            raise RowProblem(f"regency_code is not a Kemendagri regency/city code: {regency!r}")
        regency = regency.replace(".", "")
        if province is not None and province != regency[:2]:
            raise RowProblem(f"regency_code {regency} is not in province_code {province}")
        province = regency[:2]
    if province is not None and data.province(province) is None:
        raise RowProblem(f"province_code is not a Kemendagri province code: {province!r}")
    if country != "ID" and (province or regency):
        raise RowProblem("a vacancy abroad (country is not ID) has no province or regency")
    if country == "ID" and regency is None and city:
        found = [p for p in places(city) if province is None or p.code[:2] == province]
        if len(found) == 1 and found[0].kind == "regency":
            regency, province = found[0].code, found[0].code[:2]
        elif len(found) == 1 and found[0].kind == "province" and province is None:
            province = found[0].code
    wage_min, wage_max = _rupiah(raw, "wage_min"), _rupiah(raw, "wage_max")
    if wage_min is not None and wage_max is not None and wage_min > wage_max:
        raise RowProblem(f"wage_min {wage_min} is more than wage_max {wage_max}")
    posted_at = _date(raw, "posted_at", required=True)
    assert posted_at is not None
    closes_at = _date(raw, "closes_at")
    if closes_at is not None and closes_at < posted_at:
        raise RowProblem(f"closes_at {closes_at} is before posted_at {posted_at}")
    url = _optional(raw, "url")
    if url is not None and (not re.match(r"https?://", url) or len(url) > 500):
        raise RowProblem(f"url must be an http(s) address of at most 500 characters: {url!r}")
    employment = _choice(raw, "employment_type", EMPLOYMENT_TYPES, "lainnya")
    sex = _choice(raw, "sex", SEXES, "semua")
    assert employment is not None and sex is not None
    return VacancyRecord(
        source=source,
        source_id=source_id,
        title=title,
        company=company,
        posted_at=posted_at,
        occupation_code=occupation,
        province_code=province,
        regency_code=regency,
        city=city,
        country=country,
        openings=_int(raw, "openings", 1, 100_000) or 1,
        wage_min=wage_min,
        wage_max=wage_max,
        employment_type=employment,
        education_min=_choice(raw, "education_min", EDUCATION_LEVELS, None),
        age_max=_int(raw, "age_max", 15, 100),
        sex=sex,
        disability_friendly=_bool(raw, "disability_friendly"),
        closes_at=closes_at,
        description=_text(raw, "description", MAX_TEXT),
        requirements=_text(raw, "requirements", MAX_TEXT),
        url=url,
        featured=_bool(raw, "featured"),
    )


# -- reading files ----------------------------------------------------------------------------

Row = tuple[int, Mapping[str, Any] | RowError]


def detect_format(name: str, text: str, content_type: str = "") -> str:
    """``jsonl`` or ``csv``: by the file name, the content type, then the first character."""
    lowered = name.lower().split("?")[0]
    if lowered.endswith((".jsonl", ".ndjson", ".json")) or "json" in content_type:
        return "jsonl"
    if lowered.endswith(".csv") or "csv" in content_type:
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_rows(text: str, fmt: str) -> Iterator[Row]:
    """(line number, raw row or the row's error) for every row of the text."""
    text = text.removeprefix("\ufeff")
    if fmt == "jsonl":
        yield from _read_jsonl(text)
    else:
        yield from _read_csv(text)


def _read_jsonl(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            yield number, RowError(number, f"not JSON: {e.msg}")
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, "not a JSON object")
            continue
        yield number, value


def _read_csv(text: str) -> Iterator[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportFailed("the CSV file is empty (a header row is needed)")
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise ImportFailed(f"the CSV header lacks {', '.join(missing)}")
    reader.fieldnames = header
    start = reader.line_num + 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if None in row:
                yield number, RowError(number, "more fields than the header has")
                continue
            yield number, row
    except csv.Error as e:
        raise ImportFailed(f"line {reader.line_num}: {e}") from None


def parse_rows(rows: Iterator[Row]) -> Iterator[tuple[int, VacancyRecord | RowError]]:
    for number, raw in rows:
        if isinstance(raw, RowError):
            yield number, raw
            continue
        try:
            yield number, parse_record(raw)
        except RowProblem as e:
            yield number, RowError(number, str(e))


# -- loading ----------------------------------------------------------------------------------


async def import_text(
    engine: AsyncEngine, text: str, fmt: str, *, now: datetime, today: date
) -> ImportReport:
    """Load every good row (in batches of BATCH, one transaction each), then close the
    vacancies past their closes_at. ImportFailed when the whole input is unusable."""
    report = ImportReport()
    errors: list[RowError] = []
    batch: list[VacancyRecord] = []

    async def flush() -> None:
        nonlocal report
        if not batch:
            return
        async with engine.begin() as conn:
            counts = await store.upsert(conn, batch, now=now, today=today)
        report = replace(
            report,
            inserted=report.inserted + counts.inserted,
            updated=report.updated + counts.updated,
            unchanged=report.unchanged + counts.unchanged,
        )
        batch.clear()

    read = 0
    real = False  # a vacancy from a source other than the sample
    for _, item in parse_rows(read_rows(text, fmt)):
        read += 1
        if isinstance(item, RowError):
            errors.append(item)
            continue
        real = real or item.source != SAMPLE_SOURCE
        batch.append(item)
        if len(batch) >= BATCH:
            await flush()
    await flush()
    async with engine.begin() as conn:
        closed = await store.close_expired(conn, today=today, now=now)
        if real:  # real vacancies arrived: the fictional sample goes
            closed += await store.close_source(conn, SAMPLE_SOURCE, now=now)
    return replace(report, read=read, closed=closed, errors=tuple(errors))


async def fetch_text(
    url: str, session: aiohttp.ClientSession, headers: Mapping[str, str] | None = None
) -> tuple[int, str, Mapping[str, str]]:
    """GET ``url``: (status, body text, response headers with lower-case names); the body is
    empty unless 200."""
    async with session.get(url, headers=dict(headers or {})) as response:
        body = await response.text(encoding="utf-8") if response.status == 200 else ""
        return response.status, body, {k.lower(): v for k, v in response.headers.items()}


async def import_source(
    engine: AsyncEngine, source: str, *, now: datetime, today: date
) -> ImportReport:
    """`jkp-bot vacancies import FILE|URL`."""
    if source.startswith(("http://", "https://")):
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                status, text, headers = await fetch_text(source, session)
            except aiohttp.ClientError as e:
                raise ImportFailed(f"cannot fetch {source}: {e}") from None
        if status != 200:
            raise ImportFailed(f"cannot fetch {source}: HTTP {status}")
        fmt = detect_format(source, text, headers.get("content-type", ""))
    else:
        path = Path(source)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise ImportFailed(f"cannot read {source}: {e}") from None
        fmt = detect_format(path.name, text)
    return await import_text(engine, text, fmt, now=now, today=today)
