"""The catalogue in the database: SQLAlchemy Core functions taking an ``AsyncConnection``.

Reads (:func:`search`, :func:`recommend`, :func:`get_vacancy`, :func:`categories`...) run
in any transaction; give them :func:`bot.storage.db.read_only` so a search never takes
SQLite's write lock. Writes (:func:`upsert`, :func:`close_expired`) run in the caller's
write transaction; every write to the catalogue goes through them, because they keep the
vocabulary counts (``vacancy_terms``) in step.

How a search runs (the contract is in ranking.py):
1. the text is understood (query.py): words, place, job titles named;
2. each word is looked up in the vocabulary: as typed, longer words it begins, and for a
   word no vacancy has, near words from the trigram index (terms.py);
3. the database selects the CANDIDATES newest open vacancies matching every word (or a job
   title named) and every filter: SQLite FTS5 ``MATCH``, PostgreSQL ``@@`` on a GIN index;
   when fewer than a page have every word, those with all but one are added;
4. ranking.py orders them; a page of 5 is cut; nothing found → broader searches offered.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.knowledge.catalog import catalog
from bot.knowledge.search import CUTOFF as SUGGEST_CUTOFF
from bot.vacancies.model import (
    CANDIDATES,
    PAGE_SIZE,
    CatalogueStats,
    PlaceOption,
    Profile,
    Recommendation,
    SearchPage,
    Suggestion,
    Understanding,
    VacancyDetail,
    VacancyHit,
    VacancyQuery,
    VacancyRecord,
)
from bot.vacancies.query import near_titles, place_label, understand
from bot.vacancies.ranking import (
    NEAR_TITLE_WEIGHT,
    SearchPlan,
    group_name,
    interests,
    order_recommendations,
    order_search,
)
from bot.vacancies.tables import Vacancy, VacancyTerm
from bot.vacancies.terms import (
    FUZZY_MIN,
    PREFIX_LIMIT,
    PREFIX_MIN,
    WordAlternatives,
    alternatives,
    max_typos,
    search_tags,
    search_text,
    trigrams,
)

V = cast(sa.Table, Vacancy.__table__)
T = cast(sa.Table, VacancyTerm.__table__)
# A literal, so SQLite can use the partial indexes made for open vacancies.
OPEN = sa.text("vacancies.status = 'open'")
FTS = sa.table("vacancy_fts", sa.column("rowid", sa.Integer))
TERMS_FTS = sa.table("vacancy_terms_fts", sa.column("rowid", sa.Integer))
TYPO_CANDIDATES = 40
RECOMMEND_CANDIDATES = 100  # per selection (regency, province, country)
TRGM_THRESHOLD = "0.2"
SETTINGS = (
    ("plan_cache_mode", "force_custom_plan"),
    ("pg_trgm.similarity_threshold", TRGM_THRESHOLD),
)
MAX_RELAXED_WORDS = 4

CONTENT = (
    "title", "company", "occupation_code", "job_group", "province_code", "regency_code",
    "city", "country", "openings", "wage_min", "wage_max", "employment_type",
    "education_min", "age_max", "sex", "disability_friendly", "posted_at", "closes_at",
    "description", "requirements", "url", "featured", "status", "search_text", "search_tags",
)  # fmt: skip
HIT_COLUMNS = (
    V.c.id, V.c.source, V.c.source_id, V.c.title, V.c.company, V.c.regency_code,
    V.c.province_code, V.c.city, V.c.country, V.c.wage_min, V.c.wage_max,
    V.c.employment_type, V.c.posted_at, V.c.closes_at, V.c.occupation_code,
    V.c.disability_friendly, V.c.featured,
)  # fmt: skip


# -- match expressions: one tree, rendered for FTS5 or tsquery ---------------------------------


@dataclass(frozen=True)
class Terms:
    """Any of these indexed words (column ``text``) or tags (column ``tags``)."""

    column: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Either:
    parts: tuple[Node, ...]


Node = Terms | All | Either


def _tags(*tags: str) -> Terms:
    return Terms("tags", tags)


def matches(node: Node, indexed: set[str]) -> bool:
    """Whether a vacancy whose indexed words and tags are ``indexed`` matches ``node``: the
    meaning both databases give the rendered expression (used by tests as the reference)."""
    if isinstance(node, Terms):
        return any(t in indexed for t in node.terms)
    if isinstance(node, All):
        return all(matches(p, indexed) for p in node.parts)
    return any(matches(p, indexed) for p in node.parts)


def fts5(node: Node) -> str:
    if isinstance(node, Terms):
        column = "search_text" if node.column == "text" else "search_tags"
        return f"{column} : (" + " OR ".join(f'"{t}"' for t in node.terms) + ")"
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(fts5(p) for p in node.parts) + ")"


def tsquery(node: Node) -> str:
    if isinstance(node, Terms):
        return "(" + " | ".join(node.terms) + ")"
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(tsquery(p) for p in node.parts) + ")"


def _is_sqlite(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


async def _candidates(
    conn: AsyncConnection, node: Node, limit: int, counts: dict[str, int] | None = None
) -> list[Any]:
    """The ``limit`` newest (by id) open vacancies matching ``node``, as rows with the
    columns of HIT_COLUMNS (ranking reads them; hits are made for the page only).
    ``counts``: document counts already read (PostgreSQL plans with them)."""
    if not _is_sqlite(conn):
        return await _pg_candidates(conn, node, limit, counts)
    stmt = (
        sa.select(*HIT_COLUMNS)
        .select_from(FTS.join(V, V.c.id == FTS.c.rowid))
        .where(sa.text("vacancy_fts MATCH :match"))
        .order_by(FTS.c.rowid.desc())
        .limit(limit)
    )
    return list((await conn.execute(stmt, {"match": fts5(node)})).all())


# PostgreSQL's GIN index finds the matches but not the newest first. A bitmap scan visits
# every match in the table (slow for tens of thousands); a backward scan of the covering
# index ix_vacancies_recent (id INCLUDE search_vector, open vacancies only) reads the newest
# entries until enough match (slow when matches are rare). The vocabulary's counts estimate
# the matches and pick the cheaper way; both return the same rows.
HEAP_COST = 4.0  # relative cost of one match visited by a bitmap scan
INDEX_COST = 0.6  # of one index entry read by the backward scan


async def prepare_search(conn: AsyncConnection) -> None:
    """Per transaction, on PostgreSQL: plans for the actual words (a generic plan cannot
    know how common they are) and pg_trgm's threshold (its default 0.3 misses two typos in
    short words such as "sekuriti")."""
    if not _is_sqlite(conn):
        await conn.execute(sa.select(*(sa.func.set_config(n, v, True) for n, v in SETTINGS)))


def _node_terms(node: Node) -> set[str]:
    if isinstance(node, Terms):
        return set(node.terms)
    return set().union(*(_node_terms(p) for p in node.parts))


def _has_text(node: Node) -> bool:
    if isinstance(node, Terms):
        return node.column == "text"
    return any(_has_text(p) for p in node.parts)


def estimate(node: Node, counts: dict[str, int], total: int) -> float:
    """Matches expected: words of one title go together (an AND of them is about as
    common as its rarest part), filters are independent of them (they multiply)."""
    if isinstance(node, Terms):
        return float(min(total, sum(counts.get(t, 0) for t in node.terms)))
    parts = [estimate(p, counts, total) for p in node.parts]
    if isinstance(node, Either):
        return min(float(total), sum(parts))
    texts = [e for p, e in zip(node.parts, parts, strict=True) if _has_text(p)]
    result = min(texts) if texts else float(total)
    for p, e in zip(node.parts, parts, strict=True):
        if not _has_text(p):
            result *= e / max(total, 1)
    return result


async def _pg_candidates(
    conn: AsyncConnection, node: Node, limit: int, known: dict[str, int] | None = None
) -> list[Any]:
    counts = dict(known or {})
    missing = sorted((_node_terms(node) | {"zzall"}) - set(counts))
    if missing:
        rows = await conn.execute(sa.select(T.c.term, T.c.df).where(T.c.term.in_(missing)))
        counts.update({t: 0 for t in missing} | {t: int(n) for t, n in rows.all()})
    total = max(1, counts.get("zzall", 0))
    expected = max(estimate(node, counts, total), 1.0)
    for _ in range(2):  # the estimate, then what the first window found
        if expected * HEAP_COST <= limit * total / expected * INDEX_COST:
            break
        window = min(total, math.ceil(3 * limit * total / expected))
        found = await _pg_recent(conn, node, limit, window)
        if len(found) >= limit or window >= total:
            return found
        expected = max(len(found), 1) * total / window  # rarer than expected
    return await _pg_bitmap(conn, node, limit)


async def _pg_bitmap(conn: AsyncConnection, node: Node, limit: int) -> list[Any]:
    stmt = (
        sa.select(*HIT_COLUMNS)
        .where(V.c.status == "open", sa.text("vacancies.search_vector @@ to_tsquery('simple', :m)"))
        .order_by((V.c.id + 0).desc())  # not by the index on id: collect the matches first
        .limit(limit)
    )
    return list((await conn.execute(stmt, {"m": tsquery(node)})).all())


async def _pg_recent(conn: AsyncConnection, node: Node, limit: int, window: int) -> list[Any]:
    recent = (
        sa.select(V.c.id, sa.literal_column("vacancies.search_vector").label("sv"))
        .where(V.c.status == "open")
        .order_by(V.c.id.desc())
        .limit(window)
        .subquery("recent")
    )
    matched = (
        sa.select(recent.c.id)
        .where(sa.text("recent.sv @@ to_tsquery('simple', :m)"))
        .order_by(recent.c.id.desc())
        .limit(limit)
        .subquery("matched")
    )
    stmt = (
        sa.select(*HIT_COLUMNS)
        .join_from(V, matched, V.c.id == matched.c.id)
        .order_by(V.c.id.desc())
    )
    return list((await conn.execute(stmt, {"m": tsquery(node)})).all())


def _hit(row: Any, score: float = 0.0) -> VacancyHit:
    return VacancyHit(
        id=row.id,
        source=row.source,
        source_id=row.source_id,
        title=row.title,
        company=row.company,
        place=place_label(row.regency_code, row.province_code, row.city, row.country),
        regency_code=row.regency_code,
        province_code=row.province_code,
        country=row.country,
        wage_min=row.wage_min,
        wage_max=row.wage_max,
        employment_type=row.employment_type,
        posted_at=row.posted_at,
        closes_at=row.closes_at,
        occupation_code=row.occupation_code,
        disability_friendly=bool(row.disability_friendly),
        featured=bool(row.featured),
        score=score,
    )


# -- vocabulary -------------------------------------------------------------------------------


async def _resolve(
    conn: AsyncConnection, words: Sequence[str], counts: dict[str, int] | None = None
) -> list[WordAlternatives]:
    """Each typed word with the indexed words standing for it (terms.alternatives): one
    vocabulary read for all the words (each word and the most frequent longer words it
    begins), and a trigram lookup for a word no open vacancy has.

    ``counts`` (PostgreSQL only, for the plan) receives the document count of every term
    read and of the terms already in it. On PostgreSQL the same read also sets the
    transaction's settings (prepare_search): one round trip less."""
    unique = list(dict.fromkeys(words))
    wanted = sorted(counts) if counts is not None else []
    if not unique and not wanted:
        return []
    parts: list[Any] = []
    if not _is_sqlite(conn):
        for name, value in SETTINGS:
            setting = sa.func.set_config(name, value, True)
            parts.append(sa.select(sa.literal(-2).label("w"), setting, sa.literal(0)))
    if wanted:
        parts.append(sa.select(sa.literal(-1), T.c.term, T.c.df).where(T.c.term.in_(wanted)))
    for i, word in enumerate(unique):
        where = [T.c.term == word]
        if len(word) >= PREFIX_MIN and not word.startswith("zz"):
            where = [T.c.term >= word, T.c.term < word + "{", T.c.df > 0]
        inner = (
            sa.select(sa.literal(i).label("w"), T.c.term, T.c.df)
            .where(*where)
            .order_by(sa.case((T.c.term == word, 0), else_=1), T.c.df.desc(), T.c.term)
            .limit(PREFIX_LIMIT + 1)
            .subquery()
        )
        parts.append(sa.select(inner.c.w, inner.c.term, inner.c.df))
    found: dict[int, list[tuple[str, int]]] = {}
    for i, term, df in (await conn.execute(sa.union_all(*parts))).all():
        found.setdefault(int(i), []).append((term, int(df)))
    out: list[WordAlternatives] = []
    for i, word in enumerate(unique):
        rows = found.get(i, [])
        df = next((n for t, n in rows if t == word), 0)
        fuzzy: list[tuple[str, int]] = []
        if df <= 0 and len(word) >= FUZZY_MIN:
            fuzzy = await _typo_candidates(conn, word)
        out.append(alternatives(word, df, rows, fuzzy))
        if counts is not None:
            counts.update(rows)
            counts.update(fuzzy)
    if counts is not None:
        counts.update(found.get(-1, []))
    return out


