"""Evidence photos: download, validation, encrypted content-addressed storage (issue 9).

The path of one photo, outside any database transaction or lock:

1. **Fetch** into a private temporary file that the caller owns:
   :func:`download_telegram_file` (``getFile``, then ``{TELEGRAM_API_BASE}/file/bot<token>/
   <file_path>``, streamed, the size checked against ``max_bytes`` from the update, from
   ``getFile``, from ``Content-Length`` and while reading) or :func:`copy_local_file` (the
   console sends a path).
2. **Prepare** (:func:`prepare_image`, CPU-bound: run it in a thread): it must decode as JPEG,
   PNG, WebP or HEIC/HEIF (pillow-heif); Pillow's decompression-bomb limit is set explicitly
   and an image above it is refused before decoding; too small or truncated files are
   refused. The picture is turned upright (EXIF orientation), scaled down to
   ``store_max_side`` and encoded again without any metadata: EXIF (GPS location, camera,
   time), XMP and ICC profiles are all dropped. Its sha256 (of the file as received) and
   perceptual hash (pHash) are computed.
3. **Store** (:class:`EvidenceStore`): encrypted with the database's Fernet key, under a name
   that is a keyed hash (HMAC with a key derived from ``DATA_ENCRYPTION_KEY``) of the owner and
   the sha256: the same photo from the same person lands on the same name (a retry stores
   nothing twice); the same photo from two people gives two files, so deleting one person's
   never touches another's; a name reveals neither the content nor its owner.

Every refusal is an :class:`EvidenceRefused` with a :class:`Refusal` reason; ``REFUSAL_KEYS``
maps it to the response that explains it in plain words.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import logging
import math
import os
import re
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, TypeVar

import aiohttp
import imagehash
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from bot.evidence.config import EvidenceSettings
from bot.evidence.refusals import REFUSAL_KEYS as REFUSAL_KEYS  # re-exported
from bot.evidence.refusals import Refusal as Refusal
from bot.storage import crypto

if TYPE_CHECKING:
    from aiogram import Bot

try:  # HEIC, the iPhone's format, sent as a file
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency; kept for odd platforms
    HEIF_SUPPORTED = False

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FORMATS: Final = ("JPEG", "PNG", "WEBP", *(("HEIF",) if HEIF_SUPPORTED else ()))
ACCEPTED: Final = frozenset({*FORMATS, "MPO"})  # MPO: a phone's JPEG with a depth map
NAME_KEY_PURPOSE = "jkp evidence file names v1"
_REF = re.compile(r"[0-9a-f]{64}")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")

ImageFile.LOAD_TRUNCATED_IMAGES = False  # the default, stated: a cut file is refused


class EvidenceRefused(Exception):
    """A file was refused; ``reason`` says why, ``key`` is the response that says it."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail

    @property
    def key(self) -> str:
        return REFUSAL_KEYS[self.reason]


# -- 1. fetching ---------------------------------------------------------------------------
def _new_temp(directory: Path) -> tuple[IO[bytes], Path]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="in-", suffix=".part")  # mode 0600
    return os.fdopen(fd, "wb"), Path(name)


