"""Encrypted, content-addressed storage of evidence photos (issue 9)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from PIL import Image

from bot.evidence.config import EvidenceSettings
from bot.evidence.files import (
    EvidenceRefused,
    EvidenceStore,
    PreparedImage,
    Refusal,
    copy_local_file,
    prepare_image,
    receive_local,
)
from bot.storage.crypto import Cipher, EncryptionKeyError
from bot.testing.images import photo

SETTINGS = EvidenceSettings()
KEY = Fernet.generate_key().decode()


def store_with(directory: Path, *keys: str) -> EvidenceStore:
    cipher = Cipher(list(keys or (KEY,)))
    return EvidenceStore(directory, lambda: cipher)


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return store_with(tmp_path / "evidence")


def prepared(tmp_path: Path, seed: int = 0, **kwargs: object) -> PreparedImage:
    path = tmp_path / f"in-{seed}.jpg"
    path.write_bytes(photo(seed, **kwargs))  # type: ignore[arg-type]
    return prepare_image(path, SETTINGS)


async def test_stored_bytes_are_encrypted_and_read_back(
    tmp_path: Path, store: EvidenceStore
) -> None:
    image = prepared(tmp_path, gps=True)
    stored = await store.put("person-1", image)
    on_disk = store.path_of(stored.ref).read_bytes()
    assert b"\xff\xd8\xff" not in on_disk  # no JPEG magic: not a readable picture
    assert b"JFIF" not in on_disk
    assert on_disk.startswith(b"gAAAAA")  # a Fernet token
    assert await store.read(stored.ref) == image.data
    with Image.open(io.BytesIO(await store.read(stored.ref))) as back:
        assert back.format == "JPEG"
        assert not back.getexif()  # the location never reached the disk
    assert (stored.sha256, stored.phash, stored.mime) == (image.sha256, image.phash, image.mime)
    assert stored.size == len(image.data)


async def test_another_key_cannot_read_the_files(tmp_path: Path, store: EvidenceStore) -> None:
    stored = await store.put("person-1", prepared(tmp_path))
    stranger = store_with(store.directory, Fernet.generate_key().decode())
    with pytest.raises(EncryptionKeyError):
        await stranger.read(stored.ref)


async def test_names_are_keyed_hashes_of_owner_and_content(
    tmp_path: Path, store: EvidenceStore
) -> None:
    image = prepared(tmp_path)
    first = await store.put("person-1", image)
    again = await store.put("person-1", image)
    other_person = await store.put("person-2", image)
    assert first.ref == again.ref  # content-addressed: storing twice stores once
    assert other_person.ref != first.ref  # never shared between people
    assert len(await store.refs()) == 2
    # Not guessable from the content: neither the sha256 of the photo nor of what is stored.
    plain = {image.sha256, hashlib.sha256(image.data).hexdigest()}
    assert first.ref not in plain
    other_key = store_with(tmp_path / "other", Fernet.generate_key().decode())
    assert other_key.ref_for("person-1", image.sha256) != first.ref
    assert store.path_of(first.ref) == store.directory / first.ref[:2] / first.ref


async def test_files_and_folders_are_private(tmp_path: Path, store: EvidenceStore) -> None:
    stored = await store.put("person-1", prepared(tmp_path))
    path = store.path_of(stored.ref)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


@pytest.mark.parametrize("ref", ["../../etc/passwd", "ab", "A" * 64, "0" * 63 + "/", ""])
async def test_references_cannot_escape_the_directory(store: EvidenceStore, ref: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        await store.read(ref)
    with pytest.raises(ValueError, match="reference"):
        await store.delete(ref)


async def test_delete_by_reference(tmp_path: Path, store: EvidenceStore) -> None:
    kept = await store.put("person-1", prepared(tmp_path, 1))
    gone = await store.put("person-2", prepared(tmp_path, 2))
    assert await store.delete(gone.ref) is True
    assert await store.delete(gone.ref) is False
    with pytest.raises(FileNotFoundError):
        await store.read(gone.ref)
    assert await store.refs() == {kept.ref}
    assert await store.delete_many([kept.ref, gone.ref]) == 1
    assert await store.refs() == set()


async def test_sweep_orphans_keeps_only_what_rows_refer_to(
    tmp_path: Path, store: EvidenceStore
) -> None:
    refs = [(await store.put("p", prepared(tmp_path, seed))).ref for seed in range(3)]
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    (store.tmp_dir / "in-crashed.part").write_bytes(b"half a download")
    now = datetime.now(UTC)
    # Just stored: their rows may not be committed yet, so nothing goes.
    assert await store.sweep_orphans(keep={refs[0]}, now=now) == 0
    assert len(await store.refs()) == 3
    assert len(list(store.tmp_dir.iterdir())) == 1
    # An hour later they are orphans.
    later = now + timedelta(hours=1, seconds=1)
    assert await store.sweep_orphans(keep={refs[0]}, now=later) == 2
    assert await store.refs() == {refs[0]}
    assert list(store.tmp_dir.iterdir()) == []


async def test_an_empty_store(tmp_path: Path) -> None:
    store = store_with(tmp_path / "never-created")
    assert await store.refs() == set()
    assert await store.sweep_orphans(keep=(), now=datetime.now(UTC)) == 0


async def test_rekey_lets_the_old_key_go(tmp_path: Path) -> None:
    old = store_with(tmp_path / "ev", KEY)
    image = prepared(tmp_path)
    stored = await old.put("person-1", image)
    new_key = Fernet.generate_key().decode()
    rotating = store_with(old.directory, new_key, KEY)
    assert await rotating.rekey() == 1
    only_new = store_with(old.directory, new_key)
    assert await only_new.read(stored.ref) == image.data  # the same name, the new key
    with pytest.raises(EncryptionKeyError):
        await old.read(stored.ref)


# -- the console's path --------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["{p}", "'{p}'", '"{p}"', "file://{p}", "  {p}  "])
async def test_receive_local_accepts_a_typed_path(
    tmp_path: Path, store: EvidenceStore, typed: str
) -> None:
    folder = tmp_path / "foto saya"
    folder.mkdir()
    source = folder / "bukti.jpg"
    source.write_bytes(photo(4, gps=True))
    image = await receive_local(typed.format(p=source), store, SETTINGS)
    assert image.source_format == "JPEG"
    assert source.exists()  # the user's file is left alone
    assert list(store.tmp_dir.iterdir()) == []  # the working copy is gone


async def test_a_path_with_escaped_spaces(tmp_path: Path, store: EvidenceStore) -> None:
    source = tmp_path / "foto saya.jpg"
    source.write_bytes(photo(4))
    typed = str(source).replace(" ", "\\ ")
    assert (await receive_local(typed, store, SETTINGS)).width == 900


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.jpg", Refusal.NOT_FOUND),
        (".", Refusal.NOT_FOUND),
        ("/dev/zero", Refusal.NOT_FOUND),
    ],
)
async def test_local_paths_refused(
    tmp_path: Path, store: EvidenceStore, name: str, reason: Refusal
) -> None:
    with pytest.raises(EvidenceRefused) as caught:
        await receive_local(str(tmp_path / name), store, SETTINGS)
    assert caught.value.reason is reason


async def test_a_local_file_over_the_limit(tmp_path: Path, store: EvidenceStore) -> None:
    source = tmp_path / "big.jpg"
    source.write_bytes(photo(1))
    small = EvidenceSettings(max_bytes=1000)
    with pytest.raises(EvidenceRefused) as caught:
        await receive_local(str(source), store, small)
    assert caught.value.reason is Refusal.TOO_LARGE
    assert not store.tmp_dir.exists() or list(store.tmp_dir.iterdir()) == []


async def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    """A pipe has no size to check first and might never end: it is not a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(EvidenceRefused) as caught:
        await copy_local_file(str(fifo), tmp_path / "tmp", 100_000)
    assert caught.value.reason is Refusal.NOT_FOUND


async def test_a_refused_local_image_leaves_nothing_behind(
    tmp_path: Path, store: EvidenceStore
) -> None:
    source = tmp_path / "surat.pdf"
    source.write_bytes(b"%PDF-1.4\n" + b"0" * 5000)
    with pytest.raises(EvidenceRefused) as caught:
        await receive_local(str(source), store, SETTINGS)
    assert caught.value.reason is Refusal.PDF
    assert list(store.tmp_dir.iterdir()) == []
