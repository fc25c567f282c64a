"""Validation and cleaning of evidence photos with real files (issue 9)."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace
from pathlib import Path

import pillow_heif
import pytest
from PIL import ExifTags, Image

from bot.evidence.config import EvidenceSettings
from bot.evidence.files import (
    HEIF_SUPPORTED,
    REFUSAL_KEYS,
    EvidenceRefused,
    PreparedImage,
    Refusal,
    is_duplicate,
    near_duplicates,
    phash_distance,
    prepare_image,
)
from bot.testing.images import encode, letter, photo, png_bomb

SETTINGS = EvidenceSettings()


def prepare(tmp_path: Path, data: bytes, settings: EvidenceSettings = SETTINGS) -> PreparedImage:
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return prepare_image(path, settings)


def refusal(tmp_path: Path, data: bytes, settings: EvidenceSettings = SETTINGS) -> Refusal:
    with pytest.raises(EvidenceRefused) as caught:
        prepare(tmp_path, data, settings)
    return caught.value.reason


def opened(image: PreparedImage) -> Image.Image:
    return Image.open(io.BytesIO(image.data))


# -- what is accepted ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/jpeg"), ("HEIF", "image/jpeg")],
)
def test_accepted_formats(tmp_path: Path, fmt: str, mime: str) -> None:
    image = prepare(tmp_path, photo(3, fmt=fmt))
    assert (image.source_format, image.mime) == (fmt, mime)
    assert (image.width, image.height) == (900, 1200)
    with opened(image) as stored:
        stored.load()
        assert stored.format == mime.split("/")[1].upper()
        assert stored.size == (900, 1200)
    assert len(image.phash) == 16


def test_heic_is_supported_here() -> None:
    """pillow-heif installs from PyPI on this platform, so HEIC sent as a file is read."""
    assert HEIF_SUPPORTED
    assert pillow_heif.libheif_info()["decoders"]


def test_a_png_with_transparency_stays_png(tmp_path: Path) -> None:
    rgba = letter(1).convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    for fmt in ("PNG", "WEBP"):
        image = prepare(tmp_path, encode(rgba, fmt, lossless=True) if fmt == "WEBP" else
                        encode(rgba, fmt))  # fmt: skip
        assert image.mime == "image/png"
        assert opened(image).mode == "RGBA"


def test_large_photos_are_scaled_down_to_the_stored_size(tmp_path: Path) -> None:
    image = prepare(tmp_path, photo(size=(3000, 4000)), replace(SETTINGS, store_max_side=1000))
    assert (image.width, image.height) == (750, 1000)


def test_the_photo_is_turned_upright_before_its_exif_goes(tmp_path: Path) -> None:
    # Orientation 6: the camera held sideways; viewers rotate 90 degrees clockwise.
    image = prepare(tmp_path, photo(size=(1200, 900), orientation=6))
    assert (image.width, image.height) == (900, 1200)
    assert not opened(image).getexif()


# -- metadata ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_location_is_removed(tmp_path: Path, fmt: str) -> None:
    original = photo(5, fmt=fmt, gps=True, xmp=True)
    with Image.open(io.BytesIO(original)) as before:
        gps = before.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert gps[ExifTags.GPS.GPSLatitudeRef] == "S"  # the test photo really has it
    assert b"GPSLatitude" in original  # the XMP packet too
    image = prepare(tmp_path, original)
    with opened(image) as after:
        assert not after.getexif()
        assert not after.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile"} & set(after.info)
    assert b"GPSLatitude" not in image.data
    assert b"PhoneMaker" not in image.data
    assert b"Exif\x00\x00" not in image.data


def test_comments_and_colour_profiles_go_too(tmp_path: Path) -> None:
    """Pillow would copy a JPEG comment and a PNG colour profile into the new file."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    commented = encode(letter(6), "JPEG", comment=b"Budi Santoso, Monas", icc_profile=profile)
    with_profile = encode(letter(6), "PNG", icc_profile=profile)
    for data in (commented, with_profile):
        with Image.open(io.BytesIO(data)) as before:
            assert "icc_profile" in before.info
        image = prepare(tmp_path, data)
        with opened(image) as after:
            assert not {"comment", "icc_profile"} & set(after.info)
        assert b"Monas" not in image.data