class _Sink:
    """A temporary file written chunk by chunk, refusing to grow past ``max_bytes``."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory, self.max_bytes = directory, max_bytes
        self.size = 0
        self.path: Path | None = None
        self._file: IO[bytes] | None = None

    async def open(self) -> None:
        self._file, self.path = await asyncio.to_thread(_new_temp, self.directory)

    async def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise EvidenceRefused(Refusal.TOO_LARGE, f"more than {self.max_bytes} bytes")
        assert self._file is not None
        await asyncio.to_thread(self._file.write, chunk)

    async def close(self, keep: bool) -> Path:
        if self._file is not None:
            await asyncio.to_thread(self._file.close)
        assert self.path is not None
        if not keep:
            await asyncio.to_thread(self.path.unlink, True)
        return self.path


async def download_telegram_file(
    bot: Bot,
    file_id: str,
    directory: Path,
    settings: EvidenceSettings,
    *,
    declared_size: int | None = None,
) -> Path:
    """Download a Telegram file into a new private file under ``directory``; the caller
    deletes it. ``declared_size`` is the size the update announced (PhotoSize or Document
    ``file_size``), if any. Raises :class:`EvidenceRefused` (``too_large`` or
    ``download_failed``); the bot token never appears in an error or a log line."""
    limit = settings.max_bytes
    if declared_size is not None and declared_size > limit:
        raise EvidenceRefused(Refusal.TOO_LARGE, f"the update says {declared_size} bytes")
    try:
        async with asyncio.timeout(settings.download_timeout):
            return await _download(bot, file_id, directory, limit)
    except TimeoutError:
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, "timed out") from None


async def _download(bot: Bot, file_id: str, directory: Path, limit: int) -> Path:
    # aiogram takes a while to import: only what downloads from Telegram pays for it.
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

    try:
        info = await bot.get_file(file_id)
    except TelegramBadRequest as e:
        if "too big" in e.message.lower():  # Telegram's own 20 MB refusal
            raise EvidenceRefused(Refusal.TOO_LARGE, "getFile: file is too big") from None
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, f"getFile: {e.message}") from None
    except TelegramAPIError as e:
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, f"getFile: {e.message}") from None
    if info.file_size is not None and info.file_size > limit:
        raise EvidenceRefused(Refusal.TOO_LARGE, f"getFile says {info.file_size} bytes")
    if not info.file_path:
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, "getFile gave no file_path")
    if os.path.isabs(info.file_path):  # a self-hosted Bot API server in --local mode
        local = bot.session.api.wrap_local_file.to_local(info.file_path)
        try:
            return await copy_local_file(str(local), directory, limit)
        except EvidenceRefused as e:
            if e.reason is Refusal.NOT_FOUND:  # the server's disk, not the user's path
                raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, e.detail) from None
            raise
    if not isinstance(bot.session, AiohttpSession):
        raise TypeError("downloads need aiogram's AiohttpSession")
    http = await bot.session.create_session()
    url = bot.session.api.file_url(bot.token, info.file_path)
    sink = _Sink(directory, limit)
    await sink.open()
    try:
        async with http.get(url) as response:
            try:
                if response.status != 200:
                    raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, f"HTTP {response.status}")
                length = response.content_length
                if length is not None and length > limit:
                    raise EvidenceRefused(Refusal.TOO_LARGE, f"Content-Length {length}")
                async for chunk in response.content.iter_chunked(CHUNK):
                    await sink.write(chunk)
            except EvidenceRefused:
                response.close()  # drop the connection: the rest is never read
                raise
        if info.file_size is not None and sink.size != info.file_size:
            raise EvidenceRefused(
                Refusal.DOWNLOAD_FAILED, f"got {sink.size} of {info.file_size} bytes"
            )
    except EvidenceRefused:
        await sink.close(keep=False)
        raise
    except aiohttp.ClientError as e:
        await sink.close(keep=False)
        # ClientResponseError and friends carry the URL, which carries the token.
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, type(e).__name__) from None
    except BaseException:
        await sink.close(keep=False)
        raise
    return await sink.close(keep=True)


async def download_http(
    http: aiohttp.ClientSession,
    url: str,
    directory: Path,
    settings: EvidenceSettings,
    *,
    headers: Mapping[str, str] | None = None,
) -> Path:
    """Download ``url`` (an attachment a gateway hosts: a WhatsApp photo) into a new private
    file under ``directory``, with the same size limit and timeout as a Telegram download;
    the caller deletes it. Raises :class:`EvidenceRefused`; the URL (which may carry
    credentials) never appears in an error."""
    sink = _Sink(directory, settings.max_bytes)
    await sink.open()
    try:
        async with asyncio.timeout(settings.download_timeout):
            async with http.get(url, headers=dict(headers or {})) as response:
                if response.status != 200:
                    raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, f"HTTP {response.status}")
                length = response.content_length
                if length is not None and length > settings.max_bytes:
                    response.close()
                    raise EvidenceRefused(Refusal.TOO_LARGE, f"Content-Length {length}")
                try:
                    async for chunk in response.content.iter_chunked(CHUNK):
                        await sink.write(chunk)
                except EvidenceRefused:
                    response.close()
                    raise
    except EvidenceRefused:
        await sink.close(keep=False)
        raise
    except TimeoutError:
        await sink.close(keep=False)
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, "timed out") from None
    except aiohttp.ClientError as e:
        await sink.close(keep=False)
        raise EvidenceRefused(Refusal.DOWNLOAD_FAILED, type(e).__name__) from None
    except BaseException:
        await sink.close(keep=False)
        raise
    return await sink.close(keep=True)


def clean_local_path(raw: str) -> Path:
    """A path as typed or dropped into a terminal: quotes, ``file://`` and ``\\ `` removed."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    text = text.removeprefix("file://").replace("\\ ", " ")
    return Path(text).expanduser()


