"""Button payloads for the vacancy dialogs, within Telegram's 64 bytes of callback data.

- ``vac:<id>``: open the card of vacancy ``id`` (a stale one just shows that vacancy, or
  says it is gone);
- ``vp:<token>:<page>``: a page of the search whose :func:`query_token` is ``token``; the
  dialog keeps its query in its data and refuses a token that is not the current one
  (a button of an older search: "utter_invalid_stale_button", as elsewhere);
- ``vpl:<token>:<i>``: the i-th place offered for an ambiguous place ("Kota or Kabupaten
  Bekasi?"), ``vs:<token>:<i>``: the i-th suggestion of an empty result.

The longest, ``vac:`` with the largest BigInteger, is 23 bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple
from typing import NamedTuple

from bot.vacancies.model import VacancyQuery

MAX_BYTES = 64


def query_token(query: VacancyQuery) -> str:
    """Six hex digits naming a query (its page left out)."""
    key = repr(astuple(query.at_page(0)))
    return hashlib.sha1(key.encode()).hexdigest()[:6]


def card(vacancy_id: int) -> str:
    return f"vac:{vacancy_id}"


def page(query: VacancyQuery, number: int) -> str:
    return f"vp:{query_token(query)}:{number}"


def place(query: VacancyQuery, index: int) -> str:
    return f"vpl:{query_token(query)}:{index}"


def suggestion(query: VacancyQuery, index: int) -> str:
    return f"vs:{query_token(query)}:{index}"


class Payload(NamedTuple):
    kind: str  # vac | vp | vpl | vs
    token: str  # "" for vac
    number: int  # the vacancy id, page, place or suggestion index


def parse(data: str) -> Payload | None:
    """The payload's parts; None when it is not a well-formed vacancy payload."""
    parts = data.split(":")
    if parts[0] == "vac" and len(parts) == 2 and parts[1].isdigit():
        return Payload("vac", "", int(parts[1]))
    fresh = len(parts) == 3 and len(parts[1]) == 6 and set(parts[1]) <= set("0123456789abcdef")
    if parts[0] in ("vp", "vpl", "vs") and fresh and parts[2].isdigit():
        return Payload(parts[0], parts[1], int(parts[2]))
    return None
