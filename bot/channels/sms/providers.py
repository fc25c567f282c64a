"""The gateway the settings ask for."""

from __future__ import annotations

import aiohttp

from bot.channels.sms.gateway import SmsGateway
from bot.channels.sms.json_gateway import JsonGateway
from bot.channels.sms.twilio_gateway import TwilioGateway
from bot.settings import SettingsError, SmsSettings


def build_gateway(
    settings: SmsSettings, session: aiohttp.ClientSession | None = None
) -> SmsGateway:
    """A :class:`TwilioGateway` or :class:`JsonGateway` from validated ``settings``."""
    if settings.provider == "twilio":
        return TwilioGateway(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            sms_from=settings.sms_from,
            whatsapp_from=settings.whatsapp_from,
            api_base=settings.api_url,
            public_url=settings.webhook_url,
            session=session,
        )
    if settings.provider == "json":
        return JsonGateway(
            settings.api_url,
            settings.api_token,
            settings.webhook_secret,
            sms_from=settings.sms_from,
            whatsapp_from=settings.whatsapp_from,
            session=session,
        )
    raise SettingsError("SMS_PROVIDER is not set: no SMS gateway")