async def copy_local_file(raw: str, directory: Path, max_bytes: int) -> Path:
    """Copy a regular file (the console's path) into a new private file under ``directory``,
    with the same size limit as a download. Raises :class:`EvidenceRefused`."""
    path = clean_local_path(raw)
    try:
        info = await asyncio.to_thread(path.stat)
    except (OSError, ValueError):
        raise EvidenceRefused(Refusal.NOT_FOUND, "no such file") from None
    if not stat.S_ISREG(info.st_mode):
        raise EvidenceRefused(Refusal.NOT_FOUND, "not a regular file")
    if info.st_size > max_bytes:
        raise EvidenceRefused(Refusal.TOO_LARGE, f"{info.st_size} bytes")
    try:
        source = await asyncio.to_thread(path.open, "rb")
    except OSError:
        raise EvidenceRefused(Refusal.NOT_FOUND, "cannot be read") from None
    sink = _Sink(directory, max_bytes)
    try:
        await sink.open()
        while chunk := await asyncio.to_thread(source.read, CHUNK):
            await sink.write(chunk)  # a file that grows meanwhile is still stopped
    except BaseException:
        await asyncio.to_thread(source.close)
        if sink.path is not None:
            await sink.close(keep=False)
        raise
    await asyncio.to_thread(source.close)
    return await sink.close(keep=True)


# -- 2. validation -------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedImage:
    """A photo ready to store: re-encoded without metadata, with its hashes."""

    data: bytes
    mime: str  # image/jpeg or image/png
    width: int
    height: int
    source_format: str  # JPEG, PNG, WEBP, HEIF, MPO
    sha256: str  # of the file as received (exact duplicates)
    phash: str  # 16 hex digits, pHash of the upright picture (near-duplicates)
    dhash: str  # 16 hex digits, difference hash: a second opinion (see bot/records/evidence.py)
    received_bytes: int


# Pillow's limit and the warnings filter are process-wide: one photo at a time changes them
# (and decodes, which also bounds the memory used to one photo).
_PILLOW_LOCK = threading.Lock()


def _sniff(head: bytes) -> Refusal:
    """Why a file Pillow could not open was refused, from its first bytes."""
    if head.startswith(b"%PDF-"):
        return Refusal.PDF
    heif = head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
    if heif and not HEIF_SUPPORTED:
        return Refusal.HEIC_UNSUPPORTED  # pragma: no cover - see HEIF_SUPPORTED
    webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if heif or webp or head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return Refusal.TRUNCATED  # one of ours, broken too early to be identified
    return Refusal.NOT_IMAGE