async def _typo_candidates(conn: AsyncConnection, word: str) -> list[tuple[str, int]]:
    """Indexed words sharing 3-letter pieces with ``word``, about as long (a superset of
    what terms.near keeps)."""
    slack = max_typos(word)
    lengths = (sa.func.length(T.c.term) >= len(word) - slack) & (
        sa.func.length(T.c.term) <= len(word) + slack
    )
    if _is_sqlite(conn):
        pieces = trigrams(word)
        if not pieces:
            return []
        stmt = (
            sa.select(T.c.term, T.c.df)
            .select_from(TERMS_FTS.join(T, T.c.id == TERMS_FTS.c.rowid))
            .where(sa.text("vacancy_terms_fts MATCH :match"), T.c.df > 0, lengths)
            .order_by(sa.text("vacancy_terms_fts.rank"))
            .limit(TYPO_CANDIDATES)
        )
        rows = await conn.execute(stmt, {"match": " OR ".join(f'"{p}"' for p in pieces)})
    else:  # the threshold is set by prepare_search
        stmt = (
            sa.select(T.c.term, T.c.df)
            .where(T.c.term.op("%")(word), T.c.df > 0, lengths)
            .order_by(sa.func.similarity(T.c.term, word).desc(), T.c.term)
            .limit(TYPO_CANDIDATES)
        )
        rows = await conn.execute(stmt)
    return [(t, n) for t, n in rows.all()]


