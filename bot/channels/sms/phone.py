"""Phone numbers: normalised to E.164 with ``phonenumbers`` (Google's libphonenumber), a keyed
hash for lookups, and a masked form for showing and logging. Pure functions.

A number is personal data: store it encrypted, and find a person by
:func:`phone_lookup_hash` (HMAC-SHA256 under a key the caller keeps), never by the number.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType

DEFAULT_REGION = "ID"
MAX_INPUT = 40  # characters: longer is not a phone number somebody typed
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class PhoneProblem(StrEnum):
    """Why a number was refused; stable codes a dialog can turn into a response key."""

    FORMAT = "format"  # not a phone number at all ("abc", "12")
    INVALID = "invalid"  # shaped like one, but no such number (too short, unknown prefix)
    NOT_MOBILE = "not_mobile"  # a landline, toll-free or premium number: SMS cannot reach it


class PhoneError(ValueError):
    def __init__(self, problem: PhoneProblem, raw: str) -> None:
        super().__init__(f"{problem.value}: {raw!r}")
        self.problem = problem


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = raw.strip().removeprefix("whatsapp:").removeprefix("tel:").strip()
    if not text or len(text) > MAX_INPUT or sum(c.isdigit() for c in text) < 3:
        raise PhoneError(PhoneProblem.FORMAT, raw)
    if any(c.isalpha() for c in text):
        raise PhoneError(PhoneProblem.FORMAT, raw)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(PhoneProblem.FORMAT, raw) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(PhoneProblem.INVALID, raw)
    return number


def normalise_phone(raw: str, region: str = DEFAULT_REGION, *, mobile_only: bool = True) -> str:
    """``raw`` in E.164 (``+6281234567890``), or :class:`PhoneError` with the reason.

    Accepts what people type and gateways send: ``0812 3456 7890``, ``081234567890``,
    ``6281234567890``, ``+62 812-3456-7890``, ``(0812) 3456-7890``, ``+62 (0)812...``,
    ``whatsapp:+62...``. A number without a country code is read in ``region``. Mobile
    numbers of other countries are accepted (a worker abroad). With ``mobile_only`` (the
    default) a landline or service number is refused: an SMS cannot reach it.
    """
    number = _parse(raw, region)
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneError(PhoneProblem.NOT_MOBILE, raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value: str) -> bool:
    """Already normalised: ``+`` and digits, and the same after normalising."""
    try:
        return normalise_phone(value, mobile_only=False) == value
    except PhoneError:
        return False


def phone_lookup_hash(e164: str, key: bytes) -> str:
    """HMAC-SHA256 of the E.164 number under ``key``, as 64 hex digits.

    Stored beside the encrypted number, it finds a person by number without the number
    being readable. Without the key the hash cannot be recomputed from a list of all
    Indonesian numbers (a plain SHA-256 could). The key must not rotate with the encryption
    keys, or every stored hash must be recomputed.
    """
    if not key:
        raise ValueError("phone_lookup_hash needs a non-empty key")
    if not is_e164(e164):
        raise ValueError("phone_lookup_hash takes a number normalised by normalise_phone")
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def mask_phone(e164: str) -> str:
    """``+62 812-****-7890``: enough to recognise one's own number, safe for logs."""
    number = phonenumbers.parse(e164, None)
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = [i for i, c in enumerate(shown) if c.isdigit()]
    country = len(str(number.country_code))
    keep = set(digits[: country + 3]) | set(digits[-4:])
    return "".join("*" if i in digits and i not in keep else c for i, c in enumerate(shown))
