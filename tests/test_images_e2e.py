"""`grok images` and `--save-images` end to end, against the fake grok.com and its assets origin."""

import json
import os
from pathlib import Path

import pytest

JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"


def jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def compact(image_id: str) -> str:
    return image_id.replace("-", "")[:8]


def answer_images(fake) -> list[str]:
    """Ids of the non-moderated final images of the last answer, in image order."""
    (conv,) = [c for c in fake.conversations.values() if c.responses]
    model = [n.obj for n in conv.responses.values() if n.sender == "assistant"][-1]
    if model.get("generatedImageUrls"):
        return [url.split("/")[-2] for url in model["generatedImageUrls"]]
    chunks = [json.loads(card)["image_chunk"] for card in model["cardAttachmentsJson"]]
    return [c["imageUuid"] for c in chunks if not c.get("moderated")]


@pytest.fixture
def fresh(fake):
    """The fake server with no conversations from earlier tests (answer_images reads them)."""
    fake._server.state.conversations.clear()
    return fake


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("scenario, magic, ext", [("images_legacy", JPEG, ".jpg"), ("images_cards:png", PNG, ".png")])
def test_images_are_saved_and_stdout_is_exactly_their_paths_in_order(grok, fresh, tmp_path, scenario, magic, ext):
    out = tmp_path / "out"
    r = grok("images", f"scenario:{scenario} a red fox", "-n", "3", "-o", str(out))
    assert r.code == 0, r.stderr
    paths = [Path(line) for line in r.stdout.splitlines()]
    assert sorted(paths) == sorted(files_under(out)) and len(paths) == 3
    assert [p.name.rsplit("-", 1)[1].split(".")[0] for p in paths] == [compact(i) for i in answer_images(fresh)]
    for path in paths:
        assert path.parent == out and path.suffix == ext and path.read_bytes().startswith(magic)
    assert "moderated" in r.stderr and r.stderr.count(" saved: ") == 3


def test_image_request_asks_for_count_and_cookies_go_to_the_assets_origin_only(grok, fresh, tmp_path):
    r = grok("images", "scenario:images_cards a fox", "-n", "2", "-o", str(tmp_path))
    assert r.code == 0, r.stderr
    (chat,) = fresh.chat_requests()
    assert chat.body["imageGenerationCount"] == 2 and chat.body["toolOverrides"] == {"imageGen": True}
    downloads = [x for x in fresh.requests if x.origin == "assets"]
    # Only the two final images: no previews, not the moderated one.
    assert sorted(x.path.split("/")[-2] for x in downloads) == sorted(answer_images(fresh))
    for x in downloads:
        assert x.cookies["sso"] == fresh.sso and x.cookies["cf_clearance"] == fresh.cf_clearance
        assert x.headers["referer"] == fresh.url + "/" and "Chrome/" in x.headers["user-agent"]
    assert not [x for x in fresh.requests if x.origin == "other"]


def test_hostile_image_urls_stay_in_the_directory_and_no_cookie_leaves(grok, fake, tmp_path):
    jail = tmp_path / "jail"
    out = jail / "a" / "b" / "out"
    r = grok("images", "scenario:images_evil x", "-o", str(out))
    assert r.code == 0, r.stderr
    paths = [Path(line) for line in r.stdout.splitlines()]
    assert files_under(jail) == set(paths) and len(paths) == 3
    assert all(p.parent == out and p.read_bytes().startswith(JPEG) for p in paths)
    other = [x for x in fake.requests if x.origin == "other"]
    assert other, "the image on another host was downloaded, without cookies"
    for x in other:
        assert "cookie" not in x.headers and x.cookies == {} and "referer" not in x.headers
    # The traversal path was resolved inside the assets origin, where the cookies belong.
    assert "/etc/passwd" in [x.path for x in fake.requests if x.origin == "assets"]


def test_a_failed_download_keeps_the_others_and_exits_7(grok, fresh, tmp_path):
    out = tmp_path / "out"
    r = grok("images", "scenario:images_legacy:missing x", "-n", "3", "-o", str(out))
    assert r.code == 7
    ids = answer_images(fresh)
    paths = [Path(line) for line in r.stdout.splitlines()]
    assert [p.stem.rsplit("-", 1)[1] for p in paths] == [compact(i) for i in ids[1:]]
    assert files_under(out) == set(paths)  # no temporary file left behind
    assert "Image 1 could not be saved" in r.stderr and "HTTP 404" in r.stderr
    assert "1 image could not be saved" in r.stderr


