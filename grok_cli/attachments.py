"""Local files to attach: reading them (or stdin) up front, and telling what they are.

Everything here happens before anything is sent, so a missing or unreadable file is a usage
error and no upload or chat request has been made.
"""

from __future__ import annotations

import functools
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from grok_cli.errors import UsageError
from grok_cli.io import IO
from grok_cli.protocol.upload import LONG_PROMPT_FILE_NAME
from grok_cli.reading import read_bounded, read_text_bounded, waiting_notice

STDIN = "-"
OCTET_STREAM = "application/octet-stream"

# Magic numbers of the formats grok.com reads as images or documents. Content wins over the
# file name: a PNG saved as .jpg is still a PNG to the decoder on the other end.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)
_ISO_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"avif": "image/avif"}
# mimetypes answers by extension only; these guesses are wrong for text files often met
# (.ts is TypeScript far more often than an MPEG transport stream).
_MEDIA_PREFIXES = ("image/", "audio/", "video/")
_MORE_TYPES = (
    ("text/markdown", ".md"),
    ("text/markdown", ".markdown"),
    ("application/yaml", ".yaml"),
    ("application/yaml", ".yml"),
    ("application/toml", ".toml"),
)
_EXTENSIONS = {"image/jpeg": ".jpg", "text/plain": ".txt", OCTET_STREAM: ".bin"}


@functools.cache
def _types() -> mimetypes.MimeTypes:
    # Python's own table only: the system's mime.types differs between machines (on some,
    # .ts is a Qt translation file), and the same file should be sent the same way everywhere.
    types = mimetypes.MimeTypes()
    for mime, ext in _MORE_TYPES:  # common text formats older Pythons do not list
        types.add_type(mime, ext)
    return types


@dataclass(frozen=True, slots=True)
class LocalFile:
    name: str  # the name grok.com sees
    label: str  # how the user named it, for messages: the path given, or "stdin"
    mime: str
    data: bytes
    prompt: bool = False  # the prompt itself, too long for the message field

    @property
    def size(self) -> int:
        return len(self.data)


def _is_bmp(data: bytes) -> bool:
    # "BM" alone starts plenty of text; also require zero reserved bytes and a known DIB header size.
    return (
        data[:2] == b"BM"
        and len(data) >= 18
        and data[6:10] == b"\x00\x00\x00\x00"
        and int.from_bytes(data[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)
    )


def sniff(data: bytes) -> str | None:
    """The MIME type the first bytes prove, for the common images and PDF."""
    for magic, offset, mime in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return mime
    if _is_bmp(data):
        return "image/bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _ISO_BRANDS:
        return _ISO_BRANDS[data[8:12]]
    return None


def _is_text(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut by the sample's end is still text.
        return e.start >= len(sample) - 3
    return True


def detect_mime(name: str, data: bytes) -> str:
    """Magic bytes first, then the file name, then "is it UTF-8 text?"."""
    sniffed = sniff(data)
    if sniffed:
        return sniffed
    guessed, _encoding = _types().guess_type(name, strict=False)
    if guessed and not (guessed.startswith(_MEDIA_PREFIXES) and _is_text(data)):
        return guessed
    return "text/plain" if _is_text(data) else (guessed or OCTET_STREAM)


def file_extension(mime: str) -> str:
    """The extension a file of this type is named with (".jpg"; ".bin" when unknown)."""
    return _EXTENSIONS.get(mime) or _types().guess_extension(mime, strict=False) or ".bin"


def _read_stdin(io: IO) -> bytes:
    if io.stdin is None:
        raise UsageError("`-f -` attaches stdin, but stdin is closed.")
    if io.stdin_isatty:
        raise UsageError("`-f -` attaches stdin, but stdin is a terminal.", "Pipe the file in: grok ask -f - ... < FILE")
    buffer = getattr(io.stdin, "buffer", None)
    with waiting_notice(io, "stdin"):
        if buffer is not None:
            return read_bounded(buffer, "stdin")
        return read_text_bounded(io.stdin, "stdin").encode("utf-8")


def _read_path(io: IO, spec: str) -> bytes:
    path = Path(spec).expanduser()
    try:
        if path.is_dir():
            raise UsageError(f"Cannot attach {spec}: it is a directory.", "Attach the files in it one by one.")
        # Opening a FIFO blocks until something writes to it.
        with waiting_notice(io, spec), path.open("rb") as f:
            return read_bounded(f, spec)
    except FileNotFoundError:
        raise UsageError(f"Cannot attach {spec}: no such file.") from None
    except PermissionError:
        raise UsageError(f"Cannot attach {spec}: permission denied.") from None
    except OSError as e:
        raise UsageError(f"Cannot attach {spec}: {e.strerror or e}.") from None


def read_files(io: IO, specs: list[str], words: list[str]) -> list[LocalFile]:
    """Every file given with -f, read now; ``-`` reads stdin (which then is no prompt text)."""
    if specs.count(STDIN) > 1:
        raise UsageError("`-f -` can be given only once: stdin is read once.")
    if STDIN in specs and words == [STDIN]:
        raise UsageError(
            "stdin cannot be both the prompt (`-`) and a file (`-f -`).", 'Give the prompt as words: -f - "question"'
        )
    files: list[LocalFile] = []
    for spec in specs:
        data = _read_stdin(io) if spec == STDIN else _read_path(io, spec)
        if not data:
            raise UsageError(f"Cannot attach {'stdin' if spec == STDIN else spec}: it is empty.")
        if spec == STDIN:
            mime = detect_mime("", data)
            files.append(LocalFile(f"stdin{file_extension(mime)}", "stdin", mime, data))
        else:
            name = Path(spec).name
            files.append(LocalFile(name, spec, detect_mime(name, data), data))
    return files


def prompt_file(prompt: str) -> LocalFile:
    """A prompt too long for the message field, as the text file that replaces it."""
    return LocalFile(LONG_PROMPT_FILE_NAME, "the prompt", "text/plain", prompt.encode("utf-8"), prompt=True)
