"""Reading Rasa 3.x NLU training data: intents (and retrieval intents such as
``benefit_info/duration``), examples with their entity annotations, synonyms, regexes and
lookup tables.

Only the parts of the format this project writes are read: examples as a ``|`` block of
``- text`` lines, entities as ``[text](entity)`` or ``[text]{"entity": "...", "value": "..."}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NLU_DIR = Path(__file__).resolve().parent
# The training data, in this order. Held-out examples live apart (tests/nlu/heldout.yml) so
# that no tool, Rasa's included, can train on them by reading this folder.
TRAINING_FILES = ("nlu.yml", "faq.yml")
# Rasa lookup tables generated from bot/data (nlu/tools/build_lookups.py). The interpreter
# matches jobs and places with bot/knowledge/search.py over the same lists, so it does not
# read them; they keep the data complete for Rasa.
LOOKUP_FILE = "lookups.yml"
HELDOUT_PATH = NLU_DIR.parent / "tests" / "nlu" / "heldout.yml"

_EXAMPLE_LINE = re.compile(r"^\s*-\s?(.*)$")
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")


def block_examples(block: str) -> list[str]:
    """The examples of a ``|`` block, one per ``- `` line."""
    return [m.group(1).strip() for line in block.splitlines() if (m := _EXAMPLE_LINE.match(line))]


@dataclass(frozen=True)
class Annotation:
    entity: str
    start: int
    end: int
    text: str
    value: str | None = None  # a value other than the text, when the annotation gives one


@dataclass(frozen=True)
class Example:
    text: str  # annotations removed
    label: str  # "affirm", or a retrieval intent "benefit_info/duration"
    entities: tuple[Annotation, ...] = ()

    @property
    def intent(self) -> str:
        return base_intent(self.label)


def base_intent(label: str) -> str:
    """ "benefit_info/duration" → "benefit_info" (Rasa's retrieval intents)."""
    return label.split("/", 1)[0]


def strip_annotations(annotated: str) -> tuple[str, tuple[Annotation, ...]]:
    """ "cari [sopir](job) di [bekasi](place)" → ("cari sopir di bekasi", annotations)."""
    out: list[str] = []
    found: list[Annotation] = []
    position = 0
    length = 0
    for m in _ANNOTATION.finditer(annotated):
        before = annotated[position : m.start()]
        out.append(before)
        length += len(before)
        text = m.group("text")
        if m.group("json"):
            spec = json.loads(m.group("json"))
            entity, value = str(spec["entity"]), spec.get("value")
        else:
            entity, value = m.group("entity"), None
        found.append(Annotation(entity, length, length + len(text), text, value))
        out.append(text)
        length += len(text)
        position = m.end()
    out.append(annotated[position:])
    return "".join(out), tuple(found)


@dataclass(frozen=True)
class NluData:
    examples: tuple[Example, ...]
    synonyms: Mapping[str, str] = field(default_factory=dict)  # word as typed → canonical
    lookups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regexes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return sorted({e.label for e in self.examples})

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @classmethod
    def from_yaml(cls, documents: Iterable[Mapping[str, Any]]) -> NluData:
        examples: list[Example] = []
        synonyms: dict[str, str] = {}
        lookups: dict[str, tuple[str, ...]] = {}
        regexes: dict[str, tuple[str, ...]] = {}
        for document in documents:
            for item in document.get("nlu") or []:
                items = tuple(block_examples(item.get("examples") or ""))
                if "intent" in item:
                    for annotated in items:
                        text, entities = strip_annotations(annotated)
                        examples.append(Example(text, item["intent"], entities))
                elif "synonym" in item:
                    for word in items:
                        synonyms[word] = str(item["synonym"])
                elif "lookup" in item:
                    lookups[item["lookup"]] = lookups.get(item["lookup"], ()) + items
                elif "regex" in item:
                    regexes[item["regex"]] = regexes.get(item["regex"], ()) + items
        return cls(tuple(examples), synonyms, lookups, regexes)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return data if isinstance(data, dict) else {}


def training_paths(directory: Path = NLU_DIR) -> list[Path]:
    return [directory / name for name in TRAINING_FILES if (directory / name).exists()]


def load_training(directory: Path = NLU_DIR) -> tuple[NluData, list[dict[str, Any]]]:
    """The training data of ``directory`` and the raw YAML documents it came from."""
    documents = [load_yaml(path) for path in training_paths(directory)]
    return NluData.from_yaml(documents), documents
