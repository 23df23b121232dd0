"""Cover art: reading an image's format and size from its header, and the placeholder cover.

Apple Podcasts wants square JPEG or PNG artwork of 1400 to 3000 pixels in RGB. Only the header
is read (no image library): enough to check those rules on the show's own files and on feeds.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MIN_SIDE = 1400
MAX_SIDE = 3000

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNG_COLOR = {0: "gray", 2: "rgb", 3: "palette", 4: "gray", 6: "rgb"}
_JPEG_COLOR = {1: "gray", 3: "rgb", 4: "cmyk"}


@dataclass(frozen=True)
class ImageInfo:
    """What the header of an image file says."""

    format: str  # "png" or "jpeg"
    width: int
    height: int
    color: str  # "rgb", "gray", "palette", "cmyk"

    @property
    def mime(self) -> str:
        return f"image/{self.format}"


def image_info(data: bytes) -> ImageInfo | None:
    """Return format, size and colour model of PNG or JPEG ``data``; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 26:
        width, height, _depth, color = struct.unpack(">IIBB", data[16:26])
        return ImageInfo("png", width, height, _PNG_COLOR.get(color, "unknown"))
    if data.startswith(b"\xff\xd8"):
        return _jpeg_info(data)
    return None


def _jpeg_info(data: bytes) -> ImageInfo | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF and pos + 10 <= len(data):
            height, width, components = struct.unpack(">HHB", data[pos + 5 : pos + 10])
            return ImageInfo("jpeg", width, height, _JPEG_COLOR.get(components, "unknown"))
        pos += 2 + length
    return None


def artwork_problem(info: ImageInfo | None) -> str | None:
    """Say why an image breaks Apple's artwork rules, or None when it meets them."""
    if info is None:
        return "is not a PNG or JPEG image"
    if info.width != info.height:
        return f"is {info.width}x{info.height} pixels; podcast artwork must be square"
    if not MIN_SIDE <= info.width <= MAX_SIDE:
        return (f"is {info.width}x{info.height} pixels; podcast artwork must be "
                f"{MIN_SIDE} to {MAX_SIDE} pixels square")
    if info.color != "rgb":
        return f"uses the {info.color} colour model; podcast artwork must be RGB"
    return None


def placeholder_png(side: int = MAX_SIDE, seed: str = "") -> bytes:
    """A square RGB PNG that meets Apple's rules: a two-tone diagonal band design.

    The colours come from ``seed`` (the show title) so two new shows do not look identical.
    Each row is compressed as part of one zlib stream; the file stays a few kilobytes.
    """
    tint = zlib.crc32(seed.encode("utf-8")) & 0xFFFFFF
    dark = bytes((0x10 + (tint >> 16) % 0x30, 0x1C + (tint >> 8) % 0x30, 0x30 + tint % 0x40))
    light = bytes((0xE8, 0xB8 - (tint % 0x20), 0x40))
    band = side // 12
    compressor = zlib.compressobj(9)
    chunks = []
    for y in range(side):
        row = bytearray(b"\x00")  # filter type: none
        start = (y * 2) % (band * 4)
        for x_block in range(0, side, band):
            on = ((x_block + start) // band) % 4 == 0
            row += (light if on else dark) * min(band, side - x_block)
        chunks.append(compressor.compress(bytes(row)))
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", header),
        _png_chunk(b"IDAT", b"".join(chunks)),
        _png_chunk(b"IEND", b""),
    ))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