def test_jsonl_image_events_match_the_schema(grok, fake, tmp_path):
    r = grok("images", "--jsonl", "scenario:images_legacy x", "-o", str(tmp_path))
    assert r.code == 0 and r.stderr == ""
    events = jsonl(r.stdout)
    progress = [e for e in events if e["type"] == "image_progress"]
    images = [e for e in events if e["type"] == "image"]
    assert progress and all(set(e) == {"type", "image_id", "url", "progress", "moderated"} for e in progress)
    assert [e["progress"] for e in progress] == [50, 50, 50, 100, 100, 100]
    assert [e["moderated"] for e in progress if e["progress"] == 100] == [False, False, True]
    assert len(images) == 2 and all(set(e) == {"type", "image_id", "url", "path"} for e in images)
    for e in images:
        assert e["url"].startswith(fake.assets_url + "/users/") and Path(e["path"]).read_bytes().startswith(JPEG)
    assert events[-1]["type"] == "done" and events[-1]["complete"] is True


def test_ask_jsonl_reports_images_with_absolute_urls_and_no_path(grok, fake):
    events = jsonl(grok("ask", "--jsonl", "scenario:images_cards x").stdout)
    images = [e for e in events if e["type"] == "image"]
    assert len(images) == 2 and all(e["path"] is None and e["url"].startswith(fake.assets_url + "/") for e in images)
    assert not [x for x in fake.requests if x.origin == "assets"]


def test_ask_save_images_sets_paths_and_keeps_stdout_for_the_answer(grok, fake, tmp_path):
    out = tmp_path / "saved"
    r = grok("ask", "--save-images", str(out), "scenario:images_legacy a fox")
    assert r.code == 0, r.stderr
    assert r.stdout == "I generated images with the prompt: 'a fox'\n"
    saved = files_under(out)
    assert len(saved) == 2 and all(f"Image: {p}" in r.stderr for p in saved)
    events = jsonl(grok("ask", "--jsonl", "--save-images", str(out), "scenario:images_cards x").stdout)
    paths = [e["path"] for e in events if e["type"] == "image"]
    assert len(paths) == 2 and all(Path(p).parent == out and Path(p).is_file() for p in paths)


def test_ask_save_images_failure_is_reported_after_the_answer_with_exit_7(grok, fake, tmp_path):
    out = tmp_path / "out"
    r = grok("ask", "--jsonl", "--save-images", str(out), "scenario:images_legacy:missing x")
    assert r.code == 7
    events = jsonl(r.stdout)
    assert [e["type"] for e in events[-2:]] == ["done", "error"] and events[-2]["complete"] is True
    assert events[-1]["code"] == "upstream" and events[-1]["exit_code"] == 7
    assert [e["path"] is None for e in events if e["type"] == "image"] == [True, False]
    assert "Could not save the image" in r.stderr and len(files_under(out)) == 1


def test_images_dir_comes_from_grok_images_dir_and_defaults_to_the_current_dir(grok, fake, tmp_path):
    via_env = tmp_path / "env-dir"
    r = grok("images", "scenario:images_cards x", "-n", "1", env={"GROK_IMAGES_DIR": str(via_env)})
    assert r.code == 0 and Path(r.stdout.strip()).parent == via_env


def test_images_default_to_the_current_directory(grok_env, fake, tmp_path):
    import subprocess

    from .conftest import GROK

    p = subprocess.run(
        [GROK, "images", "scenario:images_cards x", "-n", "1"],
        cwd=tmp_path, env=grok_env, capture_output=True, text=True, input="", timeout=30,
    )
    assert p.returncode == 0 and Path(p.stdout.strip()).parent == tmp_path


def test_an_answer_without_images_is_an_error_that_shows_the_words(grok, fake, tmp_path):
    r = grok("images", "scenario:short hello", "-o", str(tmp_path))
    assert r.code == 7 and r.stdout == ""
    assert "grok.com answered: Hello!" in r.stderr and "sent no image" in r.stderr


def test_count_out_of_range_is_a_usage_error(grok, fake, tmp_path):
    assert grok("images", "x", "-n", "0", "-o", str(tmp_path)).code == 2
    assert not fake.chat_requests()


def test_unwritable_directory_is_a_usage_error_before_asking(grok, fake, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = grok("images", "scenario:images_cards x", "-o", str(blocker / "sub"))
    assert r.code == 2 and "image directory" in r.stderr
    assert not fake.chat_requests()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saved_files_get_normal_permissions(grok, fake, tmp_path):
    r = grok("images", "scenario:images_cards x", "-n", "1", "-o", str(tmp_path))
    mode = Path(r.stdout.strip()).stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_images_get_images_for_a_plain_prompt_on_both_transports(grok, fake, tmp_path, transport):
    # grok images forces image generation; grok.com then draws, whatever the prompt says.
    r = grok("images", "a lighthouse at dawn", "-n", "2", "-o", str(tmp_path))
    assert r.code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2