# -- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    plan: SearchPlan
    core: Node | None  # None: words were typed but none is in any vacancy
    relaxed: Node | None  # all words but one, for too few results
    unknown: tuple[str, ...]


def select(und: Understanding, resolved: Sequence[WordAlternatives]) -> Selection:
    """What to ask the database for, from the understood text and its resolved words."""
    known = tuple(a for a in resolved if a.terms)
    unknown = tuple(a.word for a in resolved if not a.terms)
    jobs = tuple((code, 1.0) for code, _ in und.occupations)
    if und.words and not known and not jobs:
        jobs = tuple((code, NEAR_TITLE_WEIGHT) for code, _ in near_titles(und.words))
    text_nodes = tuple(Terms("text", tuple(t for t, _ in a.terms)) for a in known)
    parts: list[Node] = []
    if text_nodes:
        parts.append(All(text_nodes))
    if jobs:
        parts.append(_tags(*(f"zzo{code}" for code, _ in jobs)))
    core: Node | None
    if parts:
        core = parts[0] if len(parts) == 1 else Either(tuple(parts))
    else:
        core = None if und.words else _tags("zzall")
    relaxed: Node | None = None
    if 2 <= len(text_nodes) <= MAX_RELAXED_WORDS:
        n = len(text_nodes)
        relaxed = Either(tuple(All(c) for c in itertools.combinations(text_nodes, n - 1)))
    return Selection(SearchPlan(known, jobs), core, relaxed, unknown)


