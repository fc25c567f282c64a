"""Loading the reference data once, as immutable dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
RIASEC = ("R", "I", "A", "S", "E", "C")


def _load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass(frozen=True)
class Occupation:
    title: str
    isco: str  # ISCO-08 / KBJI 2014 unit group, 4 digits
    synonyms: tuple[str, ...]

    @property
    def group(self) -> str:
        """The sub-major group (2 digits) the occupation belongs to."""
        return self.isco[:2]


@dataclass(frozen=True)
class JobGroup:
    code: str
    name: str
    explanation: str
    riasec: dict[str, float]


@dataclass(frozen=True)
class InventoryItem:
    id: str
    type: str
    text: str


@dataclass(frozen=True)
class Region:
    code: str  # Kemendagri: 2 digits for a province, 4 for a regency / city
    name: str
    tz: str
    province: str  # the province's name


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    occupations: tuple[Occupation, ...]
    groups: dict[str, JobGroup]
    items: tuple[InventoryItem, ...]
    scale: tuple[tuple[int, str], ...]
    provinces: tuple[Region, ...]
    regencies: tuple[Region, ...]
    countries: tuple[Country, ...]

    def occupation(self, title: str) -> Occupation | None:
        return next((o for o in self.occupations if o.title == title), None)

    def regency(self, code: str) -> Region | None:
        return next((r for r in self.regencies if r.code == code), None)

    def province(self, code: str) -> Region | None:
        return next((p for p in self.provinces if p.code == code), None)

    def country(self, code: str) -> Country | None:
        return next((c for c in self.countries if c.code == code), None)


@cache
def catalog() -> Catalog:
    occ = _load("occupations.yml")
    groups = _load("job_groups.yml")
    inventory = _load("interest_inventory.yml")
    regions = _load("regions.yml")
    countries = _load("countries.yml")
    return Catalog(
        occupations=tuple(
            Occupation(o["title"], str(o["isco"]), tuple(o.get("synonyms") or ()))
            for o in occ["occupations"]
        ),
        groups={
            str(g["code"]): JobGroup(
                str(g["code"]),
                g["name_id"],
                g["explanation"],
                {t: float(g["riasec"][t]) for t in RIASEC},
            )
            for g in groups["groups"]
        },
        items=tuple(InventoryItem(i["id"], i["type"], i["text"]) for i in inventory["items"]),
        scale=tuple((int(s["value"]), str(s["label"])) for s in inventory["scale"]),
        provinces=tuple(
            Region(p["code"], p["name"], p["tz"], p["name"]) for p in regions["provinces"]
        ),
        regencies=tuple(
            Region(r["code"], r["name"], r["tz"], p["name"])
            for p in regions["provinces"]
            for r in p["regencies"]
        ),
        countries=tuple(
            Country(c["code"], c["name"], tuple(c.get("synonyms") or ()))
            for c in countries["countries"]
        ),
    )