# -- what is refused -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Refusal.NOT_IMAGE),
        (b"Ini bukan foto, hanya teks.\n" * 20, Refusal.NOT_IMAGE),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", Refusal.PDF),
        (encode(letter(2), "GIF"), Refusal.NOT_IMAGE),  # a real image, not a format we take
        (encode(letter(2), "BMP"), Refusal.NOT_IMAGE),
        (photo(size=(200, 150)), Refusal.TOO_SMALL),
        (photo(size=(299, 2000)), Refusal.TOO_SMALL),
        (photo()[:20_000], Refusal.TRUNCATED),
        (photo(fmt="PNG")[:20_000], Refusal.TRUNCATED),
        (photo(fmt="PNG")[:40], Refusal.TRUNCATED),  # cut inside the header chunk
    ],
    ids=["empty", "text", "pdf", "gif", "bmp", "tiny", "thin", "jpeg-cut", "png-cut", "png-head"],
)
def test_refused(tmp_path: Path, data: bytes, reason: Refusal) -> None:
    assert refusal(tmp_path, data) is reason


def test_the_minimum_size_is_a_setting(tmp_path: Path) -> None:
    data = photo(size=(400, 300))
    assert prepare(tmp_path, data).width == 400
    assert refusal(tmp_path, data, replace(SETTINGS, min_side=301)) is Refusal.TOO_SMALL


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    bomb = png_bomb(30_000, 30_000)  # 900 million pixels in ~110 KB
    assert len(bomb) < 200_000
    assert refusal(tmp_path, bomb) is Refusal.TOO_MANY_PIXELS
    assert SETTINGS.max_pixels == Image.MAX_IMAGE_PIXELS  # Pillow's limit, set explicitly


def test_pillow_warning_zone_is_refused_too(tmp_path: Path) -> None:
    """Between the limit and twice the limit Pillow only warns: that is a refusal as well."""
    settings = replace(SETTINGS, max_pixels=10_000_000)
    bomb = png_bomb(4_000, 3_000)  # 12 million pixels
    assert refusal(tmp_path, bomb, settings) is Refusal.TOO_MANY_PIXELS
    assert Image.MAX_IMAGE_PIXELS == 10_000_000
    assert prepare(tmp_path, png_bomb(3_000, 3_000), settings).mime == "image/png"


def test_the_warning_zone_is_refused_silently_where_warnings_are_not_errors(
    tmp_path: Path,
) -> None:
    """In production a warning is only a warning: the photo is still refused, and Pillow's
    warning does not escape into the log."""
    settings = replace(SETTINGS, max_pixels=10_000_000)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert refusal(tmp_path, png_bomb(4_000, 3_000), settings) is Refusal.TOO_MANY_PIXELS
    assert [w.category for w in seen] == []


def test_every_refusal_has_a_response_key() -> None:
    assert set(REFUSAL_KEYS) == set(Refusal)
    assert all(k == f"utter_evidence_refused_{r.value}" for r, k in REFUSAL_KEYS.items())
    assert EvidenceRefused(Refusal.PDF).key == "utter_evidence_refused_pdf"


# -- hashes and duplicates -----------------------------------------------------------------
def test_sha256_is_of_the_file_as_received(tmp_path: Path) -> None:
    import hashlib

    data = photo(7, gps=True)
    image = prepare(tmp_path, data)
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.received_bytes == len(data)
    assert is_duplicate(image.sha256, ["0" * 64, prepare(tmp_path, data).sha256])
    assert not is_duplicate(image.sha256, [prepare(tmp_path, photo(8)).sha256])


def test_near_duplicates_by_perceptual_hash(tmp_path: Path) -> None:
    original = letter(11)
    same = prepare(tmp_path, encode(original, "JPEG", quality=95))
    recompressed = prepare(tmp_path, encode(original, "JPEG", quality=40))
    smaller = prepare(tmp_path, encode(original.resize((600, 800)), "PNG"))
    others = [prepare(tmp_path, photo(seed)) for seed in range(20, 30)]
    assert recompressed.sha256 != same.sha256  # not the same file ...
    threshold = SETTINGS.near_duplicate_distance
    assert phash_distance(same.phash, recompressed.phash) < threshold  # ... but the same picture
    assert phash_distance(same.phash, smaller.phash) < threshold
    # Other letters of the same layout stay apart (the closest seen were 8 bits away).
    candidates = [(f"other{i}", o.phash) for i, o in enumerate(others)]
    candidates += [("recompressed", recompressed.phash), ("smaller", smaller.phash)]
    found = near_duplicates(same.phash, candidates, threshold)
    assert {key for key, _ in found} == {"recompressed", "smaller"}
    assert [d for _, d in found] == sorted(d for _, d in found)


def test_phash_distance() -> None:
    assert phash_distance("0" * 16, "0" * 16) == 0
    assert phash_distance("0" * 16, "f" * 16) == 64
    assert phash_distance("8000000000000001", "0000000000000000") == 2
    assert near_duplicates("00", [("a", "00"), ("b", "03"), ("c", "07")], 3) == [("a", 0), ("b", 2)]