def filters(query: VacancyQuery, places: Sequence[PlaceOption], abroad: bool | None) -> list[Node]:
    out: list[Node] = []
    if places:
        prefix = {"regency": "zzr", "province": "zzp", "country": "zzc"}
        out.append(_tags(*(prefix[p.kind] + p.code.lower() for p in places)))
    if abroad is True:
        out.append(_tags("zzabroad"))
    elif abroad is False:
        out.append(_tags("zzcid"))
    if query.disability_friendly:
        out.append(_tags("zzdis"))
    if query.employment_types:
        out.append(_tags(*(f"zzt{t}" for t in query.employment_types)))
    if query.group:
        out.append(_tags(f"zzg{query.group}"))
    if query.featured:
        out.append(_tags("zzfeat"))
    return out


def understood(query: VacancyQuery) -> tuple[Understanding, tuple[PlaceOption, ...], bool | None]:
    und = understand(query.text) if query.text.strip() else Understanding()
    places = query.places or (() if query.ignore_place else und.places)
    abroad = query.abroad
    if abroad is None and und.abroad and not query.ignore_place:
        abroad = True
    return und, places, abroad


async def _retrieve(
    conn: AsyncConnection, query: VacancyQuery
) -> tuple[Understanding, Selection, list[Any]]:
    und, places, abroad = understood(query)
    where = filters(query, places, abroad)
    counts: dict[str, int] | None = None
    if not _is_sqlite(conn):  # the tags' counts come with the words'
        tags = {t for node in where for t in _node_terms(node)}
        counts = dict.fromkeys(tags | {"zzall"} | {f"zzo{c}" for c, _ in und.occupations}, 0)
    selection = select(und, await _resolve(conn, und.words, counts))
    if selection.core is None:
        return und, selection, []
    hits = await _candidates(conn, All((selection.core, *where)), CANDIDATES + 1, counts)
    if len(hits) < PAGE_SIZE and selection.relaxed is not None:
        seen = {h.id for h in hits}
        more = await _candidates(conn, All((selection.relaxed, *where)), CANDIDATES + 1, counts)
        hits += [h for h in more if h.id not in seen]
        hits.sort(key=lambda h: -h.id)
    return und, selection, hits


