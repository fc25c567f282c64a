"""domain.yml: valid Rasa 3.x, consistent with the code that names its responses, and fit for
every channel (Telegram buttons, numbered plain text, GSM-7 SMS)."""

from __future__ import annotations

import ast
import itertools
import re
import string
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pykwalify.errors import SchemaError

from bot.app import build_router
from bot.core.conversation import JOURNEYS, NAV_INTENTS, OFFERABLE
from bot.core.domain import NAV_KEY, PLAIN_CHANNELS, Domain
from bot.core.plaintext import FOOTER_KEY, render_plain
from bot.core.types import Context, Input, OutboundMessage, Say
from bot.dialogs import jobseeker, profile
from bot.dialogs.eligibility import (
    QUESTIONS,
    WAGE,
    EligibilityDialog,
    path,
    stopped_early,
    to_answers,
    verdict_messages,
)
from bot.dialogs.questions import UNKNOWN, Problem, Question, read_answer
from bot.knowledge.faq import FAQ_RESPONSES
from bot.records.model import EligibilityQuery, ProfileQuery, ProfileRecord
from bot.rules.config import RuleSettings
from bot.rules.eligibility import CLAUSES, Verdict, assess
from bot.settings import Settings
from bot.testing.rasa_schema import rasa_validate as validate_against_rasa
from bot.testing.rasa_schema import schemas_or_skip

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT.parent / "shared" / "rasa-schemas"
DOMAIN_PATH = ROOT / "domain.yml"
BOT_SOURCE = ROOT / "bot"
TELEGRAM_SOURCE = BOT_SOURCE / "channels" / "telegram.py"

CHANNELS = ("telegram", "console", "sms")
KNOWN_CHANNEL_NAMES = frozenset({"plain", "telegram", "console", "sms"})
UTTER_KEY = re.compile(r"utter_[a-z0-9_]+(?:/[a-z0-9_]+)?")  # "/": a retrieval intent's answer
UNFILLED = re.compile(r"\{[^{}]*\}")

# GSM 03.38 basic character set (the escape code excluded): an SMS with any other character
# goes out as UCS-2, 70 characters per part instead of 160.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
MAX_TITLE = 60  # characters: longer titles are cut off on small phones
MAX_CALLBACK_BYTES = 64  # Bot API limit for callback_data

# Responses no code path names. Keep this empty unless a response is kept on purpose.
ALLOWED_UNUSED: frozenset[str] = frozenset()


# -- loading ------------------------------------------------------------------------------
def _load_yaml(file: Path) -> Any:
    with file.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data = _load_yaml(DOMAIN_PATH)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def domain(raw: dict[str, Any]) -> Domain:
    return Domain(raw)


def _default_variation(domain: Domain, key: str) -> dict[str, Any]:
    return next(v for v in domain.responses[key] if "channel" not in v)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _dummy_params(domain: Domain, key: str) -> dict[str, str]:
    names: set[str] = set()
    for variation in domain.responses[key]:
        names |= _placeholders(str(variation.get("text") or ""))
        for button in variation.get("buttons") or []:
            names |= _placeholders(str(button["title"]))
    return dict.fromkeys(names, "X")


def _served_texts(domain: Domain, message: OutboundMessage, channel: str) -> list[str]:
    """Everything a user of ``channel`` reads of ``message``."""
    rendered = domain.render(message, channel)
    if channel in PLAIN_CHANNELS:
        return [render_plain(rendered, domain, channel)]
    return [rendered.text, *(b.title for b in (*rendered.buttons, *rendered.nav))]


# -- Rasa's own schema --------------------------------------------------------------------
def rasa_validate(data: Any, main_schema: str) -> None:
    schemas_or_skip(SCHEMAS)
    validate_against_rasa(data, SCHEMAS, main_schema)


def test_domain_is_valid_rasa(raw: dict[str, Any]) -> None:
    rasa_validate(raw, "domain.yml")


@pytest.mark.parametrize(
    "broken",
    [
        {"utter_x": [{"buttons": [{"title": "A", "payload": "a"}]}]},  # no text
        {"utter_x": [{"txt": "typo"}]},  # unknown variation key
        {"utter_x": [{"text": "A", "buttons": "not a list"}]},
    ],
    ids=["no-text", "unknown-key", "buttons-not-a-list"],
)
def test_rasa_schema_check_rejects_broken_responses(
    raw: dict[str, Any], broken: dict[str, Any]
) -> None:
    with pytest.raises(SchemaError):
        rasa_validate({**raw, "responses": {**raw["responses"], **broken}}, "domain.yml")


