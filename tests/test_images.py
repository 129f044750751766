"""Unit tests of image saving (names, overwrites, atomic writes), URL rules and the images sink."""

import asyncio
import errno
import json
import re
from pathlib import Path

import pytest

from grok_cli.errors import ExitStatus, UpstreamError
from grok_cli.events import Image, ImageProgress, Token
from grok_cli.images import Failure, ImageSaver, extension, slug
from grok_cli.io import IO
from grok_cli.protocol.normalize import Normalizer
from grok_cli.sinks.images import ImagesSink

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body"
PNG = b"\x89PNG\r\n\x1a\n" + b"png body"


class FakeHTTP:
    """Stands for GrokHTTP.download: serves fixed bytes per URL, or fails."""

    def __init__(self, files: dict[str, tuple[str, bytes]]):
        self.files = files

    async def download(self, url, out):
        if url not in self.files:
            raise UpstreamError(f"{url} answered HTTP 404.")
        content_type, data = self.files[url]
        out.write(data)
        return content_type


def save_all(saver, http, images):
    async def run():
        return [await saver.save(http, image) for image in images]

    return asyncio.run(run())


def saver_for(directory, *, force=False, hint="a red fox"):
    failures: list[Failure] = []
    saver = ImageSaver(directory, name_hint=hint, force=force, on_failure=failures.append)
    saver.prepare()
    return saver, failures


def test_file_names_come_from_prompt_and_id_letters_only(tmp_path):
    saver, _ = saver_for(tmp_path / "out", hint="Ein Fuchs: ../../etc/passwd; rm -rf /")
    http = FakeHTTP({"u1": ("image/jpeg", JPEG), "u2": ("image/png", PNG)})
    first, second = save_all(saver, http, [Image("../../etc/x", "u1"), Image("/abs/Id-With.Dots", "u2")])
    assert Path(first.path) == tmp_path / "out" / "ein-fuchs-etc-passwd-rm-rf-etcx.jpg"
    assert Path(second.path) == tmp_path / "out" / "ein-fuchs-etc-passwd-rm-rf-absidwit.png"
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["out", "ein-fuchs-etc-passwd-rm-rf-etcx.jpg", "ein-fuchs-etc-passwd-rm-rf-absidwit.png"]
    )


def test_slug_is_short_ascii_and_never_empty():
    assert slug("Ünïcödé café, 2 cats!") == "unicode-cafe-2-cats"
    assert slug("日本語") == "image"
    assert len(slug("word " * 50)) <= 40


def test_an_existing_different_file_is_not_overwritten_without_force(tmp_path):
    saver, _ = saver_for(tmp_path)
    taken = tmp_path / "a-red-fox-abcd1234.jpg"
    taken.write_bytes(b"someone else's file")
    (image,) = save_all(saver, FakeHTTP({"u": ("image/jpeg", JPEG)}), [Image("abcd1234", "u")])
    assert Path(image.path) == tmp_path / "a-red-fox-abcd1234-2.jpg"
    assert taken.read_bytes() == b"someone else's file" and Path(image.path).read_bytes() == JPEG


def test_force_overwrites_and_an_identical_file_is_reused(tmp_path):
    http = FakeHTTP({"u": ("image/jpeg", JPEG)})
    taken = tmp_path / "a-red-fox-abcd1234.jpg"
    taken.write_bytes(b"old")
    forced, _ = saver_for(tmp_path, force=True)
    (image,) = save_all(forced, http, [Image("abcd1234", "u")])
    assert Path(image.path) == taken and taken.read_bytes() == JPEG
    again, _ = saver_for(tmp_path)
    (image,) = save_all(again, http, [Image("abcd1234", "u")])
    assert Path(image.path) == taken and sorted(p.name for p in tmp_path.iterdir()) == [taken.name]


def test_a_failed_download_leaves_no_file_and_the_others_are_saved(tmp_path):
    saver, failures = saver_for(tmp_path)
    http = FakeHTTP({"good": ("image/jpeg", JPEG), "html": ("text/html", b"<html>challenge</html>")})
    results = save_all(saver, http, [Image("i1", "gone"), Image("i2", "good"), Image("i3", "html")])
    assert [r.path is not None for r in results] == [False, True, False]
    assert [f.image.image_id for f in failures] == ["i1", "i3"] and "not an image" in failures[1].reason
    assert [p.name for p in tmp_path.iterdir()] == [Path(results[1].path).name]
    error = saver.error()
    assert isinstance(error, UpstreamError) and error.status == ExitStatus.UPSTREAM and "2 images" in error.message


