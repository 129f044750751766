"""`grok ask -f FILE` and long prompts, end to end against the fake grok.com's recorded requests."""

import json
import os
import pty
import subprocess

import pytest

from grok_cli.protocol.upload import LONG_PROMPT_LIMIT, LONG_PROMPT_MESSAGE, UPLOAD_V1_PATH, UPLOAD_V2_PATH
from grok_cli.testing.images import png_bytes
from grok_cli.testing.server import _parse_multipart

from .conftest import GROK, Result

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UPLOADS = (UPLOAD_V1_PATH, UPLOAD_V2_PATH)


def run_bytes(grok_env, *args: str, stdin: bytes) -> Result:
    """`grok` with binary stdin (the `grok` fixture pipes text)."""
    p = subprocess.run([GROK, *args], input=stdin, capture_output=True, env=grok_env, timeout=30)
    return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


def uploads(fake) -> list:
    return [r for r in fake.requests if r.path in UPLOADS]


def uploaded_file(rec) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of one recorded upload, whichever endpoint took it."""
    if rec.path == UPLOAD_V1_PATH:
        import base64

        return rec.body["fileName"], rec.body["fileMimeType"], base64.b64decode(rec.body["content"])
    (headers, data), *_ = _parse_multipart(rec.raw, rec.headers["content-type"])
    return headers["filename"], headers["content-type"], data


def user_turn_files(fake, chat) -> list[dict]:
    """What the fake grok.com stored with the user turn of a chat request."""
    for conv in fake.conversations.values():
        for node in conv.responses.values():
            if node.sender == "human" and node.obj["message"] == chat.body["message"]:
                return node.obj.get("fileAttachmentsMetadata", [])
    raise AssertionError("no such user turn")


def test_image_text_and_pdf_are_uploaded_then_referenced_by_the_chat_request(grok, fake, tmp_path):
    image = tmp_path / "chart.png"
    image.write_bytes(png_bytes("chart"))
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\nRevenue grew 12%.\n")
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    r = grok("ask", "-f", str(image), "--file", str(notes), "-f", str(report), "Do these agree?")
    assert r.code == 0 and r.stderr == "", r.stderr
    sent = [uploaded_file(u) for u in uploads(fake)]
    assert sent == [
        ("chart.png", "image/png", image.read_bytes()),
        ("notes.md", "text/markdown", notes.read_bytes()),
        ("report.pdf", "application/pdf", PDF),
    ]
    assert all(u.path == UPLOAD_V2_PATH for u in uploads(fake))  # the endpoint the web app uses
    (chat,) = fake.chat_requests()
    assert chat.body["message"] == "Do these agree?"
    stored = user_turn_files(fake, chat)
    assert chat.body["fileAttachments"] == [f["fileMetadataId"] for f in stored]
    assert [f["fileName"] for f in stored] == ["chart.png", "notes.md", "report.pdf"]
    # Every upload happened before the chat request.
    assert fake.requests.index(chat) > max(fake.requests.index(u) for u in uploads(fake))


def test_stdin_as_a_file_is_sniffed_and_not_used_as_prompt_text(grok_env, fake):
    data = png_bytes("screenshot")
    r = run_bytes(grok_env, "ask", "-f", "-", "What is on screen?", stdin=data)
    assert r.code == 0, r.stderr
    assert [uploaded_file(u) for u in uploads(fake)] == [("stdin.png", "image/png", data)]
    (chat,) = fake.chat_requests()
    assert chat.body["message"] == "What is on screen?"
    assert len(chat.body["fileAttachments"]) == 1


def test_text_on_stdin_as_a_file_is_text_plain(grok_env, fake):
    r = run_bytes(grok_env, "ask", "-f", "-", "Any errors?", stdin="line one\nline two ✓\n".encode())
    assert r.code == 0, r.stderr
    assert [uploaded_file(u)[:2] for u in uploads(fake)] == [("stdin.txt", "text/plain")]


def test_missing_file_is_a_usage_error_before_anything_is_sent(grok, fake, tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("fine")
    r = grok("ask", "-f", str(good), "-f", str(tmp_path / "missing.png"), "hi")
    assert r.code == 2 and "missing.png" in r.stderr and "no such file" in r.stderr
    assert not [x for x in fake.requests if x.origin == "web" and x.method == "POST"]


def test_directory_and_empty_file_are_usage_errors(grok, fake, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert grok("ask", "-f", str(tmp_path), "hi").code == 2
    r = grok("ask", "-f", str(empty), "hi")
    assert r.code == 2 and "empty" in r.stderr
    assert fake.requests == []


def test_stdin_cannot_be_both_the_prompt_and_a_file(grok_env, fake):
    r = run_bytes(grok_env, "ask", "-f", "-", "-", stdin=b"x")
    assert r.code == 2 and "both" in r.stderr and fake.requests == []


def test_oversized_file_names_the_file_and_sends_no_chat_request(grok, fake, tmp_path):
    fake.upload_limit = 1000
    small = tmp_path / "small.txt"
    small.write_text("ok")
    big = tmp_path / "big.log"
    big.write_text("x" * 5000)
    r = grok("ask", "-f", str(small), "-f", str(big), "summarise")
    assert r.code == 7
    assert str(big) in r.stderr and "too large" in r.stderr and "4.9 KB" in r.stderr
    assert len(uploads(fake)) == 2 and fake.chat_requests() == []  # nothing half-sent


def test_upload_failure_is_a_jsonl_error_event(grok, fake, tmp_path):
    fake.upload_limit = 10
    big = tmp_path / "big.txt"
    big.write_text("y" * 100)
    r = grok("ask", "--jsonl", "-f", str(big), "q")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.code == 7 and events[-1]["type"] == "error" and events[-1]["exit_code"] == 7
    assert "big.txt" in events[-1]["message"]


def test_v2_withdrawn_falls_back_to_v1_for_this_and_later_files(grok, fake, tmp_path):
    fake.upload_v2 = "gone"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("first")
    b.write_text("second")
    r = grok("ask", "-f", str(a), "-f", str(b), "compare")
    assert r.code == 0, r.stderr
    assert [u.path for u in uploads(fake)] == [UPLOAD_V2_PATH, UPLOAD_V1_PATH, UPLOAD_V1_PATH]
    assert [uploaded_file(u) for u in uploads(fake)[1:]] == [
        ("a.txt", "text/plain", b"first"),
        ("b.txt", "text/plain", b"second"),
    ]
    assert len(fake.chat_requests()[0].body["fileAttachments"]) == 2


def test_v2_answer_without_a_file_id_falls_back_to_v1(grok, fake, tmp_path):
    fake.upload_v2 = "async"
    a = tmp_path / "a.txt"
    a.write_text("first")
    r = grok("ask", "-f", str(a), "q")
    assert r.code == 0, r.stderr
    assert [u.path for u in uploads(fake)] == [UPLOAD_V2_PATH, UPLOAD_V1_PATH]


def test_two_megabytes_of_piped_input_go_as_an_attached_text_file(grok, fake):
    piped = "".join(f"2026-11-24 12:00:{i % 60:02d} worker[{i}] ok ✓\n" for i in range(60_000))
    assert len(piped.encode()) > 2_000_000
    r = grok("ask", "summarise", input=piped)
    assert r.code == 0, r.stderr
    (chat,) = fake.chat_requests()
    assert chat.body["message"] == LONG_PROMPT_MESSAGE
    (up,) = uploads(fake)
    name, mime, data = uploaded_file(up)
    assert (name, mime) == ("prompt.txt", "text/plain")
    assert data.decode() == piped.rstrip("\n") + "\n\nsummarise"  # the whole prompt, stdin first
    assert len(chat.body["fileAttachments"]) == 1


def test_a_prompt_at_the_limit_stays_in_the_message(grok, fake):
    prompt = "a" * LONG_PROMPT_LIMIT
    r = grok("ask", prompt)
    assert r.code == 0 and uploads(fake) == []
    assert fake.chat_requests()[0].body["message"] == prompt


def test_stream_error_about_an_image_names_the_local_file(grok, fake, tmp_path):
    image = tmp_path / "huge-photo.png"
    image.write_bytes(png_bytes("huge"))
    r = grok("ask", "-f", str(image), "scenario:stream_errors_field:image_too_large describe")
    assert r.code == 7
    assert f"the attached file {image}: the image is too large (the limit is 20.0 MB)" in r.stderr


def test_stream_error_without_a_file_name_names_the_only_attachment(grok, fake, tmp_path):
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    r = grok("ask", "-f", str(report), "scenario:stream_errors_field:too_many_pages summarise")
    assert r.code == 7 and f"{report}: the document has too many pages (at most 100 pages)" in r.stderr


def test_stream_error_with_several_attachments_lists_them(grok, fake, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(png_bytes("a"))
    b.write_bytes(png_bytes("b"))
    r = grok("ask", "-f", str(a), "-f", str(b), "scenario:stream_errors_field:moderated x")
    assert r.code == 7 and f"one of {a}, {b}: the file was rejected by moderation" in r.stderr



@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_a_long_prompt_is_sent_only_as_the_attached_file_over_either_transport(grok, fake, transport):
    prompt = "b" * (LONG_PROMPT_LIMIT + 1)
    r = grok("ask", "--transport", transport, prompt)
    assert r.code == 0, r.stderr
    assert fake.prompts() == [LONG_PROMPT_MESSAGE]
    (up,) = uploads(fake)
    assert uploaded_file(up)[2].decode() == prompt


@pytest.mark.parametrize("args", [["-f", "/dev/zero", "q"], ["q"]], ids=["file", "stdin"])
def test_an_endless_input_stops_at_the_limit_with_a_usage_error(grok_env, fake, args):
    # Both would grow to gigabytes if read to their end: /dev/zero never ends.
    with open("/dev/zero", "rb") as zero:
        p = subprocess.run([GROK, "ask", *args], stdin=zero, capture_output=True, env=grok_env, timeout=60)
    source = b"/dev/zero" if "-f" in args else b"stdin"
    assert p.returncode == 2 and source + b" is larger than 16.0 MB" in p.stderr and b"10.0 MB" in p.stderr
    assert uploads(fake) == [] and fake.chat_requests() == []


def test_a_fifo_nobody_writes_to_is_said_to_be_waited_on(grok_env, fake, tmp_path):
    fifo = tmp_path / "notes"
    os.mkfifo(fifo)
    leader, follower = pty.openpty()  # stderr on a terminal: the notice is for a person
    proc = subprocess.Popen([GROK, "ask", "-f", str(fifo), "summarise"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=follower, env=grok_env)
    os.close(follower)
    shown = b""
    try:
        while b"waiting for input on" not in shown:
            shown += os.read(leader, 4096)
        fifo.write_text("remember the milk\n")  # a writer at last
        out, _ = proc.communicate(timeout=30)
    finally:
        os.close(leader)
    assert proc.returncode == 0 and str(fifo).encode() in shown
    assert uploaded_file(uploads(fake)[-1])[2] == b"remember the milk\n"