# -- shape of the responses ---------------------------------------------------------------
def test_every_variation_has_text_or_buttons(domain: Domain) -> None:
    problems = []
    for key, variations in domain.responses.items():
        if not variations:
            problems.append(f"{key}: no variations")
        for i, variation in enumerate(variations or []):
            if not (str(variation.get("text") or "").strip() or variation.get("buttons")):
                problems.append(f"{key}[{i}]: neither text nor buttons")
    assert not problems


def test_channels_are_known_and_each_served_once(domain: Domain) -> None:
    problems = []
    for key, variations in domain.responses.items():
        names = [v.get("channel") for v in variations]
        unknown = {n for n in names if n is not None and n not in KNOWN_CHANNEL_NAMES}
        if unknown:
            problems.append(f"{key}: unknown channel {sorted(unknown)}")
        if names.count(None) != 1:  # Domain.variation serves only the first default
            problems.append(f"{key}: {names.count(None)} variations without channel")
        duplicated = {n for n in names if n is not None and names.count(n) > 1}
        if duplicated:
            problems.append(f"{key}: several variations for {sorted(duplicated)}")
    assert not problems


# -- the questions of the eligibility dialog ----------------------------------------------
@pytest.mark.parametrize("q", [*QUESTIONS, WAGE], ids=lambda q: q.slot)
def test_question_buttons_match_the_code(domain: Domain, q: Question) -> None:
    assert domain.has(q.ask_key), f"domain.yml lacks {q.ask_key}"
    default = _default_variation(domain, q.ask_key)
    payloads = [b["payload"] for b in default.get("buttons") or []]
    served_plain = [domain.variation(q.ask_key, c) for c in sorted(PLAIN_CHANNELS)]
    if q.kind == "choice":
        assert payloads == q.payloads()
        for variation in served_plain:  # plain channels answer by number: same options
            assert [b["payload"] for b in variation.get("buttons") or []] == q.payloads()
        return
    assert payloads == ([f"{q.slot}:{UNKNOWN}"] if q.unknown else [])
    for variation in served_plain:
        # A typed "12" must be read as 12, not as option 12: no numbered options here.
        assert not variation.get("buttons"), f"{q.ask_key}: plain variation has buttons"
    if q.unknown:
        plain = [v for v in domain.responses[q.ask_key] if v.get("channel") == "plain"]
        assert len(plain) == 1, f"{q.ask_key}: needs a `channel: plain` variation"
        assert "TIDAK TAHU" in str(plain[0].get("text")), f"{q.ask_key}: plain text"


