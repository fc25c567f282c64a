"""Wiring: settings → database, domain, NLU, dialogs, records → an :class:`Engine`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.conversation import Router
from bot.core.domain import Domain, load_default_domain
from bot.core.engine import Clock, Engine, system_clock
from bot.core.services import Services
from bot.counseling import store as counseling
from bot.counseling.desk import Desk
from bot.cv.service import CvService
from bot.dialogs.assessment import AssessmentDialog
from bot.dialogs.base import Dialog
from bot.dialogs.consent import ConsentDialog
from bot.dialogs.counseling import CounselingDialog
from bot.dialogs.cv import CvDialog
from bot.dialogs.delete import DeleteDataDialog
from bot.dialogs.eligibility import EligibilityDialog
from bot.dialogs.evidence import EvidenceDialog
from bot.dialogs.jobseeker import JobSeekerDialog
from bot.dialogs.link import LinkDialog
from bot.dialogs.monthly import MonthlyDialog
from bot.dialogs.placement import PlacementDialog
from bot.dialogs.portfolio import PortfolioDialog
from bot.dialogs.profile import ProfileDialog
from bot.dialogs.vacancies import VacanciesDialog
from bot.knowledge.faq import faq_params
from bot.knowledge.search import warm_up
from bot.link import store as links
from bot.records import applications, evidence, monthly, placements
from bot.records import store as records
from bot.settings import Settings, SettingsError
from bot.storage import crypto
from bot.storage.db import Database, make_engine, migrate, sqlite_path
from bot.storage.secrets import load_pepper
from bot.vacancies import asks as vacancy_asks
from nlu.interpreter import Interpreter, shared_interpreter
from nlu.model import resolve_cache_dir

if TYPE_CHECKING:  # Pillow and aiogram load when the app is built, not when this is imported
    from bot.evidence.files import EvidenceStore
    from bot.evidence.intake import Intake

log = logging.getLogger(__name__)


def build_router(settings: Settings) -> Router:
    dialogs: list[Dialog] = [
        EligibilityDialog(settings.rules),
        AssessmentDialog(),
        JobSeekerDialog(),
        ProfileDialog(),
        EvidenceDialog(settings.rules),
        PlacementDialog(settings.rules),
        CounselingDialog(settings.counseling),
        LinkDialog(sms_enabled=settings.sms.enabled, code_minutes=settings.sms.link_code_minutes),
        PortfolioDialog(),
        CvDialog(),
        VacanciesDialog(settings.rules),
        MonthlyDialog(settings.rules),  # the monthly progress updates (system events only)
        DeleteDataDialog(),
    ]
    consent = ConsentDialog(settings.consent_notice_version, settings.retention_days)
    figures = faq_params(settings.rules, settings.retention_days)
    hours = settings.counseling.hours(settings.timezone, settings.rules.cuti_bersama_non_working)
    desk = Desk(settings.counseling, hours)
    return Router({d.name: d for d in dialogs}, consent, faq_params=figures, takeover=desk)


async def load_nlu(settings: Settings) -> Interpreter:
    """The free-text interpreter, its classifier read from the cache or trained now, in a
    worker thread: never inside someone's first turn, never blocking the event loop."""
    interpreter = shared_interpreter(resolve_cache_dir(settings.nlu_cache_dir))
    await asyncio.to_thread(interpreter.prepare)
    report = interpreter.store.report if interpreter.store else None
    if report is not None:
        log.info("nlu: classifier %s in %.2f s", report.source, report.seconds)
    return interpreter


def build_services(
    settings: Settings, files: EvidenceStore, domain: Domain | None = None
) -> tuple[Services, CvService]:
    services = Services()
    records.register(services, settings.rules)
    applications.register(services, settings.rules)
    evidence.register(services, settings.rules, settings.evidence, files)
    counseling.register(services)
    placements.register(services, settings.rules)
    links.register(services, code_minutes=settings.sms.link_code_minutes, zone=settings.zone)
    vacancy_asks.register(services)
    monthly.register(services)
    cv = CvService(files, domain or load_default_domain())
    cv.register(services)
    return services, cv


@dataclass
class App:
    settings: Settings
    db: Database
    engine: Engine
    files: EvidenceStore  # the encrypted evidence photos (EVIDENCE_DIR)
    intake: Intake  # what channels call with a photo before the engine's turn
    cv: CvService  # makes CVs (Unduh CV); the Telegram runtime gives it the profile photos

    async def close(self) -> None:
        await self.db.dispose()


def configure_encryption(settings: Settings) -> None:
    try:
        crypto.configure(
            crypto.Cipher(crypto.load_keys(settings.encryption_keys, settings.database_url))
        )
    except crypto.EncryptionKeyError as e:
        raise SettingsError(str(e)) from None


async def build_app(
    settings: Settings, *, clock: Clock = system_clock, domain: Domain | None = None
) -> App:
    """Connect, migrate to the newest schema, load the reference data, assemble the engine."""
    from bot.evidence.files import EvidenceStore
    from bot.evidence.intake import Intake

    configure_encryption(settings)
    files = EvidenceStore(settings.evidence_dir())
    if (path := sqlite_path(settings.database_url)) is not None:
        log.info("database: %s (SQLite)", path.resolve())
    engine = make_engine(settings.database_url)
    evidence.add_sqlite_functions(engine)  # before the first connection (the migration's)
    await migrate(engine)
    db = Database(engine)
    await load_pepper(db)
    warm_up()  # reference data and matchers now, not inside someone's first turn
    domain = domain or load_default_domain()
    services, cv = build_services(settings, files, domain)
    core = Engine(
        db=db,
        router=build_router(settings),
        domain=domain,
        interpreter=await load_nlu(settings),
        timezone=settings.zone,
        services=services,
        clock=clock,
        message_ttl=timedelta(hours=settings.outbox_message_ttl_hours),
    )
    return App(settings, db, core, files, Intake(db, files, settings.evidence), cv)
