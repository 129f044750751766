"""Pure parts of attachments: MIME detection, upload bodies and answers, error naming, progress."""

import asyncio

import pytest

from grok_cli.attachments import LocalFile, detect_mime, prompt_file, read_files, sniff
from grok_cli.sinks.upload_progress import PROGRESS_MIN_BYTES, UploadProgress
from grok_cli.errors import UpstreamError, UsageError
from grok_cli.io import IO
from grok_cli.protocol.errors import classify_stream_errors
from grok_cli.protocol.payload import ChatRequest, chat_body, with_attachments
from grok_cli.protocol.upload import (
    LONG_PROMPT_MESSAGE,
    Attachment,
    human_size,
    multipart_body,
    v1_result,
    v2_result,
    v2_terminal_error,
)
from grok_cli.testing.images import jpeg_bytes, png_bytes
from grok_cli.testing.server import _parse_multipart

BMP = b"BM" + (70).to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little") + (40).to_bytes(4, "little")


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("a.png", png_bytes("x"), "image/png"),
        ("photo.jpg", png_bytes("x"), "image/png"),  # the content decides, not the name
        ("a.jpg", jpeg_bytes("x"), "image/jpeg"),
        ("a", b"GIF89a....", "image/gif"),
        ("a", b"RIFF\x10\0\0\0WEBPVP8 ", "image/webp"),
        ("a", b"\0\0\0\x18ftypheic\0\0\0\0", "image/heic"),
        ("doc", b"%PDF-1.7\n", "application/pdf"),
        ("a.bmp", BMP, "image/bmp"),
        ("cars.txt", b"BMW and Audi\n", "text/plain"),  # "BM" alone is no bitmap
        ("app.ts", b"const x: number = 1;\n", "text/plain"),  # not an MPEG stream
        ("notes.md", b"# hi\n", "text/markdown"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("server.log", "héllo\n".encode(), "text/plain"),
        ("blob", b"\0\x01\x02\xff", "application/octet-stream"),
        ("archive.zip", b"PK\x03\x04\0\0", "application/zip"),
    ],
)
def test_detect_mime(name, data, mime):
    assert detect_mime(name, data) == mime


def test_sniff_knows_nothing_of_text():
    assert sniff(b"hello") is None


def test_text_cut_inside_a_multibyte_character_is_still_text():
    data = ("a" * 8191 + "é").encode()  # the 8192-byte sample ends mid-character
    assert detect_mime("x", data) == "text/plain"


def test_read_files_names_stdin_by_its_content():
    (f,) = read_files(IO.for_test("plain words"), ["-"], ["q"])
    assert (f.name, f.label, f.mime, f.data) == ("stdin.txt", "stdin", "text/plain", b"plain words")


def test_stdin_on_a_terminal_cannot_be_attached():
    with pytest.raises(UsageError, match="terminal"):
        read_files(IO.for_test(tty=True), ["-"], ["q"])


def test_stdin_can_be_attached_once_only():
    with pytest.raises(UsageError, match="only once"):
        read_files(IO.for_test("x"), ["-", "-"], ["q"])


def test_multipart_body_is_one_file_part_the_server_can_read():
    data = b"\x89PNG\r\n\x1a\n--not-a-boundary\r\n"
    body, content_type = multipart_body('we"ird\nname.png', "image/png", data)
    ((headers, got),) = _parse_multipart(body, content_type)
    assert headers["name"] == "file" and headers["content-type"] == "image/png" and got == data
    assert headers["filename"] == "we%22ird%0Aname.png"
    assert content_type.startswith("multipart/form-data; boundary=----WebKitFormBoundary")


def test_upload_answers():
    assert v1_result({"fileMetadataId": "f1", "fileUri": "users/u/f1/content"}) == ("f1", "users/u/f1/content")
    assert v1_result({"fileUri": "x"}) is None
    assert v2_result({"uploadId": "u", "fileMetadata": {"fileMetadataId": "f2", "fileUri": "users/x"}}) == (
        "f2",
        "users/x",
    )
    assert v2_result({"fileMetadata": {"fileId": "f3"}}) == ("f3", None)
    assert v2_result({"uploadId": "u", "terminalError": None}) is None  # asynchronous: no id yet
    assert v2_terminal_error({"terminalError": {"message": "unsupported file type"}}) == "unsupported file type"
    assert v2_terminal_error({"terminalError": None}) is None


def test_human_size():
    assert [human_size(n) for n in (5, 2048, 5 * 1024 * 1024, 3 * 1024**3)] == ["5 B", "2.0 KB", "5.0 MB", "3.0 GB"]


def _attachment(label: str, name: str, file_id: str, prompt: bool = False) -> Attachment:
    return Attachment(name, label, "image/png", 10, file_id, prompt=prompt)


