"""The fake grok.com's upload knobs: v2 withdrawn or asynchronous, and per-file stream errors."""

import base64
import subprocess
import sys

import pytest

from grok_cli.protocol.upload import multipart_body

from .conftest import GROK
from .test_fake_server import api, model_response, srv  # noqa: F401  (fixtures)

V2 = "/http/upload-file-v2/direct"
V1 = "/rest/app-chat/upload-file"


def v2_upload(api, name: str = "pic.png", data: bytes = b"\x89PNG\r\n\x1a\nxx"):  # noqa: F811
    body, content_type = multipart_body(name, "image/png", data)
    return api("POST", V2, raw=body, headers={"Content-Type": content_type})


def v1_upload(api, name: str, data: bytes) -> str:  # noqa: F811
    body = {"fileName": name, "fileMimeType": "image/png", "content": base64.b64encode(data).decode()}
    return api("POST", V1, body).json()["fileMetadataId"]


def test_v2_can_be_withdrawn_or_answer_without_a_file_id(srv, api):  # noqa: F811
    assert v2_upload(api).json()["fileMetadata"]["fileMetadataId"]
    srv.upload_v2 = "gone"
    assert v2_upload(api).status == 404
    srv.upload_v2 = "async"
    out = v2_upload(api).json()
    assert out["uploadId"] and "fileMetadata" not in out
    with pytest.raises(ValueError):
        srv.upload_v2 = "sometimes"


def test_v2_too_large_is_413(srv, api):  # noqa: F811
    srv.upload_limit = 4
    r = v2_upload(api)
    assert r.status == 413 and r.json()["error"]["message"] == "File too large"


def test_chat_with_an_id_the_server_never_issued_is_400(api):  # noqa: F811
    r = api.new("look", fileAttachments=["f0000000-0000-4000-8000-000000000000"])
    assert r.status == 400 and "Invalid file attachment" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("variant", "flag", "details"),
    [
        ("file_too_large", "attachmentFileTooLarge", {"fileName": "first.png"}),
        ("image_too_large", "attachmentImageTooLarge", {"maxSizeBytes": 20 * 1024 * 1024, "fileName": "first.png"}),
        ("too_many_pages", "attachmentTooManyPages", {"maxPages": 100}),
        ("moderated", "attachmentModerated", {}),
    ],
)
def test_stream_errors_about_an_attachment_carry_details_objects(api, variant, flag, details):  # noqa: F811
    ids = [v1_upload(api, "first.png", b"a"), v1_upload(api, "second.png", b"b")]
    frames = api.new(f"scenario:stream_errors_field:{variant} look", fileAttachments=ids).frames
    (error,) = model_response(frames)["streamErrors"]
    assert error[flag] == details and error["severity"] == "ERROR" and error["message"]


def test_cli_upload_limit_option(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("z" * 64)
    p = subprocess.run(
        [sys.executable, "-m", "grok_cli.testing", "run", "--upload-limit", "16", "--", GROK, "ask", "-f", str(big), "q"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert p.returncode == 7 and "too large" in p.stderr