async def search(
    conn: AsyncConnection, query: VacancyQuery, *, today: date, page_size: int = PAGE_SIZE
) -> SearchPage:
    """One page (``page_size``, 5 unless asked) of the vacancies the query finds, best
    first; when none, broader searches to offer instead (``suggestions``, never empty
    then). The ranking does not depend on the page size: page 1 of 3 shows vacancies 4-6."""
    und, selection, rows = await _retrieve(conn, query)
    more = len(rows) > CANDIDATES
    ranked = order_search(rows[:CANDIDATES], selection.plan, today)
    start = query.page * page_size
    page = SearchPage(
        query=query,
        understood=und,
        hits=tuple(_hit(row, score) for score, row in ranked[start : start + page_size]),
        total=len(ranked),
        more=more,
        unknown_words=selection.unknown,
        page_size=page_size,
    )
    if not ranked:
        page = replace(page, suggestions=await _suggestions(conn, query, und))
    return page


async def count(conn: AsyncConnection, query: VacancyQuery) -> int:
    """How many open vacancies ``query`` finds (at most CANDIDATES + 1: "more than")."""
    _, _, rows = await _retrieve(conn, query)
    return len(rows)


async def _suggestions(
    conn: AsyncConnection, query: VacancyQuery, und: Understanding
) -> tuple[Suggestion, ...]:
    out: list[Suggestion] = []
    base = replace(query, page=0)
    _, places, abroad = understood(query)

    async def offer(kind: str, q: VacancyQuery, label: str) -> None:
        n = await count(conn, q)
        if n:
            out.append(Suggestion(kind, q, label, min(n, CANDIDATES)))

    if places:
        await offer("without_place", replace(base, places=(), ignore_place=True), "")
    filtered = (
        abroad is not None
        or query.disability_friendly
        or query.employment_types
        or query.group
        or query.featured
    )
    if filtered:
        plain = VacancyQuery(text=query.text, places=query.places, ignore_place=query.ignore_place)
        await offer("without_filters", plain, "")
    if und.words:
        for _, title in near_titles(und.words, SUGGEST_CUTOFF)[:3]:
            q = VacancyQuery(text=title, places=tuple(places), ignore_place=not places)
            await offer("similar_title", q, title)
    await offer("latest", VacancyQuery(), "")
    return tuple(out)