def test_with_attachments_puts_ids_in_the_body_and_keeps_the_metadata():
    req = ChatRequest(prompt="q", mode="fast")
    a = _attachment("pics/a.png", "a.png", "id-a")
    out = with_attachments(req, [a])
    assert out.prompt == "q" and out.attachments == (a,)
    assert chat_body(out)["fileAttachments"] == ["id-a"] and chat_body(out)["message"] == "q"


def test_a_prompt_sent_as_a_file_leaves_the_instruction_message():
    long = ChatRequest(prompt="x" * 50_000, mode="fast")
    f = prompt_file(long.prompt)
    out = with_attachments(long, [_attachment(f.label, f.name, "id-p", prompt=True)])
    assert out.prompt == long.prompt  # kept for the history
    assert chat_body(out)["message"] == LONG_PROMPT_MESSAGE and out.file_ids == ("id-p",)


def test_stream_error_names_the_file_by_its_upload_name():
    files = [_attachment("x/a.png", "a.png", "1"), _attachment("y/b.png", "b.png", "2")]
    err = classify_stream_errors([{"attachmentFileTooLarge": {"fileName": "b.png"}}], files)
    assert isinstance(err, UpstreamError) and err.status == 7
    assert err.message == "grok.com could not use the attached file y/b.png: the file is too large."
    assert err.hint


def test_stream_error_names_the_file_by_its_id():
    files = [_attachment("x/a.png", "a.png", "1"), _attachment("y/b.png", "b.png", "2")]
    err = classify_stream_errors([{"attachmentLoadFailed": {"fileMetadataId": "1"}}], files)
    assert err is not None and "x/a.png: the file could not be loaded" in err.message


def test_empty_details_object_still_counts():
    err = classify_stream_errors([{"attachmentModerated": {}}], [_attachment("a.png", "a.png", "1")])
    assert err is not None and "a.png: the file was rejected by moderation" in err.message


def test_prompt_file_is_described_as_the_prompt():
    f = prompt_file("x")
    err = classify_stream_errors([{"attachmentFileTooLarge": {}}], [_attachment(f.label, f.name, "p", prompt=True)])
    assert err is not None and "prompt.txt (the prompt, sent as a file)" in err.message


def test_progress_on_a_terminal_redraws_one_line_then_clears_it():
    clock = iter(x * 0.2 for x in range(100))
    out = IO.for_test(tty=True)
    out.monotonic = lambda: next(clock)
    progress = UploadProgress(out, "big.pdf", PROGRESS_MIN_BYTES * 2)
    for sent in (0, 1000, 2000, 4000):
        progress(sent, 4000)
    progress.finish()
    text = out.stderr.getvalue()
    assert "Uploading big.pdf (2.0 MB):   0%" in text and "100%" in text and " 50%" in text
    assert "\n" not in text and text.endswith("\r")


def test_progress_is_silent_off_a_terminal_and_for_small_files():
    for io_, size in ((IO.for_test(tty=False), PROGRESS_MIN_BYTES * 5), (IO.for_test(tty=True), 10)):
        progress = UploadProgress(io_, "f", size)
        progress(5, 10)
        progress.finish()
        assert io_.stderr.getvalue() == ""


def test_client_upload_reports_progress_as_the_body_goes_out(fake, tmp_path):
    from grok_cli.auth.credentials import parse_cookie_text
    from grok_cli.client import Client
    from grok_cli.config import load_settings

    env = {**fake.env(), "GROK_HOME": str(tmp_path)}
    settings = load_settings({}, env)
    creds = parse_cookie_text(fake.cookie, source="test")
    data = bytes(range(256)) * 12_000  # 3 MB of binary
    seen: list[tuple[int, int]] = []

    async def go() -> Attachment:
        async with Client(settings, creds) as client:
            blob = LocalFile("blob.bin", "blob.bin", "application/octet-stream", data)
            return await client.upload(blob, lambda sent, total: seen.append((sent, total)))

    att = asyncio.run(go())
    assert att.file_id and att.size == len(data) and att.name == "blob.bin"
    assert len(seen) > 10 and seen[-1][0] == seen[-1][1] > len(data)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)




def test_a_long_prompt_is_announced_on_a_terminal_only():
    from grok_cli.turn import uploads_for

    long = ChatRequest(prompt="é" * 40_001, mode="fast")
    for tty in (True, False):
        out = IO.for_test(tty=tty)
        (f,) = uploads_for(out, long, [])
        assert f.prompt and f.data == long.prompt.encode()
        assert ("sent as an attached text file" in out.stderr.getvalue()) is tty
    assert uploads_for(IO.for_test(tty=True), ChatRequest(prompt="short", mode="fast"), []) == []


def test_only_an_error_answer_can_say_too_large():
    from grok_cli.transport.upload import _is_too_large

    assert _is_too_large(413, "")
    assert _is_too_large(400, '{"error":{"code":3,"message":"File too large"}}')
    assert not _is_too_large(200, '{"fileName":"too large.png","fileMetadataId":"x"}')
