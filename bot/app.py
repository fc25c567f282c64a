"""Wiring: settings → database, domain, NLU, dialogs → an :class:`Engine`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.conversation import Router
from bot.core.domain import Domain, load_default_domain
from bot.core.engine import Clock, Engine, system_clock
from bot.dialogs.assessment import AssessmentDialog
from bot.dialogs.base import Dialog
from bot.dialogs.consent import ConsentDialog
from bot.dialogs.delete import DeleteDataDialog
from bot.dialogs.eligibility import EligibilityDialog
from bot.dialogs.jobseeker import JobSeekerDialog
from bot.dialogs.profile import ProfileDialog
from bot.settings import Settings, SettingsError
from bot.storage import crypto
from bot.storage.db import make_engine, make_session_factory, migrate
from nlu.interpreter import default_interpreter


def build_router(settings: Settings) -> Router:
    dialogs: list[Dialog] = [
        EligibilityDialog(settings.rules),
        AssessmentDialog(),
        JobSeekerDialog(),
        ProfileDialog(),
        DeleteDataDialog(),
    ]
    consent = ConsentDialog(settings.consent_notice_version, settings.retention_days)
    return Router({d.name: d for d in dialogs}, consent)


@dataclass
class App:
    settings: Settings
    db: AsyncEngine
    engine: Engine

    async def close(self) -> None:
        await self.db.dispose()


async def build_app(
    settings: Settings, *, clock: Clock = system_clock, domain: Domain | None = None
) -> App:
    """Connect, migrate to the newest schema, and assemble the engine."""
    try:
        crypto.configure(
            crypto.Cipher(crypto.load_keys(settings.encryption_keys, settings.database_url))
        )
    except crypto.EncryptionKeyError as e:
        raise SettingsError(str(e)) from None
    db = make_engine(settings.database_url)
    await migrate(db)
    engine = Engine(
        sessions=make_session_factory(db),
        router=build_router(settings),
        domain=domain or load_default_domain(),
        interpreter=default_interpreter(),
        timezone=settings.zone,
        clock=clock,
    )
    return App(settings, db, engine)