def _hash_file(path: Path) -> tuple[str, int, bytes]:
    digest = hashlib.sha256()
    size, head = 0, b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if not head:
                head = chunk[:16]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def prepare_image(path: Path, settings: EvidenceSettings) -> PreparedImage:
    """Validate and clean one photo (blocking: call it through ``asyncio.to_thread``).
    Raises :class:`EvidenceRefused`."""
    sha256, size, head = _hash_file(path)
    with _PILLOW_LOCK, warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; both refuse here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = settings.max_pixels
        try:
            opened = Image.open(path, formats=FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise EvidenceRefused(Refusal.TOO_MANY_PIXELS, "over the pixel limit") from None
        except UnidentifiedImageError:
            raise EvidenceRefused(_sniff(head), "not a known image") from None
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise EvidenceRefused(Refusal.TRUNCATED, f"{type(e).__name__}: {e}") from None
        with opened:
            return _clean(opened, settings, sha256, size)


def _clean(im: Image.Image, settings: EvidenceSettings, sha256: str, size: int) -> PreparedImage:
    source_format = str(im.format)
    if source_format not in ACCEPTED:  # pragma: no cover - Image.open(formats=...) filters
        raise EvidenceRefused(Refusal.NOT_IMAGE, source_format)
    width, height = im.size
    if width * height > settings.max_pixels:  # in case the global was changed meanwhile
        raise EvidenceRefused(Refusal.TOO_MANY_PIXELS, f"{width}x{height}")
    if min(width, height) < settings.min_side:
        raise EvidenceRefused(Refusal.TOO_SMALL, f"{width}x{height}")
    side = settings.store_max_side
    if source_format in ("JPEG", "MPO"):
        # Decode at 1/2, 1/4 or 1/8 when that still covers the stored size.
        scale = min(1.0, side / max(width, height))
        im.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        im.load()
        upright = ImageOps.exif_transpose(im)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise EvidenceRefused(Refusal.TRUNCATED, f"{type(e).__name__}: {e}") from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    keep_png = source_format == "PNG" or has_alpha
    mode = "RGBA" if has_alpha else "RGB"
    picture = upright if upright.mode == mode else upright.convert(mode)  # both new copies
    picture.thumbnail((side, side))  # bicubic, after a box reduction for large factors
    picture.info = {}  # nothing of the original's metadata goes out
    out = io.BytesIO()
    if keep_png:
        picture.save(out, format="PNG")
    else:
        picture.save(out, format="JPEG", quality=88, optimize=True)
    return PreparedImage(
        data=out.getvalue(),
        mime="image/png" if keep_png else "image/jpeg",
        width=picture.width,
        height=picture.height,
        source_format=source_format,
        sha256=sha256,
        phash=str(imagehash.phash(picture)),
        dhash=str(imagehash.dhash(picture)),
        received_bytes=size,
    )


async def receive_telegram(
    bot: Bot,
    file_id: str,
    store: EvidenceStore,
    settings: EvidenceSettings,
    *,
    declared_size: int | None = None,
) -> PreparedImage:
    """Download, validate and clean one Telegram photo or image file (nothing is stored)."""
    path = await download_telegram_file(
        bot, file_id, store.tmp_dir, settings, declared_size=declared_size
    )
    return await prepare_received(path, settings)


async def receive_local(
    raw_path: str, store: EvidenceStore, settings: EvidenceSettings
) -> PreparedImage:
    """Copy, validate and clean the photo at a path the console user typed."""
    path = await copy_local_file(raw_path, store.tmp_dir, settings.max_bytes)
    return await prepare_received(path, settings)


async def prepare_received(path: Path, settings: EvidenceSettings) -> PreparedImage:
    """Validate and clean a fetched file (in a thread), then delete it."""
    try:
        return await asyncio.to_thread(prepare_image, path, settings)
    finally:
        await asyncio.to_thread(path.unlink, True)


# -- duplicates ----------------------------------------------------------------------------
K = TypeVar("K")


def phash_distance(a: str, b: str) -> int:
    """Bits that differ between two pHashes (hex, as :attr:`PreparedImage.phash`)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_duplicate(sha256: str, known: Iterable[str]) -> bool:
    """The same file as one already received (compare with the person's own evidence)."""
    return any(hmac.compare_digest(sha256, other) for other in known)


def near_duplicates(
    phash: str, candidates: Iterable[tuple[K, str]], threshold: int
) -> list[tuple[K, int]]:
    """The candidates ``(key, phash)`` closer than ``threshold`` bits, nearest first."""
    found = [(key, phash_distance(phash, other)) for key, other in candidates]
    return sorted(((k, d) for k, d in found if d < threshold), key=lambda kd: kd[1])


# -- 3. storage ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredFile:
    ref: str  # 64 hex digits: where the file is; what a database row keeps
    sha256: str
    phash: str
    mime: str
    width: int
    height: int
    size: int  # bytes of the stored picture, before encryption
    dhash: str = ""


class EvidenceStore:
    """Encrypted, content-addressed files under one directory: ``<dir>/<ref[:2]>/<ref>``,
    each a Fernet token of the picture. No URL serves them; read them back through
    :meth:`read`. ``<dir>/.tmp`` holds downloads while they are checked."""

    def __init__(
        self, directory: Path, cipher: Callable[[], crypto.Cipher] = crypto.current
    ) -> None:
        self.directory = directory
        self._cipher = cipher  # looked up on each use: rotation and configure() apply

    @property
    def tmp_dir(self) -> Path:
        return self.directory / ".tmp"

    def ref_for(self, owner: str, sha256: str) -> str:
        """The keyed hash naming the file of ``owner``'s photo with this sha256."""
        key = self._cipher().derive_key(NAME_KEY_PURPOSE)
        message = f"{owner}\x00{sha256}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def path_of(self, ref: str) -> Path:
        if not _REF.fullmatch(ref):
            raise ValueError("not an evidence file reference")
        return self.directory / ref[:2] / ref

    async def put(self, owner: str, image: PreparedImage) -> StoredFile:
        """Encrypt and store ``image`` for ``owner`` (storing it again changes nothing)."""
        ref = self.ref_for(owner, image.sha256)
        cipher = self._cipher()

        def seal_and_write() -> None:  # a few MB to encrypt: off the event loop
            self._write(self.path_of(ref), cipher.seal_bytes(image.data))

        await asyncio.to_thread(seal_and_write)
        return StoredFile(
            ref,
            image.sha256,
            image.phash,
            image.mime,
            image.width,
            image.height,
            len(image.data),
            image.dhash,
        )

    async def put_bytes(self, owner: str, name: str, data: bytes) -> str:
        """Encrypt and store a file the application made (a CV) under a name fixed by
        ``owner`` and ``name``: making it again replaces it. Returns its reference."""
        ref = self.ref_for(owner, name)
        cipher = self._cipher()
        await asyncio.to_thread(lambda: self._write(self.path_of(ref), cipher.seal_bytes(data)))
        return ref

    def _write(self, path: Path, token: bytes) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".w-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(token)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    async def read(self, ref: str) -> bytes:
        """The picture, decrypted (for counselors and the CV). FileNotFoundError if gone."""
        path, cipher = self.path_of(ref), self._cipher()
        return await asyncio.to_thread(lambda: cipher.open_bytes(path.read_bytes()))

    async def delete(self, ref: str) -> bool:
        """Remove one file (HAPUS, retention, a withdrawn piece); False if it was not there."""
        path = self.path_of(ref)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def delete_many(self, refs: Iterable[str]) -> int:
        return sum([await self.delete(ref) for ref in refs])

    async def refs(self) -> set[str]:
        """Every stored reference."""
        return await asyncio.to_thread(self._list)

    def _list(self) -> set[str]:
        if not self.directory.is_dir():
            return set()
        return {
            p.name
            for sub in self.directory.iterdir()
            if sub.is_dir() and len(sub.name) == 2
            for p in sub.iterdir()
            if _REF.fullmatch(p.name) and p.name.startswith(sub.name)
        }

    async def sweep_orphans(
        self, keep: Collection[str], now: datetime, grace: timedelta = timedelta(hours=1)
    ) -> int:
        """Delete the files no row refers to (``keep``: every ``ref`` in the database) and
        leftover temporary files, all older than ``grace`` (an upload stores its file a
        moment before its row is committed); run it after the retention purge. Returns the
        number of stored files deleted."""
        cutoff = (now - grace).timestamp()
        orphans = await self.refs() - set(keep)
        old = [r for r in orphans if await asyncio.to_thread(self._mtime, self.path_of(r)) < cutoff]
        await asyncio.to_thread(self._clear_tmp, cutoff)
        return await self.delete_many(old)

    @staticmethod
    def _mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except FileNotFoundError:
            return float("inf")

    def _clear_tmp(self, cutoff: float) -> None:
        if self.tmp_dir.is_dir():
            for leftover in self.tmp_dir.iterdir():
                if self._mtime(leftover) < cutoff:
                    leftover.unlink(missing_ok=True)

    async def rekey(self) -> int:
        """Seal every file again with the first key (``jkp-bot rekey``); names stay."""
        cipher = self._cipher()

        def rotate(path: Path) -> None:
            self._write(path, cipher.rotate_bytes(path.read_bytes()))

        refs = await self.refs()
        for ref in refs:
            await asyncio.to_thread(rotate, self.path_of(ref))
        return len(refs)