# -- every key the code can name, and only those ------------------------------------------
def _module_constant(file: Path, name: str) -> Any:
    """A literal module-level constant, read without importing (aiogram takes seconds)."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{file}: no constant {name}")


COMMANDS: tuple[str, ...] = _module_constant(TELEGRAM_SOURCE, "COMMANDS")
PROFILE_FIELDS = tuple(q for s in profile.SECTIONS for q in s.fields)
# The f-string response keys in bot/, each field written as {}: enumerated_keys() lists the
# keys of each from the code's real value sets.
PATTERNS = (
    "utter_ask_{}",
    "utter_verdict_{}",
    "utter_next_{}",
    "utter_cond_{}_{}",
    "utter_data_{}",
    "utter_invalid_date_{}",
    "utter_invalid_{}_{}",
    "utter_cmd_{}",
    "utter_option_{}",
    "utter_soon_{}",
    "utter_ask_js_{}",
    "utter_not_found_{}",
    "utter_profile_line_{}",
    "utter_profile_entry_{}",
    "utter_change_{}",
)


def _bot_trees() -> Iterator[ast.Module]:
    for file in sorted(BOT_SOURCE.rglob("*.py")):
        yield ast.parse(file.read_text(encoding="utf-8"), filename=str(file))


@cache
def literal_keys() -> frozenset[str]:
    """String constants in bot/ that are whole response keys (prefixes end with "_")."""
    found: set[str] = set()
    for tree in _bot_trees():
        for node in ast.walk(tree):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and UTTER_KEY.fullmatch(value) and not value.endswith("_"):
                found.add(value)
    return frozenset(found)


@cache
def fstring_patterns() -> frozenset[str]:
    """Response keys built by f-strings in bot/, each field written as ``{}``."""
    found: set[str] = set()
    for tree in _bot_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                pattern = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
                if pattern.startswith("utter_"):
                    found.add(pattern)
    return frozenset(found)


TODAY = date(2025, 6, 15)
NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
RULES = RuleSettings()
# Dates as the dialog stores them, before / on / after each other and today.
PHK_DATES = ("2025-06-01", "2024-01-10", "2025-07-01")  # in the claim window, past it, future
CONTRACT_ENDS = ("2025-03-01", "2025-06-01", "2026-06-01")  # before, on, after a PHK date
ELIGIBLE_ANSWERS: dict[str, Any] = {
    "laid_off": "yes",
    "reason": "employer",
    "contract": "pkwt",
    "contract_end": "2026-06-01",
    "phk_date": "2025-06-01",
    "phi_pending": "no",
    "proof_letter": "yes",
    "willing": "yes",
    "member": "yes",
    "citizen": "yes",
    "age_ok": "yes",
    "contribution_months": 24,
    "consecutive_months": 24,
}


def answer_values(q: Question) -> list[Any]:
    """Every answer the dialog can store for ``q`` (per kind: options, dates, month counts)."""
    unknown = [UNKNOWN] if q.unknown else []
    if q.kind == "choice":
        return [p.split(":", 1)[1] for p in q.payloads()]
    if q.kind == "date":
        return [*unknown, *(PHK_DATES if q.slot == "phk_date" else CONTRACT_ENDS)]
    if q.kind == "months":
        return [*unknown, 0, q.maximum]
    raise AssertionError(f"no answer values for the kind {q.kind!r}")


def answer_sets() -> Iterator[dict[str, Any]]:
    """Every combination of values of any three questions, the others unanswered or at an
    eligible baseline: every condition of ``assess`` reads at most three answers, so this
    reaches each (condition, status) pair the full product would (~1.9 M cases)."""
    values = {q.slot: answer_values(q) for q in QUESTIONS}
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for base in ({}, ELIGIBLE_ANSWERS):
        for slots in itertools.combinations(values, 3):
            for combo in itertools.product(*(values[s] for s in slots)):
                answers = {**base, **dict(zip(slots, combo, strict=True))}
                kept = {slot: answers[slot] for slot in path(answers)}
                signature = tuple(sorted(kept.items()))
                if signature not in seen:
                    seen.add(signature)
                    yield kept


@cache
def verdict_enumeration() -> tuple[frozenset[str], frozenset[Verdict], tuple[Say, ...]]:
    """Keys ``verdict_messages`` emits, verdicts reached, one sample Say per key."""
    keys: set[str] = set()
    verdicts: set[Verdict] = set()
    samples: dict[str, Say] = {}
    for answers in answer_sets():
        result = assess(to_answers(answers), TODAY, RULES)
        verdicts.add(result.verdict)
        early = stopped_early(answers, TODAY, RULES)
        for message in verdict_messages(result, RULES, TODAY, early=early):
            for part in message.parts:
                keys.add(part.key)
                samples.setdefault(part.key, part)
    return frozenset(keys), frozenset(verdicts), tuple(samples.values())


BAD_INPUTS = (
    Input(media="sticker"),
    Input(choice="some_other_question:yes"),
    Input(text=""),
    Input(text="entahlah"),  # format
    Input(text="31-02-2025"),  # impossible date
    Input(text="01-01-1900"),  # date out of range
    Input(text="99"),  # months out of range
    Input(text="0"),  # rupiah out of range
    Input(text="2000000000"),  # rupiah out of range
    Input(text="x" * 300),  # text too long
    Input(text="1850"),  # year out of range
)


@cache
def reprompt_problems() -> tuple[Problem, ...]:
    found: dict[str, Problem] = {}
    for q in (*QUESTIONS, WAGE, *PROFILE_FIELDS):
        for inp in BAD_INPUTS:
            answer = read_answer(q, inp, TODAY)
            if isinstance(answer, Problem):
                found.setdefault(answer.key, answer)
    return tuple(found.values())


@cache
def summary_lines() -> tuple[Say, ...]:
    """What "data saya" shows for every stored answer, known and unknown."""
    dialog = EligibilityDialog(RULES)
    lines: list[Say] = []
    for pick in (0, -1):
        answers = {q.slot: answer_values(q)[pick] for q in QUESTIONS}
        summary = dialog.summary(
            Context(NOW, answers={EligibilityQuery(): None}), {"answers": answers}
        )
        lines.extend(Say(key, params) for key, params in summary)
    personal = {"pf_full_name": "Budi", "pf_birth_date": "1990-08-17", "pf_gender": "male",
                "pf_domicile": "3275"}  # fmt: skip
    record = ProfileRecord({"personal": (personal,), "photo": ({"pf_photo": "file"},)})
    ctx = Context(NOW, answers={ProfileQuery(): record})
    lines.extend(Say(k, p) for k, p in profile.ProfileDialog().summary(ctx, {}))
    return tuple(lines)


@cache
def enumerated_keys() -> dict[str, frozenset[str]]:
    """Keys of each f-string in bot/, from the real value sets of the code."""
    emitted, _, _ = verdict_enumeration()
    problem_keys = {p.key for p in reprompt_problems()}
    return {
        "utter_ask_{}": frozenset(q.ask_key for q in (*QUESTIONS, WAGE, *PROFILE_FIELDS)),
        "utter_verdict_{}": frozenset(f"utter_verdict_{v}" for v in Verdict),
        "utter_next_{}": frozenset(f"utter_next_{v}" for v in Verdict),
        "utter_cond_{}_{}": frozenset(k for k in emitted if k.startswith("utter_cond_")),
        "utter_data_{}": frozenset(s.key for s in summary_lines()),
        "utter_invalid_date_{}": frozenset(
            k for k in problem_keys if k.startswith("utter_invalid_date_")
        ),
        "utter_invalid_{}_{}": frozenset(
            k for k in problem_keys if re.fullmatch(r"utter_invalid_(months|rupiah)_\w+", k)
        ),
        "utter_cmd_{}": frozenset(f"utter_cmd_{c}" for c in COMMANDS),
        "utter_option_{}": frozenset(
            f"utter_option_{label}" for label in (*OFFERABLE, *FAQ_RESPONSES)
        ),
        "utter_soon_{}": frozenset(f"utter_soon_{i}" for i, j in JOURNEYS.items() if j is None),
        "utter_ask_js_{}": frozenset(f"utter_ask_js_{step}" for step in jobseeker.ASKED_BY_NAME),
        "utter_not_found_{}": frozenset(f"utter_not_found_{step}" for step in jobseeker.PICK_STEPS),
        "utter_profile_line_{}": frozenset(
            {"utter_profile_line_done", "utter_profile_line_missing", "utter_profile_line_none"}
        ),
        "utter_profile_entry_{}": frozenset(
            f"utter_profile_entry_{s.id}" for s in profile.SECTIONS if s.repeating
        ),
        "utter_change_{}": frozenset(f"utter_change_{q.slot}" for q in QUESTIONS),
    }


def used_keys() -> set[str]:
    emitted, _, _ = verdict_enumeration()
    keys = set(literal_keys()) | emitted | {p.key for p in reprompt_problems()}
    for group in enumerated_keys().values():
        keys |= group
    return keys


def test_every_fstring_key_pattern_is_enumerated() -> None:
    """A new f-string key in bot/ must be enumerated in ``enumerated_keys`` too."""
    assert fstring_patterns() == set(PATTERNS) == set(enumerated_keys())
    for pattern, keys in enumerated_keys().items():
        regex = re.compile(re.escape(pattern).replace(r"\{\}", "[a-z0-9_]+(?:/[a-z0-9_]+)?"))
        # utter_soon_<intent>: a journey not built yet; today every journey is built
        assert keys or pattern == "utter_soon_{}", f"{pattern}: nothing enumerated"
        assert all(regex.fullmatch(k) for k in keys), pattern


def test_enumeration_reaches_every_verdict_and_parse_error() -> None:
    _, verdicts, _ = verdict_enumeration()
    assert verdicts == set(Verdict)
    assert assess(to_answers(ELIGIBLE_ANSWERS), TODAY, RULES).verdict is Verdict.ELIGIBLE
    reasons: dict[str, set[str]] = {}
    for key in (p.key for p in reprompt_problems()):
        if m := re.fullmatch(r"utter_invalid_(date|months|rupiah)_(\w+)", key):
            reasons.setdefault(m.group(1), set()).add(m.group(2))
    assert reasons == {
        "date": {"format", "impossible", "range"},
        "months": {"format", "range"},
        "rupiah": {"format", "range"},
    }


def test_literal_keys_exist(domain: Domain) -> None:
    assert len(literal_keys()) > 20
    assert sorted(k for k in literal_keys() if not domain.has(k)) == []


@pytest.mark.parametrize("pattern", PATTERNS)
def test_enumerated_keys_exist(domain: Domain, pattern: str) -> None:
    assert sorted(k for k in enumerated_keys()[pattern] if not domain.has(k)) == []


def test_every_key_emitted_by_verdicts_and_reprompts_exists(domain: Domain) -> None:
    emitted, _, _ = verdict_enumeration()
    missing = sorted(k for k in emitted | {p.key for p in reprompt_problems()} if not domain.has(k))
    assert missing == []


def test_no_response_is_unused(domain: Domain) -> None:
    unused = sorted(set(domain.responses) - used_keys() - ALLOWED_UNUSED)
    assert unused == [], "responses no code path names"
    assert set(domain.responses) >= ALLOWED_UNUSED, "stale entries in ALLOWED_UNUSED"


def test_every_button_payload_is_understood(domain: Domain) -> None:
    """``/intent`` is a navigation intent, ``menu:x`` a dialog or one, ``slot:value`` a
    question's answer (checked above); any other payload is a literal the code compares."""
    dialogs = set(build_router(Settings()).dialogs)
    slots = {q.slot for q in (*QUESTIONS, WAGE)}
    literals = {
        node.value
        for tree in _bot_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    problems_found = []
    for key, variations in domain.responses.items():
        for variation in variations:
            for button in variation.get("buttons") or []:
                payload = str(button["payload"])
                if payload.startswith("/"):
                    ok = payload[1:] in NAV_INTENTS and payload[1:] in domain.intents
                elif payload.startswith("menu:"):
                    target = payload.removeprefix("menu:").partition(":")[0]  # :<entry>
                    ok = target in dialogs or target in NAV_INTENTS
                elif payload.split(":", 1)[0] in slots:
                    ok = payload in {p for q in QUESTIONS for p in q.payloads()}
                else:
                    # A literal the code compares, or "<prefix>:<value>" read in two halves
                    # (a value may be a {placeholder} filled at render time).
                    prefix, _, value = payload.partition(":")
                    ok = payload in literals or (
                        prefix in literals and (value in literals or "{" in value)
                    )
                if not ok:
                    problems_found.append(f"{key}: {payload}")
    assert problems_found == []


# -- rendering ----------------------------------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_response_renders_with_dummy_params(domain: Domain, channel: str) -> None:
    problems_found = []
    for key in domain.responses:
        params = _dummy_params(domain, key)
        bad_names = sorted(n for n in params if not n.isidentifier())
        if bad_names:
            problems_found.append(f"{key}: placeholders {bad_names}")
            continue
        for text in _served_texts(domain, OutboundMessage((Say(key, params),)), channel):
            if UNFILLED.search(text):
                problems_found.append(f"{key}: {UNFILLED.findall(text)}")
    assert problems_found == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_code_params_fill_every_placeholder(domain: Domain, channel: str) -> None:
    """Messages built by the code itself (verdicts, re-prompts, "data saya") leave nothing
    unfilled, and a ``choice:`` value always finds its button title."""
    _, _, samples = verdict_enumeration()
    says = [*samples, *(Say(p.key, p.params) for p in reprompt_problems()), *summary_lines()]
    problems_found = []
    for part in says:
        if not domain.has(part.key):
            continue  # reported by the tests above
        for text in _served_texts(domain, OutboundMessage((part,)), channel):
            if UNFILLED.search(text) or "choice:" in text:
                problems_found.append(f"{part.key}: {text!r}")
    assert problems_found == []


def test_sms_texts_are_gsm7(domain: Domain) -> None:
    """What SMS users get (``Domain.variation(key, "sms")`` with buttons as numbered lines)."""
    offending: dict[str, str] = {}
    for key in domain.responses:
        if key == NAV_KEY:  # never rendered on plain channels (see the next test)
            continue
        message = OutboundMessage((Say(key, _dummy_params(domain, key)),))
        (text,) = _served_texts(domain, message, "sms")
        bad = sorted({c for c in text if c not in GSM7_BASIC})
        if bad:
            offending[key] = "".join(bad)
    assert offending == {}


def test_clauses_filled_into_sms_are_gsm7() -> None:
    assert {k: v for k, v in CLAUSES.items() if not set(v) <= GSM7_BASIC} == {}


@pytest.mark.parametrize("channel", sorted(PLAIN_CHANNELS))
def test_plain_text_shows_no_nav_titles_and_the_footer_only_when_asked(
    domain: Domain, channel: str
) -> None:
    nav_titles = [str(b["title"]) for b in domain.variation(NAV_KEY, "telegram")["buttons"]]
    assert nav_titles
    footer = str(domain.variation(FOOTER_KEY, channel)["text"])
    question = QUESTIONS[0].ask_key
    rendered = domain.render(OutboundMessage((Say(question),)), channel)
    assert rendered.nav, "a question carries navigation"
    text = render_plain(rendered, domain, channel)
    assert not [t for t in nav_titles if t in text]
    assert footer not in text  # not under every question: once, when a dialog opens
    opened = domain.render(OutboundMessage((Say(question), Say(FOOTER_KEY))), channel)
    text = render_plain(opened, domain, channel)
    assert text.endswith("\n\n" + footer)  # after the numbered options, not between
    assert text.index("1. ") < text.index(footer)


def test_the_footer_is_part_of_the_text_on_telegram(domain: Domain) -> None:
    rendered = domain.render(OutboundMessage((Say(QUESTIONS[0].ask_key), Say(FOOTER_KEY))),
                             "telegram")  # fmt: skip
    assert rendered.text.endswith(str(domain.variation(FOOTER_KEY, "telegram")["text"]))
    assert rendered.footer == ""


def test_button_type_inline_puts_a_part_in_one_row(domain: Domain) -> None:
    """``button_type: inline`` (Rasa's Telegram meaning) makes one row of that part's
    buttons; other parts keep one button per row; plain text numbers them all alike."""
    data = dict(domain.data)
    responses = {
        **domain.responses,
        "utter_x_row": [{"text": "Skala?", "button_type": "inline", "buttons": [
            {"title": str(i), "payload": f"x:{i}"} for i in range(1, 6)]}],
        "utter_x_col": [{"text": "", "buttons": [
            {"title": "A", "payload": "x:a"}, {"title": "B", "payload": "x:b"}]}],
    }  # fmt: skip
    test_domain = Domain({**data, "responses": responses})
    rendered = test_domain.render(OutboundMessage((Say("utter_x_row"), Say("utter_x_col"))),
                                  "telegram")  # fmt: skip
    assert [[b.title for b in row] for row in rendered.button_rows()] == [
        ["1", "2", "3", "4", "5"],
        ["A"],
        ["B"],
    ]
    plain = render_plain(test_domain.render(OutboundMessage((Say("utter_x_row"),)), "console"),
                         test_domain, "console")  # fmt: skip
    assert plain.endswith("1. 1\n2. 2\n3. 3\n4. 4\n5. 5")


# -- Telegram limits ----------------------------------------------------------------------
def _buttons(responses: Mapping[str, list[dict[str, Any]]]) -> Iterator[tuple[str, str, str]]:
    for key, variations in responses.items():
        for variation in variations:
            for button in variation.get("buttons") or []:
                yield key, str(button["title"]), str(button["payload"])


def test_button_titles_are_short(domain: Domain) -> None:
    long = [(k, t, len(t)) for k, t, _ in _buttons(domain.responses) if len(t) > MAX_TITLE]
    assert long == []


def test_callback_payloads_fit_the_bot_api(domain: Domain) -> None:
    bad = [
        (k, p)
        for k, _, p in _buttons(domain.responses)
        if not 1 <= len(p.encode("utf-8")) <= MAX_CALLBACK_BYTES
    ]
    assert bad == []
