"""Phone numbers: E.164 normalisation, refusals with a reason, the keyed lookup hash."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.sms.phone import (
    PhoneError,
    PhoneProblem,
    is_e164,
    mask_phone,
    normalise_phone,
    phone_lookup_hash,
)

BUDI = "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812 3456 7890",
        "0812-3456-7890",
        "(0812) 3456-7890",
        "6281234567890",
        "62 812 3456 7890",
        "+6281234567890",
        "+62 812-3456-7890",
        "+62 (0)812 3456 7890",
        " +62.812.3456.7890 ",
        "whatsapp:+6281234567890",
        "tel:+62-812-3456-7890",
    ],
)
def test_indonesian_mobile_numbers_as_people_type_them(raw: str) -> None:
    assert normalise_phone(raw) == BUDI


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0811234567", "+62811234567"),  # 10 digits: older Telkomsel numbers
        ("0881 1234 5678", "+6288112345678"),  # Smartfren
        ("+60 12-345 6789", "+60123456789"),  # a worker in Malaysia
        ("+852 9123 4567", "+85291234567"),  # Hong Kong
        ("+1 415 555 0123", "+14155550123"),  # US: fixed line or mobile, cannot tell
    ],
)
def test_other_mobile_numbers(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", PhoneProblem.FORMAT),
        ("   ", PhoneProblem.FORMAT),
        ("budi", PhoneProblem.FORMAT),
        ("08xx 1234 5678", PhoneProblem.FORMAT),
        ("12", PhoneProblem.FORMAT),
        ("0" * 41, PhoneProblem.FORMAT),
        ("0812", PhoneProblem.INVALID),  # cut short
        ("+62 812", PhoneProblem.INVALID),
        ("08123456789012345", PhoneProblem.INVALID),  # too long
        ("00 62 812 3456 7890", PhoneProblem.INVALID),
        ("021 5555 1234", PhoneProblem.NOT_MOBILE),  # a Jakarta landline
        ("+62 22 1234 5678", PhoneProblem.NOT_MOBILE),  # Bandung
        ("0800 1234567", PhoneProblem.NOT_MOBILE),  # toll-free
    ],
)
def test_refusals_name_the_problem(raw: str, problem: PhoneProblem) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise_phone(raw)
    assert caught.value.problem is problem


def test_a_landline_is_accepted_when_mobile_is_not_required() -> None:
    assert normalise_phone("021 5555 1234", mobile_only=False) == "+622155551234"


def test_another_default_region() -> None:
    assert normalise_phone("012-345 6789", region="MY") == "+60123456789"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(BUDI, True), ("081234567890", False), ("+62 812 3456 7890", False), ("+620812", False)],
)
def test_is_e164(value: str, expected: bool) -> None:
    assert is_e164(value) is expected


KEY = b"k" * 32


def test_lookup_hash_is_hmac_sha256_of_the_e164_number() -> None:
    expected = hmac.new(KEY, BUDI.encode(), hashlib.sha256).hexdigest()
    assert phone_lookup_hash(BUDI, KEY) == expected
    assert phone_lookup_hash(normalise_phone("0812 3456 7890"), KEY) == expected


def test_lookup_hash_depends_on_key_and_number() -> None:
    hashes = {
        phone_lookup_hash(BUDI, KEY),
        phone_lookup_hash(BUDI, b"another key"),
        phone_lookup_hash("+6281234567891", KEY),
        hashlib.sha256(BUDI.encode()).hexdigest(),  # an unkeyed hash is not what is stored
    }
    assert len(hashes) == 4


@pytest.mark.parametrize(("number", "key"), [("081234567890", KEY), (BUDI, b"")])
def test_lookup_hash_refuses_raw_numbers_and_empty_keys(number: str, key: bytes) -> None:
    with pytest.raises(ValueError):
        phone_lookup_hash(number, key)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (BUDI, "+62 812-****-7890"),
        ("+62811234567", "+62 811-**4-567"),
        ("+60123456789", "+60 12-3** 6789"),
        ("+14155550123", "+1 415-***-0123"),
    ],
)
def test_mask_keeps_the_country_the_operator_prefix_and_the_last_four_digits(
    number: str, masked: str
) -> None:
    assert mask_phone(number) == masked