async def get_vacancy(conn: AsyncConnection, vacancy_id: int) -> VacancyDetail | None:
    """The card of one vacancy, open or closed (say so when closed); None if unknown."""
    row = (await conn.execute(sa.select(V).where(V.c.id == vacancy_id))).first()
    if row is None:
        return None
    m = row._mapping
    return VacancyDetail(
        hit=_hit(m),
        status=m["status"],
        openings=m["openings"],
        education_min=m["education_min"],
        age_max=m["age_max"],
        sex=m["sex"],
        description=m["description"],
        requirements=m["requirements"],
        url=m["url"],
        city=m["city"],
    )


async def get_by_source(conn: AsyncConnection, source: str, source_id: str) -> int | None:
    return (
        await conn.execute(
            sa.select(V.c.id).where(V.c.source == source, V.c.source_id == source_id)
        )
    ).scalar()


# -- recommendations --------------------------------------------------------------------------


async def recommend(
    conn: AsyncConnection,
    profile: Profile,
    *,
    today: date,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[Recommendation]:
    """Open vacancies for this person, best first, each with its reasons (ranking.py).

    Selected: the 100 newest of a desired job or an assessment group in the registered
    regency, the same in the province, and in the whole country only when those are fewer
    than asked (disability-friendly ones rank higher for a person who said so); still too few, the
    newest in the person's place. Abroad: the registered country instead. By columns and
    B-tree indexes (ix_vacancies_open_regency, ..._province): the same vacancies as the
    tags would select, found without the full-text index."""
    wanted = interests(profile)
    interest: Any = None
    if wanted.jobs or wanted.groups:
        interest = sa.or_(
            V.c.occupation_code.in_(sorted(wanted.jobs)), V.c.job_group.in_(sorted(wanted.groups))
        )
    where: list[Any] = []
    if profile.country and profile.country != "ID":
        where.append(V.c.country == profile.country)
    else:
        if profile.regency_code:
            where.append(V.c.regency_code == profile.regency_code)
        if profile.province_code:
            where.append(V.c.province_code == profile.province_code)
        where.append(V.c.country == "ID")
    wanted_rows = offset + limit
    rows: list[Any] = []

    async def add(*conditions: Any) -> None:
        # The ids first (from the index alone on PostgreSQL), then their rows.
        ids = (
            sa.select(V.c.id)
            .where(OPEN, *conditions)
            .order_by(V.c.id.desc())
            .limit(RECOMMEND_CANDIDATES)
            .subquery("newest")
        )
        stmt = sa.select(*HIT_COLUMNS).join_from(V, ids, V.c.id == ids.c.id).order_by(V.c.id.desc())
        rows.extend((await conn.execute(stmt)).all())

    def enough() -> bool:
        return len({r.id for r in rows}) >= wanted_rows

    if interest is not None:
        for place in where[:-1]:  # the regency, the province
            await add(interest, place)
        if not enough() or len(where) == 1:
            await add(interest, where[-1])  # the whole country (or the country abroad)
    for place in where:  # too few: the newest in the person's place
        if enough():
            break
        await add(place)
    ranked = order_recommendations(rows, profile, today)
    return [
        Recommendation(_hit(row, score), reasons)
        for score, row, reasons in ranked[offset : offset + limit]
    ]


# -- browsing ---------------------------------------------------------------------------------


async def categories(conn: AsyncConnection) -> tuple[tuple[str, str, int], ...]:
    """Job groups with open vacancies: (code, name, count), most vacancies first."""
    rows = await conn.execute(
        sa.select(T.c.term, T.c.df).where(T.c.term >= "zzg", T.c.term < "zzh", T.c.df > 0)
    )
    found = [(term[3:], group_name(term[3:]), df) for term, df in rows.all()]
    return tuple(sorted(found, key=lambda g: (-g[2], g[0])))


async def featured_companies(conn: AsyncConnection, limit: int = 10) -> tuple[tuple[str, int], ...]:
    """Companies of the newest featured vacancies, with how many of those each has."""
    await prepare_search(conn)
    rows = await _candidates(conn, _tags("zzfeat"), CANDIDATES)
    counted = Counter(r.company for r in rows)
    return tuple(sorted(counted.items(), key=lambda c: (-c[1], c[0]))[:limit])


async def open_count(conn: AsyncConnection) -> int:
    df = (await conn.execute(sa.select(T.c.df).where(T.c.term == "zzall"))).scalar()
    return int(df or 0)


async def stats(conn: AsyncConnection) -> CatalogueStats:
    """Exact counts for operators (scans the table; not for the chat)."""
    data = catalog()
    is_open = sa.case((V.c.status == "open", 1), else_=0)
    is_closed = sa.case((V.c.status == "open", 0), else_=1)

    async def grouped(column: Any) -> list[tuple[Any, int, int]]:
        rows = await conn.execute(
            sa.select(column, sa.func.sum(is_open), sa.func.sum(is_closed))
            .group_by(column)
            .order_by(column)
        )
        return [(k, int(o or 0), int(c or 0)) for k, o, c in rows.all()]

    provinces = []
    for code, o, c in await grouped(V.c.province_code):
        region = data.province(code) if code else None
        provinces.append((code or "", region.name if region else "-", o, c))
    groups = [
        (g or "", group_name(g) if g else "-", o, c) for g, o, c in await grouped(V.c.job_group)
    ]
    sources = [(s, "", o, c) for s, o, c in await grouped(V.c.source)]
    return CatalogueStats(
        open=sum(o for *_, o, _ in sources),
        closed=sum(c for *_, c in sources),
        by_province=tuple(provinces),
        by_group=tuple(groups),
        by_source=tuple(sources),
    )


# -- writing ----------------------------------------------------------------------------------


def row_values(record: VacancyRecord, today: date) -> dict[str, Any]:
    """The stored columns of a record (status from closes_at, the search strings)."""
    closed = record.closes_at is not None and record.closes_at < today
    return {
        "title": record.title,
        "company": record.company,
        "occupation_code": record.occupation_code,
        "job_group": record.job_group,
        "province_code": record.province_code,
        "regency_code": record.regency_code,
        "city": record.city,
        "country": record.country,
        "openings": record.openings,
        "wage_min": record.wage_min,
        "wage_max": record.wage_max,
        "employment_type": record.employment_type,
        "education_min": record.education_min,
        "age_max": record.age_max,
        "sex": record.sex,
        "disability_friendly": record.disability_friendly,
        "posted_at": record.posted_at,
        "closes_at": record.closes_at,
        "description": record.description,
        "requirements": record.requirements,
        "url": record.url,
        "featured": record.featured,
        "status": "closed" if closed else "open",
        "search_text": search_text(record.title, record.company),
        "search_tags": search_tags(record),
    }


def _indexed(values: Any) -> set[str]:
    if values["status"] != "open":
        return set()
    return set(values["search_text"].split()) | set(values["search_tags"].split())


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


async def upsert(
    conn: AsyncConnection, records: Iterable[VacancyRecord], *, now: datetime, today: date
) -> UpsertCounts:
    """Insert new vacancies and update changed ones, by (source, source_id); a vacancy past
    its closes_at is stored closed. Newer postings get the higher ids (catalogue order).

    New ones are inserted first (``ON CONFLICT DO NOTHING RETURNING``), so a first load
    never looks rows up in a fast-growing table whose statistics are behind; the others
    are then read by key, compared and updated when they changed."""
    latest = {(r.source, r.source_id): r for r in records}  # the last row of a key wins
    if not latest:
        return UpsertCounts()
    ordered = sorted(latest.values(), key=lambda r: (r.posted_at, r.source, r.source_id))
    values = {(r.source, r.source_id): row_values(r, today) for r in ordered}
    rows = [
        {"source": source, "source_id": source_id, **v, "created_at": now, "updated_at": now}
        for (source, source_id), v in values.items()
    ]
    insert: Any = sqlite.insert(V) if _is_sqlite(conn) else postgresql.insert(V)
    stmt = insert.on_conflict_do_nothing(index_elements=["source", "source_id"]).returning(
        V.c.source, V.c.source_id
    )
    inserted: set[tuple[str, str]] = set()
    for chunk in _chunks(rows, 1000):
        result = await conn.execute(stmt, chunk)
        inserted.update((r.source, r.source_id) for r in result.all())
    delta: Counter[str] = Counter()
    for key in inserted:
        delta.update(_indexed(values[key]))
    rest = [key for key in values if key not in inserted]
    existing: dict[tuple[str, str], Any] = {}
    by_source: dict[str, list[str]] = {}
    for source, source_id in rest:
        by_source.setdefault(source, []).append(source_id)
    for source, source_ids in by_source.items():
        for ids in _chunks(source_ids, 500):  # (source, source_id IN ...) uses the index
            found = await conn.execute(
                sa.select(V.c.id, V.c.source, V.c.source_id, *(V.c[c] for c in CONTENT)).where(
                    V.c.source == source, V.c.source_id.in_(ids)
                )
            )
            for row in found.all():
                existing[(row.source, row.source_id)] = row._mapping
    updates: list[dict[str, Any]] = []
    for key in rest:
        old, new = existing[key], values[key]
        if all(old[c] == new[c] for c in CONTENT):
            continue
        delta.update(_indexed(new))
        delta.subtract(_indexed(old))
        updates.append({"_id": old["id"], **new, "updated_at": now})
    if updates:
        update = (
            sa.update(V)
            .where(V.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in (*CONTENT, "updated_at")})
        )
        await conn.execute(update.execution_options(synchronize_session=False), updates)
    await _count_terms(conn, delta)
    return UpsertCounts(len(inserted), len(updates), len(rest) - len(updates))


