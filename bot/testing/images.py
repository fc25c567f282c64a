"""Image files for tests: a photographed letter, with GPS EXIF if asked, in any format;
a real PNG decompression bomb written without ever holding its pixels."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

from PIL import ExifTags, Image, ImageDraw, ImageFont, PngImagePlugin

#: The location written into ``gps=True`` photos: Monas, Jakarta.
GPS_LATITUDE = (6.0, 10.0, 31.0)
GPS_LONGITUDE = (106.0, 49.0, 37.0)
XMP_WITH_LOCATION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
    b'-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="6,10.5S" exif:GPSLongitude="106,49.6E"/></rdf:RDF></x:xmpmeta>'
)


def letter(seed: int = 0, size: tuple[int, int] = (900, 1200)) -> Image.Image:
    """A page with a coloured letterhead and lines of words, different for each ``seed``."""
    rng = random.Random(seed)
    width, height = size
    im = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=max(10, width // 32))
    colour = (rng.randint(0, 200), rng.randint(0, 200), rng.randint(0, 255))
    draw.rectangle((width // 20, height // 40, width - width // 20, height // 12), fill=colour)
    y = height // 10
    while y < height - height // 12:
        y += rng.randint(height // 30, height // 13)
        words = [
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
            for _ in range(rng.randint(1, 8))
        ]
        draw.text((width // 15 + rng.randint(0, width // 9), y), " ".join(words), fill=(20, 20, 20),
                  font=font)  # fmt: skip
    return im


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def encode(im: Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    out = io.BytesIO()
    im.save(out, format=fmt, **params)
    return out.getvalue()


def photo(
    seed: int = 0,
    size: tuple[int, int] = (900, 1200),
    fmt: str = "JPEG",
    *,
    gps: bool = False,
    orientation: int | None = None,
    xmp: bool = False,
) -> bytes:
    """A photographed letter as a file, with GPS (and camera) EXIF and an XMP location packet
    when asked, and an EXIF orientation when given."""
    params: dict[str, Any] = {}
    if gps or orientation is not None:
        params["exif"] = gps_exif(orientation) if gps else _orientation(orientation)
    if xmp and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP_WITH_LOCATION.decode())
        params["pnginfo"] = info
    elif xmp:
        params["xmp"] = XMP_WITH_LOCATION
    return encode(letter(seed, size), fmt, **params)


def _orientation(orientation: int | None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` black pixels, compressed to almost nothing:
    a 30000 x 30000 one is ~110 KB on disk and 900 million pixels once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0, then the packed pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def sample(name: str) -> tuple[bytes, str]:
    """A file by name, for transcripts and journeys: its bytes and a file name suffix.

    ``letter<N>`` (a photographed letter, seed N), ``letter<N>-q40`` (the same letter
    recompressed: another file, nearly the same picture), ``heic<N>``, ``small`` (too small to
    read), ``not_image`` (text), ``pdf``, ``truncated`` (a JPEG cut in half), ``bomb`` (a PNG
    of 900 million pixels)."""
    if name.startswith("letter"):
        seed, _, variant = name.removeprefix("letter").partition("-")
        if variant == "q40":
            return encode(letter(int(seed)), "JPEG", quality=40), ".jpg"
        return photo(int(seed)), ".jpg"
    if name.startswith("heic"):
        return photo(int(name.removeprefix("heic")), fmt="HEIF"), ".heic"
    if name == "small":
        return photo(1, size=(240, 180)), ".jpg"
    if name == "not_image":
        return b"Surat lamaran kerja, bukan foto.\n" * 20, ".jpg"
    if name == "pdf":
        return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", ".pdf"
    if name == "truncated":
        data = photo(2)
        return data[: len(data) // 2], ".jpg"
    if name == "bomb":
        return png_bomb(30000, 30000), ".png"
    raise ValueError(f"no sample file named {name!r}")