class FullDisk(FakeHTTP):
    async def download(self, url, out):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_an_image_the_disk_cannot_hold_fails_as_local_not_upstream(tmp_path):
    saver, failures = saver_for(tmp_path)
    (result,) = save_all(saver, FullDisk({}), [Image("i1", "good")])
    assert result.path is None and "No space left on device" in failures[0].reason
    assert saver.error().status == ExitStatus.LOCAL and list(tmp_path.iterdir()) == []


def test_required_saver_fails_when_no_image_came(tmp_path):
    saver = ImageSaver(tmp_path, name_hint="x", force=False, on_failure=lambda f: None, required=True)
    assert "no image" in saver.error().message
    assert ImageSaver(tmp_path, name_hint="x", force=False, on_failure=lambda f: None).error() is None


@pytest.mark.parametrize(
    "content_type, head, ext",
    [
        ("image/jpeg", b"", ".jpg"),
        ("image/png", JPEG, ".png"),  # the content type decides
        ("image/webp", b"", ".webp"),
        ("application/octet-stream", PNG, ".png"),
        ("", b"RIFF\x00\x00\x00\x00WEBPVP8 ", ".webp"),
        ("image/heic", b"", ".heic"),
    ],
)
def test_extension_from_content_type_then_magic_bytes(content_type, head, ext):
    assert extension(content_type, head) == ext


def test_non_images_are_refused():
    with pytest.raises(UpstreamError):
        extension("text/html", b"<!DOCTYPE html>")


# -- which URL is fetched, and with what ------------------------------------------------------------
@pytest.fixture
def http(tmp_path):
    from grok_cli.auth.credentials import Credentials
    from grok_cli.config import load_settings
    from grok_cli.transport.http import GrokHTTP

    settings = load_settings(
        {}, {"GROK_HOME": str(tmp_path), "GROK_BASE_URL": "https://grok.test", "GROK_ASSETS_URL": "https://assets.grok.test"}
    )
    return GrokHTTP(settings, Credentials.from_cookies({"sso": "s"}))


@pytest.mark.parametrize(
    "url, target, trusted",
    [
        ("https://assets.grok.test/users/u/image.jpg", "https://assets.grok.test/users/u/image.jpg", True),
        ("https://ASSETS.grok.test:443/a b.jpg?x=1", "https://assets.grok.test/a%20b.jpg?x=1", True),
        ("https://grok.test/files/x", "https://grok.test/files/x", True),
        ("https://evil.test/users/u/image.jpg", "https://evil.test/users/u/image.jpg", False),
        ("https://assets.grok.test.evil.test/x", "https://assets.grok.test.evil.test/x", False),
        ("http://assets.grok.test/x", "http://assets.grok.test/x", False),  # another scheme, another origin
        ("https://assets.grok.test:8443/x", "https://assets.grok.test:8443/x", False),
    ],
)
def test_only_the_configured_origins_are_trusted(http, url, target, trusted):
    got, _, is_trusted = http._download_target(url)
    assert (got, is_trusted) == (target, trusted)


@pytest.mark.parametrize(
    "url", ["https://assets.grok.test@evil.test/x", "file:///etc/passwd", "https://assets.grok.test:99999/x"]
)
def test_tricky_urls_are_refused(http, url):
    with pytest.raises(UpstreamError):
        http._download_target(url)


# -- the normaliser's image events ------------------------------------------------------------------
def legacy(**chunk):
    return {"result": {"response": {"streamingImageGenerationResponse": chunk, "responseId": "a"}}}


def feed(frames):
    norm = Normalizer(model="fast", assets_url="https://assets.example/", clock=lambda: 0.0)
    return [e for f in frames for e in norm.feed(f)]