async def close_expired(conn: AsyncConnection, *, today: date, now: datetime) -> int:
    """Close the open vacancies whose closes_at has passed; how many."""
    return await _close(conn, V.c.closes_at < today, now)


async def close_source(conn: AsyncConnection, source: str, *, now: datetime) -> int:
    """Close every open vacancy of one source (the sample, once real vacancies arrive)."""
    return await _close(conn, V.c.source == source, now)


async def _close(conn: AsyncConnection, where: Any, now: datetime) -> int:
    rows = (
        await conn.execute(
            sa.select(V.c.id, V.c.status, V.c.search_text, V.c.search_tags).where(
                V.c.status == "open", where
            )
        )
    ).all()
    if not rows:
        return 0
    delta: Counter[str] = Counter()
    for row in rows:
        delta.subtract(_indexed(row._mapping))
    for chunk in _chunks([r.id for r in rows], 500):
        await conn.execute(
            sa.update(V)
            .where(V.c.id.in_(chunk))
            .values(status="closed", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    await _count_terms(conn, delta)
    return len(rows)


async def _count_terms(conn: AsyncConnection, delta: Counter[str]) -> None:
    rows = [{"term": t, "df": n} for t, n in sorted(delta.items()) if n]
    if not rows:
        return
    insert: Any = sqlite.insert(T) if _is_sqlite(conn) else postgresql.insert(T)
    stmt = insert.on_conflict_do_update(
        index_elements=[T.c.term], set_={"df": T.c.df + insert.excluded.df}
    )
    for chunk in _chunks(rows, 1000):
        await conn.execute(stmt, chunk)


async def is_empty(conn: AsyncConnection) -> bool:
    return (await conn.execute(sa.select(V.c.id).limit(1))).first() is None


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
