"""Small, valid JPEG and PNG files built in code (no Pillow), for the fake assets origin.

The images are solid grey (JPEG) or solid colour (PNG) squares whose shade comes from a seed,
so two generated images differ byte for byte and a test can tell which one it downloaded.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["jpeg_bytes", "png_bytes"]


def _segment(marker: int, payload: bytes) -> bytes:
    # A JPEG marker segment: FF xx, then a big-endian length that counts itself.
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _canonical_codes(counts: list[int], symbols: list[int]) -> dict[int, tuple[int, int]]:
    # JPEG Huffman tables list how many codes have each length 1..16; codes are canonical.
    codes: dict[int, tuple[int, int]] = {}
    code = 0
    it = iter(symbols)
    for length, n in enumerate(counts, start=1):
        for _ in range(n):
            codes[next(it)] = (code, length)
            code += 1
        code <<= 1
    return codes


# Standard luminance DC table (ITU T.81 Annex K.3): categories 0..11.
_DC_COUNTS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
_DC_SYMBOLS = list(range(12))
# A one-symbol AC table: only EOB (0x00), code "0". Solid blocks have no AC coefficients.
_AC_COUNTS = [1] + [0] * 15
_AC_SYMBOLS = [0x00]


def _seed_byte(seed: str, index: int = 0) -> int:
    return hashlib.sha256(seed.encode()).digest()[index]


def jpeg_bytes(seed: str = "", size: int = 64) -> bytes:
    """A baseline greyscale JFIF, ``size``x``size`` (multiple of 8), one shade chosen by ``seed``."""
    if size <= 0 or size % 8:
        raise ValueError("size must be a positive multiple of 8")
    level = 40 + _seed_byte(seed) % 176  # keep away from black/white
    dc_codes = _canonical_codes(_DC_COUNTS, _DC_SYMBOLS)
    eob_code = _canonical_codes(_AC_COUNTS, _AC_SYMBOLS)[0x00]

    bits: list[tuple[int, int]] = []  # (value, bit length)
    previous = 0
    for block in range((size // 8) ** 2):
        # With an all-ones quantiser the DC coefficient of a flat block is 8 * (level - 128);
        # it is coded as the difference from the previous block's DC.
        dc = 8 * (level - 128)
        diff = dc - previous if block else dc
        previous = dc
        category = abs(diff).bit_length()
        bits.append(dc_codes[category])
        if category:
            extra = diff if diff > 0 else diff + (1 << category) - 1
            bits.append((extra, category))
        bits.append(eob_code)

    acc = "".join(format(value, f"0{length}b") for value, length in bits if length)
    acc += "1" * (-len(acc) % 8)  # pad the last byte with 1-bits (T.81 F.1.2.3)
    scan = bytearray()
    for i in range(0, len(acc), 8):
        byte = int(acc[i : i + 8], 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)  # byte stuffing

    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += _segment(0xDB, b"\x00" + b"\x01" * 64)
    out += _segment(0xC0, struct.pack(">BHHB", 8, size, size, 1) + b"\x01\x11\x00")
    out += _segment(0xC4, b"\x00" + bytes(_DC_COUNTS) + bytes(_DC_SYMBOLS))
    out += _segment(0xC4, b"\x10" + bytes(_AC_COUNTS) + bytes(_AC_SYMBOLS))
    out += _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    out += scan
    out += b"\xff\xd9"
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(seed: str = "", size: int = 16) -> bytes:
    """An 8-bit RGB PNG, ``size``x``size``, one colour chosen by ``seed``."""
    rgb = bytes(_seed_byte(seed, i) for i in range(3))
    row = b"\x00" + rgb * size  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * size))
        + _chunk(b"IEND", b"")
    )
