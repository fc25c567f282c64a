"""The webhook on the bot's aiohttp app: request → :class:`WebhookRequest` → the gateway's
pure ``parse`` → the handler (the engine, through :class:`~bot.channels.sms.channel.SmsInbound`)
→ the gateway's answer.

A rejected request (bad signature, malformed) is answered with its status and never reaches
the handler. The answer comes only once the message is stored: a database that cannot be
reached makes a 503 and any other failure a 500, so the provider delivers again (its message
id lets the engine drop the duplicate).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.sms.gateway import InboundSms, SmsGateway, WebhookRejected, WebhookRequest
from bot.storage.db import StorageUnavailable

log = logging.getLogger(__name__)

InboundHandler = Callable[[InboundSms], Awaitable[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def webhook_request(request: web.Request) -> WebhookRequest:
    """The request as data: its URL as the server saw it, headers and raw body."""
    return WebhookRequest(str(request.url), dict(request.headers), await request.read())


def sms_webhook_handler(gateway: SmsGateway, handle: InboundHandler) -> Handler:
    async def on_webhook(request: web.Request) -> web.StreamResponse:
        try:
            inbound = gateway.parse(await webhook_request(request))
        except WebhookRejected as e:
            log.warning("%s webhook rejected (%d): %s", gateway.provider, e.status, e.reason)
            return web.Response(status=e.status, text=e.reason)
        if inbound is not None:
            try:
                await handle(inbound)
            except StorageUnavailable as e:
                log.warning("%s webhook: database unavailable (%s); answered 503, the "
                            "provider delivers again", gateway.provider, str(e)[:200])  # fmt: skip
                return web.Response(status=503, headers={"Retry-After": "5"})
            except Exception:
                log.exception("%s webhook: message %s failed", gateway.provider,
                              inbound.message_id)  # fmt: skip
                return web.Response(status=500)
        reply = gateway.acknowledge()
        return web.Response(status=reply.status, text=reply.body, content_type=reply.content_type)

    return on_webhook


def add_sms_webhook(
    app: web.Application, path: str, gateway: SmsGateway, handle: InboundHandler
) -> None:
    """Serve the webhook at ``path`` (POST) on ``app``, beside Telegram's."""
    app.router.add_post(path, sms_webhook_handler(gateway, handle))
