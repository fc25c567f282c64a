"""SMS settings: off by default, each provider's requirements, messages naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

SID = "AC" + "0123456789abcdef" * 2
TWILIO = {
    "SMS_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": "f" * 32,
    "SMS_FROM": "+6281100000001",
}
JSON = {
    "SMS_PROVIDER": "json",
    "SMS_API_BASE": "https://sms.example.id/api/",
    "SMS_API_TOKEN": "token",
    "SMS_WEBHOOK_SECRET": "s" * 16,
    "SMS_FROM": "JKP Info",
}


def test_off_by_default() -> None:
    sms = Settings.from_env({}).sms
    assert not sms.enabled and not sms.whatsapp_enabled
    assert (sms.segment_budget, sms.monthly_budget, sms.per_second) == (3, None, 1.0)
    assert sms.webhook_path == "/sms"


def test_twilio() -> None:
    sms = Settings.from_env(
        {
            **TWILIO,
            "SMS_PROVIDER": "Twilio",
            "WHATSAPP_FROM": "+6281100000002",
            "WHATSAPP_TEMPLATE_SID": "HX" + "a" * 32,
            "SMS_WEBHOOK_URL": "https://bot.example.org/jkp/sms",
            "SMS_MONTHLY_BUDGET": "5000",
            "SMS_SEGMENT_BUDGET": "4",
            "SMS_PER_SECOND": "10",
        }
    ).sms
    assert sms.enabled and sms.whatsapp_enabled and sms.provider == "twilio"
    assert sms.api_url == "https://api.twilio.com"
    assert sms.webhook_path == "/jkp/sms"  # where the public URL points
    assert (sms.monthly_budget, sms.segment_budget, sms.per_second) == (5000, 4, 10.0)


def test_json_and_path_override() -> None:
    sms = Settings.from_env(
        {
            **JSON,
            "SMS_WEBHOOK_PATH": "/hooks/sms",
            "SMS_WEBHOOK_URL": "https://bot.example.org/public/sms",
            "SMS_MONTHLY_BUDGET": "0",
        }
    ).sms
    assert sms.api_url == "https://sms.example.id/api"
    assert sms.webhook_path == "/hooks/sms"
    assert sms.monthly_budget == 0


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"TWILIO_AUTH_TOKEN": "x"}, "SMS_PROVIDER"),
        ({"SMS_FROM": "+6281100000001"}, "SMS_PROVIDER"),
        ({**TWILIO, "SMS_PROVIDER": "nexmo"}, "SMS_PROVIDER"),
        ({**TWILIO, "TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_ACCOUNT_SID"),
        ({**TWILIO, "TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
        ({**TWILIO, "SMS_FROM": ""}, "SMS_FROM or WHATSAPP_FROM"),
        ({**TWILIO, "SMS_FROM": "081100000001"}, "SMS_FROM"),  # not E.164
        ({**TWILIO, "SMS_FROM": "Pendamping JKP"}, "SMS_FROM"),  # a sender name > 11
        ({**TWILIO, "WHATSAPP_FROM": "whatsapp:+6281100000002"}, "WHATSAPP_FROM"),
        ({**TWILIO, "WHATSAPP_TEMPLATE_SID": "HX" + "a" * 32}, "WHATSAPP_FROM"),
        (
            {**TWILIO, "WHATSAPP_FROM": "+6281100000002", "WHATSAPP_TEMPLATE_SID": "reminder"},
            "WHATSAPP_TEMPLATE_SID",
        ),
        ({**TWILIO, "SMS_WEBHOOK_URL": "http://bot.example.org/sms"}, "SMS_WEBHOOK_URL"),
        ({**TWILIO, "SMS_WEBHOOK_PATH": "sms"}, "SMS_WEBHOOK_PATH"),
        ({**TWILIO, "SMS_API_BASE": "api.twilio.com"}, "SMS_API_BASE"),
        ({**TWILIO, "SMS_SEGMENT_BUDGET": "0"}, "SMS_SEGMENT_BUDGET"),
        ({**TWILIO, "SMS_MONTHLY_BUDGET": "-1"}, "SMS_MONTHLY_BUDGET"),
        ({**TWILIO, "SMS_MONTHLY_BUDGET": "banyak"}, "SMS_MONTHLY_BUDGET"),
        ({**JSON, "SMS_API_BASE": ""}, "SMS_API_BASE"),
        ({**JSON, "SMS_API_TOKEN": ""}, "SMS_API_TOKEN"),
        ({**JSON, "SMS_WEBHOOK_SECRET": "short"}, "SMS_WEBHOOK_SECRET"),
    ],
)
def test_unusable_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "sender", ["+6281100000001", "MG" + "0" * 32, "JKP", "JKP Info", "Kemnaker123"]
)
def test_sender_forms(sender: str) -> None:
    assert Settings.from_env({**TWILIO, "SMS_FROM": sender}).sms.sms_from == sender


def test_local_webhook_url_for_tests() -> None:
    env = {**TWILIO, "SMS_WEBHOOK_URL": "http://127.0.0.1:8080/sms"}
    assert Settings.from_env(env).sms.webhook_path == "/sms"


def test_linking_and_fallback_settings() -> None:
    """Defaults, values, "none" for no cap per person, and a bad value naming its variable."""
    sms = Settings.from_env(TWILIO).sms
    assert (sms.link_code_minutes, sms.person_monthly_budget, sms.fallback_after_minutes) == (
        10, 10, 60,
    )  # fmt: skip
    env = {**TWILIO, "LINK_CODE_MINUTES": "5", "SMS_PERSON_MONTHLY_BUDGET": "none",
           "SMS_FALLBACK_AFTER_MINUTES": "15"}  # fmt: skip
    sms = Settings.from_env(env).sms
    assert (sms.link_code_minutes, sms.person_monthly_budget, sms.fallback_after_minutes) == (
        5, None, 15,
    )  # fmt: skip
    assert (
        Settings.from_env({**TWILIO, "SMS_PERSON_MONTHLY_BUDGET": "0"}).sms.person_monthly_budget
        == 0
    )
    with pytest.raises(SettingsError, match="LINK_CODE_MINUTES"):
        Settings.from_env({**TWILIO, "LINK_CODE_MINUTES": "0"})