def test_relative_paths_cannot_climb_out_of_the_assets_origin():
    events = feed([legacy(imageId="t", imageUrl="../../etc/passwd", progress=100)])
    assert Image("t", "https://assets.example/etc/passwd") in events
    events = feed([legacy(imageId="t", imageUrl="/a/./b/../c.jpg?cache=1", progress=100)])
    assert Image("t", "https://assets.example/a/c.jpg?cache=1") in events


def test_an_image_listed_again_by_url_is_reported_once():
    final = {"modelResponse": {"responseId": "a", "message": "m", "generatedImageUrls": ["../../etc/passwd"]}}
    events = feed([legacy(imageId="t", imageUrl="../../etc/passwd", progress=100), {"result": {"response": final}}])
    assert [e.image_id for e in events if isinstance(e, Image)] == ["t"]


def test_a_moderated_image_is_not_revived_by_the_final_lists():
    card = json.dumps({"image_chunk": {"imageUuid": "m", "imageUrl": "u/m.jpg", "progress": 100, "moderated": True}})
    final = {
        "modelResponse": {"responseId": "a", "message": "m", "generatedImageUrls": ["u/m.jpg"], "cardAttachmentsJson": [card]}
    }
    moderated = legacy(imageId="m", imageUrl="u/m.jpg", progress=100, moderated=True)
    events = feed([moderated, {"result": {"response": final}}])
    assert not [e for e in events if isinstance(e, Image)]
    assert ImageProgress("m", "https://assets.example/u/m.jpg", 100, True) in events


# -- the images sink --------------------------------------------------------------------------------
def test_paths_wait_for_earlier_images_and_keep_image_order():
    io = IO.for_test()
    sink = ImagesSink(io)
    for image_id in ("one", "two", "three"):
        sink.on_event(ImageProgress(image_id, f"https://a/{image_id}-part-0", 50))
    sink.on_event(Image("two", "https://a/two", "/out/two.jpg"))
    assert io.stdout.getvalue() == ""  # image one is still coming
    sink.on_event(ImageProgress("one", "https://a/one", 100, moderated=True))
    assert io.stdout.getvalue() == "/out/two.jpg\n"
    sink.image_failed(Failure(Image("three", "https://a/three"), "HTTP 404"))
    sink.on_event(Image("three", "https://a/three"))
    sink.close(ExitStatus.UPSTREAM)
    assert io.stdout.getvalue() == "/out/two.jpg\n"
    assert io.stderr.getvalue().splitlines() == [
        "Image 2 saved: /out/two.jpg",
        "Image 1 was moderated by grok.com and not saved.",
        "Image 3 could not be saved: HTTP 404",
    ]


def test_live_progress_on_a_terminal_redraws_in_place_and_prints_paths_at_the_end():
    io = IO.for_test(tty=True)
    sink = ImagesSink(io)
    sink.on_event(ImageProgress("one", "https://a/one-part-0", 50))
    sink.on_event(ImageProgress("two", "https://a/two-part-0", 50))
    sink.on_event(Image("one", "https://a/one", "/out/one.jpg"))
    assert io.stdout.getvalue() == ""  # the live lines share the terminal with stdout
    sink.on_event(Image("two", "https://a/two", "/out/two.jpg"))
    sink.close(ExitStatus.OK)
    err = io.stderr.getvalue()
    assert "\x1b[2F" in err and "[##########..........]  50%" in err and "Image 2 saved: /out/two.jpg" in err
    assert io.stdout.getvalue() == "/out/one.jpg\n/out/two.jpg\n"


def test_live_lines_never_wrap():
    io = IO.for_test(tty=True)
    sink = ImagesSink(io)
    long_path = "/out/" + "x" * 200 + ".jpg"
    sink.on_event(Image("one", "https://a/one", long_path))
    sink.close(ExitStatus.OK)
    lines = re.sub(r"\x1b\[\d*[A-Z]", "", io.stderr.getvalue()).splitlines()
    assert lines and all(len(line) < 80 for line in lines)
    assert io.stdout.getvalue() == long_path + "\n"


def test_an_answer_without_images_shows_its_words_on_stderr():
    io = IO.for_test()
    sink = ImagesSink(io)
    sink.on_event(Token("I can't draw\x1b[31m that."))
    sink.close(ExitStatus.UPSTREAM)
    assert io.stdout.getvalue() == "" and "grok.com answered: I can't draw\ufffd[31m that." in io.stderr.getvalue()
