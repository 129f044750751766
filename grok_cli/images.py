"""Saving generated images to a directory: safe names, no silent overwrites, atomic writes.

Which hosts get the session cookies is the transport's rule (``GrokHTTP.download``): only the
configured web and assets origins; an image on any other host is downloaded without cookies.
Nothing from the server reaches a file name except lower-case letters and digits of the image
id, so no answer can name a file outside the directory. A file is written under a temporary
name in the same directory and then linked (or, with ``force``, renamed) into place, so a
reader never sees half an image and an existing file is only replaced on request.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grok_cli.errors import GrokError, LocalError, UpstreamError, UsageError
from grok_cli.events import Image
from grok_cli.io import IO
from grok_cli.sinks.style import neutralize

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/avif": ".avif",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}
# What the bytes say when the content type says nothing useful (missing or octet-stream).
_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"GIF87a", ".gif"), (b"GIF89a", ".gif"))
_SLUG_LENGTH = 40


def slug(text: str) -> str:
    """A short file-name stem from a prompt: ASCII letters and digits joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    stem = ""
    for word in re.findall(r"[a-z0-9]+", ascii_text):
        longer = f"{stem}-{word}" if stem else word
        if len(longer) > _SLUG_LENGTH:
            break
        stem = longer
    return stem or "image"


def short_id(image: Image) -> str:
    """Eight letters or digits that tell images of one answer apart (from the id grok.com gave)."""
    cleaned = re.sub(r"[^a-z0-9]", "", image.image_id.lower())
    return cleaned[:8] if len(cleaned) >= 4 else hashlib.sha256(image.url.encode()).hexdigest()[:8]


def extension(content_type: str, head: bytes) -> str:
    """The file extension for a download, from its content type, else from its first bytes."""
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    for magic, ext in _MAGIC:
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head[4:8] == b"ftyp":
        return ".mp4"
    kind, _, subtype = content_type.partition("/")
    if kind in ("image", "video") and re.fullmatch(r"[a-z0-9]{1,10}", subtype):
        return f".{subtype}"
    raise UpstreamError(f"The download is not an image (content type {content_type or 'missing'}).")


def _same_content(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    extension: str  # ".jpg", ".png", ...


async def fetch(http: Any, image: Image) -> Fetched:
    """One image into memory (``grok serve``), by the same rules as a saved one: the session
    cookies go only to the grok origins (``GrokHTTP.download``) and the bytes must be an image."""
    import io

    out = io.BytesIO()
    content_type = await http.download(image.url, out)
    data = out.getvalue()
    return Fetched(data, extension(content_type, data[:16]))


@dataclass(frozen=True, slots=True)
class Failure:
    image: Image
    reason: str
    local: bool = False  # this machine failed (a full disk), not the download


def report_to_stderr(io: IO) -> Callable[[Failure], None]:
    def report(failure: Failure) -> None:
        io.stderr.write(f"Could not save the image {neutralize(failure.image.url)}: {neutralize(failure.reason)}\n")
        io.stderr.flush()

    return report


class ImageSaver:
    """Downloads each final image of an answer into one directory and remembers what failed.

    ``required``: an answer without any image is a failure too (``grok images``).
    """

    def __init__(
        self,
        directory: Path,
        *,
        name_hint: str,
        force: bool,
        on_failure: Callable[[Failure], None],
        required: bool = False,
    ) -> None:
        self.directory = directory.expanduser().absolute()
        self.stem = slug(name_hint)
        self.force = force
        self.on_failure = on_failure
        self.required = required
        self.saved: list[Path] = []
        self.failures: list[Failure] = []

    def prepare(self) -> None:
        """Create the directory now, so a bad one is a usage error before anything is asked."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"Cannot create the image directory {self.directory}: {e.strerror}.") from None
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise UsageError(f"Cannot write to the image directory {self.directory}.", "Choose another directory (-o, or --save-images).")

    async def save(self, http: Any, image: Image) -> Image:
        """The image with ``path`` set; on failure the image unchanged, and the failure reported.

        ``http`` is the run's GrokHTTP (untyped so this module never imports curl_cffi).
        """
        try:
            path = await self._download(http, image)
        except GrokError as e:
            return self._failed(image, e.message)
        except OSError as e:
            return self._failed(image, f"cannot write into {self.directory}: {e.strerror or e}", local=True)
        self.saved.append(path)
        return replace(image, path=str(path))

    def error(self) -> GrokError | None:
        """What to exit with once the answer is over: failed downloads, or no image at all."""
        if self.failures:
            n = len(self.failures)
            # Exit 8 when the disk failed: downloading again would not help.
            kind = LocalError if any(f.local for f in self.failures) else UpstreamError
            return kind(
                f"{n} image{'s' if n > 1 else ''} could not be saved.",
                "The other images were saved. " * bool(self.saved) + "The reasons are above.",
            )
        if self.required and not self.saved:
            return UpstreamError(
                "grok.com sent no image to save.",
                "It may have answered in words or moderated every image; try rephrasing the prompt.",
            )
        return None

    def _failed(self, image: Image, reason: str, *, local: bool = False) -> Image:
        failure = Failure(image, reason, local)
        self.failures.append(failure)
        self.on_failure(failure)
        return image

    async def _download(self, http: Any, image: Image) -> Path:
        stem = f"{self.stem}-{short_id(image)}"
        temp = self.directory / f".{stem}.{secrets.token_hex(4)}.part"
        # O_EXCL: never write through a file or link someone else put at the temporary name.
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "w+b") as out:
                content_type = await http.download(image.url, out)
                out.flush()
                os.fsync(out.fileno())
                out.seek(0)
                head = out.read(16)
            return self._place(temp, stem, extension(content_type, head))
        finally:
            temp.unlink(missing_ok=True)

    def _place(self, temp: Path, stem: str, ext: str) -> Path:
        """Move the finished file to its name: an identical file already there is kept, a
        different one is never replaced unless ``force`` (the next free name is used)."""
        n = 0
        while True:
            n += 1
            target = self.directory / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
            if self.force:
                os.replace(temp, target)
                return target
            if _same_content(target, temp):
                return target
            try:
                os.link(temp, target)  # atomic, and fails if the name exists
                return target
            except FileExistsError:
                continue
            except OSError:
                # No hard links on this file system (FAT, some network shares): claim the name
                # exclusively, then rename the finished file over the empty claim.
                try:
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                except FileExistsError:
                    continue
                os.replace(temp, target)
                return target
