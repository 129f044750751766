"""`grok models` and model selection end to end: the installed command against the fake grok.com."""

import json

from grok_cli.protocol.models import CATALOG
from grok_cli.testing import MODES

CATALOG_IDS = [m.id for m in CATALOG]
NEW_MODE = {
    "id": "grok-5-preview",
    "displayName": "Grok 5 (preview)",
    "summary": "Next generation, early access",
    "availability": {"available": True, "minimumSubscriptionTier": "SUPER_GROK"},
}


def listing(stdout: str) -> dict:
    return json.loads(stdout)


def by_id(obj: dict) -> dict[str, dict]:
    return {m["id"]: m for m in obj["models"]}


def test_models_works_offline_without_credentials(grok, fake):
    offline = {"GROK_COOKIE": "", "GROK_BASE_URL": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    r = grok("models", env=offline)
    assert (r.code, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "TIER", "AVAILABLE"]
    assert [line.split()[0] for line in lines[1:]] == CATALOG_IDS
    assert "grok-3-thinking" in lines[1 + CATALOG_IDS.index("expert")]
    j = grok("models", "--json", env=offline)
    assert j.code == 0 and [m["id"] for m in listing(j.stdout)["models"]] == CATALOG_IDS
    assert fake.requests == []


def test_models_json_has_the_documented_shape(grok, fake):
    obj = listing(grok("models", "--json").stdout)
    assert set(obj) == {"default", "refreshed_at", "models"}
    assert obj["default"] == "fast" and obj["refreshed_at"] is None
    expert = by_id(obj)["expert"]
    assert set(expert) == {"id", "name", "description", "aliases", "available", "tier"}
    assert "grok-3-thinking" in expert["aliases"] and expert["available"] is None
    assert expert["tier"] == "supergrok" and expert["name"] == "Expert" and expert["description"]


def test_default_model_follows_grok_model_and_the_config_file(grok, fake, home):
    assert listing(grok("models", "--json", env={"GROK_MODEL": "grok-4"}).stdout)["default"] == "auto"
    (home / "config.toml").write_text('model = "grok-4-heavy"\n')
    assert listing(grok("models", "--json").stdout)["default"] == "heavy"
    grok("ask", "hi")
    assert fake.chat_requests()[-1].body["modeId"] == "heavy"


def test_an_unknown_configured_model_says_where_it_was_set(grok, fake, home):
    r = grok("ask", "hi", env={"GROK_MODEL": "grok-9000"})
    assert r.code == 2 and "Unknown model 'grok-9000' (set in GROK_MODEL)" in r.stderr
    assert "Did you mean" in r.stderr and fake.chat_requests() == []
    (home / "config.toml").write_text('model = "expret"\n')
    r = grok("ask", "hi")
    assert r.code == 2 and "(set in the config file)" in r.stderr and "expert" in r.stderr
    listed = grok("models", "--json")  # listing the models is how to find a better name
    assert listed.code == 0 and listing(listed.stdout)["default"] is None and "expret" in listed.stderr


def test_ask_with_an_unknown_model_exits_2_with_a_suggestion(grok, fake):
    r = grok("ask", "-m", "grok-9000", "x")
    assert r.code == 2 and "Did you mean grok-420" in r.stderr and fake.chat_requests() == []


def test_refresh_asks_grok_com_and_caches_what_it_says(grok, fake, home):
    fake.modes = [*MODES, NEW_MODE]
    r = grok("models", "--refresh", "--json")
    assert r.code == 0, r.stderr
    assert [q.path for q in fake.requests if q.path.startswith("/rest/")] == ["/rest/modes"]
    models = by_id(listing(r.stdout))
    assert list(models)[-1] == "grok-5-preview"
    assert models["grok-5-preview"] == {
        "id": "grok-5-preview",
        "name": "Grok 5 (preview)",
        "description": "Next generation, early access",
        "aliases": [],
        "available": True,
        "tier": "supergrok",
    }
    assert models["heavy"]["available"] is False and models["fast"]["available"] is True
    assert listing(r.stdout)["refreshed_at"].endswith("Z")
    assert (home / "cache" / "modes.json").is_file()

    fake.clear_requests()
    cached = grok("models", "--json", env={"GROK_COOKIE": ""})
    assert cached.code == 0 and listing(cached.stdout)["models"] == listing(r.stdout)["models"]
    assert fake.requests == []


def test_refresh_asks_in_english_and_lists_build_and_the_heavy_tiers(grok, fake):
    models = by_id(listing(grok("models", "--refresh", "--json").stdout))
    (asked,) = [q for q in fake.requests if q.path == "/rest/modes"]
    assert asked.body == {"locale": "en"}
    assert (models["build"]["tier"], models["heavy"]["tier"]) == ("supergrok-plus", "heavy")
    assert models["build"]["available"] is False and models["expert"]["tier"] == "supergrok"
    table = grok("models").stdout.splitlines()
    assert any(line.split()[:2] == ["build", "Build"] and "supergrok-plus" in line for line in table)


def test_a_mode_grok_com_dropped_is_listed_as_unavailable(grok, fake):
    assert "grok-420-computer-use-sa" not in {m["id"] for m in MODES}  # gone from the 2026-08 list
    fake.modes = [m for m in MODES if m["id"] != "expert"]
    models = by_id(listing(grok("models", "--refresh", "--json").stdout))
    assert models["expert"]["available"] is False and models["grok-420-computer-use-sa"]["available"] is False


def test_ask_accepts_a_mode_only_the_last_discovery_returned(grok, fake):
    fake.modes = [*MODES, NEW_MODE]
    before = grok("ask", "-m", "grok-5-preview", "hi")
    assert before.code == 2 and fake.chat_requests() == []
    assert grok("models", "--refresh").code == 0
    after = grok("ask", "-m", "grok-5-preview", "hi")
    assert after.code == 0, after.stderr
    assert fake.chat_requests()[-1].body["modeId"] == "grok-5-preview"


def test_images_and_config_accept_the_modes_ask_accepts(grok, fake, home, tmp_path):
    fake.modes = [*MODES, NEW_MODE]
    assert grok("models", "--refresh").code == 0
    r = grok("images", "-m", "grok-5-preview", "-o", str(tmp_path), "scenario:images_legacy a fox")
    assert r.code == 0, r.stderr
    assert fake.chat_requests()[-1].body["modeId"] == "grok-5-preview"
    assert grok("config", "set", "model", "grok-5-preview").code == 0
    assert 'model = "grok-5-preview"' in (home / "config.toml").read_text()


def test_a_mode_grok_com_no_longer_knows_fails_like_grok_com_fails_it(grok, fake):
    fake.modes = [*MODES, NEW_MODE]
    grok("models", "--refresh")
    fake.modes = MODES
    r = grok("ask", "-m", "grok-5-preview", "hi")
    assert r.code == 7 and "after thinking" in r.stderr


def test_refresh_needs_credentials_and_keeps_the_old_cache_on_failure(grok, fake):
    assert grok("models", "--refresh").code == 0
    r = grok("models", "--refresh", env={"GROK_COOKIE": ""})
    assert r.code == 3 and "grok login" in r.stderr and r.stdout == ""
    fake.modes = []
    r = grok("models", "--refresh")
    assert r.code == 7 and "previous list is kept" in r.stderr
    assert listing(grok("models", "--json").stdout)["refreshed_at"] is not None


def test_quota_shows_remaining_total_and_window_per_mode(grok, fake):
    fake.quota = {"expert": (0, 50, 3600), "auto": (7, 20, 86400)}
    r = grok("models", "--quota", "--json")
    assert r.code == 0, r.stderr
    models = by_id(listing(r.stdout))
    assert models["expert"]["quota"] == {"remaining": 0, "total": 50, "window_seconds": 3600, "wait_seconds": 3600}
    assert models["auto"]["quota"] == {"remaining": 7, "total": 20, "window_seconds": 86400, "wait_seconds": None}
    asked = sorted(q.body["modelName"] for q in fake.requests if q.path == "/rest/rate-limits")
    assert asked == sorted(CATALOG_IDS)
    plain = grok("models", "--quota").stdout.splitlines()
    assert plain[0].split()[4:8] == ["LEFT", "WINDOW", "RESETS", "IN"]
    expert = next(line for line in plain if line.startswith("expert "))
    assert expert.split()[4:7] == ["0/50", "1", "h"]
    assert "7/20" in next(line for line in plain if line.startswith("auto "))


def test_rate_limited_ask_says_when_the_window_resets(grok, fake):
    fake.quota = {"fast": (0, 140, 7200)}
    r = grok("ask", "--jsonl", "hi")
    assert r.code == 5
    error = json.loads(r.stdout.splitlines()[-1])
    assert error["type"] == "error" and error["code"] == "rate_limited"
    assert "all 140 queries of its 2 h window are used; it resets in about 2 h" in error["message"]
    assert error["message"] in r.stderr and "another mode" in r.stderr
    assert [q.path for q in fake.requests][-1] == "/rest/rate-limits"


def test_shell_completion_of_model_offers_aliases_and_discovered_ids(grok, fake):
    def complete(word: str) -> list[str]:
        env = {"_GROK_COMPLETE": "complete_bash", "COMP_WORDS": f"grok ask -m {word}", "COMP_CWORD": "3"}
        return grok(env=env).stdout.split()

    assert complete("grok-3-t") == ["grok-3-thinking"]
    assert complete("grok-5") == []
    fake.modes = [*MODES, NEW_MODE]
    grok("models", "--refresh")
    assert complete("grok-5") == ["grok-5-preview"]


def test_an_empty_model_name_is_a_usage_error(grok, fake):
    r = grok("ask", "-m", "", "hi")
    assert r.code == 2 and "model name is empty" in r.stderr and fake.chat_requests() == []


def test_refresh_still_lists_the_modes_when_the_cache_cannot_be_written(grok, fake, home):
    (home / "cache").write_text("a file where the cache directory should be")
    r = grok("models", "--refresh", "--json")
    assert r.code == 0, r.stderr
    assert "Cannot write" in r.stderr and "not kept" in r.stderr
    assert by_id(listing(r.stdout))["fast"]

