"""The pure parts of models and quotas: catalog lookup, defensive parsing, merging, messages, output."""

import json

import pytest

from grok_cli.cli.model_table import Listed, write_json, write_plain, write_rich
from grok_cli.config import load_settings
from grok_cli.errors import RateLimitedError, UsageError
from grok_cli.io import IO
from grok_cli.mode_cache import choose_mode, load, save
from grok_cli.protocol.models import CATALOG, Offered, merge, parse_modes, resolve, tier_name
from grok_cli.protocol.quota import Quota, duration, explain, parse_rate_limits


# -- catalog --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, mode",
    [
        ("fast", "fast"),
        ("grok-3", "fast"),
        ("grok-3-thinking", "expert"),
        ("grok-3-r1", "expert"),
        ("GROK-4", "auto"),
        ("grok-4-heavy", "heavy"),
        ("grok-2", "fast"),
        ("grok-4-fast", "fast"),
    ],
)
def test_aliases_resolve_to_the_mode_serving_them(name, mode):
    assert resolve(name) == mode


def test_every_alias_belongs_to_one_mode_only():
    names = [n for m in CATALOG for n in (m.id, *m.aliases)]
    assert len(names) == len(set(names))


def test_discovered_ids_are_accepted_and_suggested():
    assert resolve("grok-5-preview", ("grok-5-preview",)) == "grok-5-preview"
    with pytest.raises(UsageError) as e:
        resolve("grok-5-previw", ("grok-5-preview",))
    assert "grok-5-preview" in (e.value.hint or "")


# -- /rest/modes ----------------------------------------------------------------------------------
def test_modes_answer_is_parsed_defensively():
    data = {
        "modes": [
            {"id": "fast", "displayName": "Fast", "summary": "Quick", "availability": {"available": True,
             "minimumSubscriptionTier": "SUBSCRIPTION_TIER_FREE"}},
            {"modeId": "new", "name": "New", "description": "d", "available": False, "tier": "SUPER_GROK_HEAVY"},
            {"displayName": "no id"},
            "bare-id",
            42,
            {"id": "fast", "displayName": "duplicate"},
            {"id": "odd", "availability": {"minimumSubscriptionTier": "GALAXY_BRAIN"}},
        ]
    }  # fmt: skip
    assert parse_modes(data) == [
        Offered("fast", "Fast", "Quick", True, "free"),
        Offered("new", "New", "d", False, "heavy"),
        Offered("bare-id"),
        Offered("odd", tier="galaxy-brain"),
    ]
    assert parse_modes([{"id": "x"}]) == [Offered("x")]
    assert parse_modes({"availableModes": [{"id": "y"}]}) == [Offered("y")]
    for junk in (None, "text", {"modes": "nope"}, {"error": {"code": 3}}):
        assert parse_modes(junk) == []


def test_tier_names():
    assert [tier_name(t) for t in ("FREE", "SUPER_GROK", "SUBSCRIPTION_TIER_GROK_PRO", "", None)] == [
        "free", "supergrok", "supergrok", None, None,
    ]  # fmt: skip


def test_2026_08_tier_names_read_as_the_catalog_names_them():
    names = ("TIER_FREE", "TIER_SUPERGROK", "TIER_SUPERGROK_HEAVY", "TIER_SUPERGROK_PLUS", "TIER_X_PREMIUM")
    assert [tier_name(t) for t in names] == ["free", "supergrok", "heavy", "supergrok-plus", "supergrok"]


def test_merge_without_discovery_is_the_catalog_with_unknown_availability():
    rows = merge(None)
    assert [r.id for r in rows] == [m.id for m in CATALOG]
    assert {r.available for r in rows} == {None}


def test_merge_takes_names_tiers_and_availability_from_grok_com():
    rows = {r.id: r for r in merge([Offered("fast", "Fast!", "server text", None, "supergrok"), Offered("extra")])}
    assert rows["fast"].name == "Fast!" and rows["fast"].tier == "supergrok" and rows["fast"].available is True
    assert rows["fast"].description == CATALOG[0].description and rows["fast"].aliases == CATALOG[0].aliases
    assert rows["expert"].available is False  # grok.com did not list it
    assert rows["extra"].name == "extra" and rows["extra"].aliases == () and rows["extra"].available is True


# -- /rest/rate-limits ----------------------------------------------------------------------------
def test_rate_limits_answer_is_parsed_defensively():
    full = {"windowSizeSeconds": 7200, "remainingQueries": 0, "totalQueries": 140, "waitTimeSeconds": 3000}
    assert parse_rate_limits(full) == Quota(0, 140, 7200, 3000)
    tokens = {"remainingTokens": "5", "totalTokens": 80, "windowSizeSeconds": 3600}
    assert parse_rate_limits(tokens) == Quota(5, 80, 3600, None)
    nested = {"remainingQueries": 0, "lowEffortRateLimits": {"waitTimeSeconds": 50},
              "highEffortRateLimits": {"waitTimeSeconds": 900}}  # fmt: skip
    assert parse_rate_limits(nested).wait_seconds == 50
    assert parse_rate_limits({"waitTimeSeconds": 0, "remainingQueries": True}) == Quota(None, None, None, None)
    assert parse_rate_limits(None) == Quota(None, None, None, None)


def test_rate_limit_error_tells_when_the_window_resets():
    original = RateLimitedError("grok.com's usage limit was reached (Too many requests).", "Try again in 1 s.", 1.0)
    told = explain(original, "expert", Quota(0, 50, 7200, 5400))
    assert told.message == (
        "grok.com's usage limit for expert was reached: all 50 queries of its 2 h window are used; "
        "it resets in about 1.5 h."
    )
    assert told.retry_after == 5400 and int(told.status) == 5
    no_wait = explain(original, "expert", Quota(0, 50, 7200, None))
    assert "free up within 2 h" in (no_wait.hint or "")


def test_rate_limit_error_is_unchanged_when_the_quota_is_not_the_reason():
    original = RateLimitedError("burst", "Try again in 1 s.", 1.0)
    assert explain(original, "fast", Quota(10, 140, 7200, None)) is original
    assert explain(original, "fast", Quota(None, None, None, None)) is original


@pytest.mark.parametrize(
    "seconds, text", [(5, "5 s"), (89, "89 s"), (600, "10 min"), (3600, "1 h"), (5400, "1.5 h"), (7200, "2 h"),
                      (86400, "24 h"), (3 * 86400, "3 d")]
)  # fmt: skip
def test_durations_read_naturally(seconds, text):
    assert duration(seconds) == text


# -- the cache ------------------------------------------------------------------------------------
def settings(home, **env):
    return load_settings({}, {"GROK_HOME": str(home), **env})


def test_cache_round_trips_and_is_ignored_for_another_origin_or_when_unreadable(tmp_path):
    s = settings(tmp_path)
    assert load(s) is None
    saved = save(s, [Offered("fast", "Fast", None, True, "free"), Offered("grok-5")], now=1000.0)
    assert load(s) == saved and saved.ids == ("fast", "grok-5")
    assert load(settings(tmp_path, GROK_BASE_URL="https://other.example")) is None
    (tmp_path / "cache" / "modes.json").write_text("{not json")
    assert load(s) is None
    (tmp_path / "cache" / "modes.json").write_text(json.dumps({"format": 1, "base_url": s.base_url, "modes": [1]}))
    assert load(s) is None


def test_choose_mode_uses_the_cached_discovery(tmp_path):
    s = settings(tmp_path, GROK_MODEL="grok-5")
    with pytest.raises(UsageError, match=r"\(set in GROK_MODEL\)"):
        choose_mode(s)
    save(s, [Offered("grok-5")])
    assert choose_mode(s) == "grok-5"


# -- output ---------------------------------------------------------------------------------------
def listed(**quotas):
    rows = merge([Offered("fast", available=True), Offered("odd\x1b[2Jid", "Evil\x07", "desc\x1b]0;x")])
    return Listed(rows, quotas or None, "fast", 0.0)


def test_plain_output_is_aligned_columns_with_server_text_neutralized():
    io = IO.for_test()
    write_plain(io, listed())
    lines = io.stdout.getvalue().splitlines()
    starts = [lines[0].index(h) for h in ("NAME", "TIER", "AVAILABLE", "ALIASES")]
    for line in lines[1:]:
        assert [line[i - 2 : i] for i in starts] == ["  "] * 4
    assert "\x1b" not in io.stdout.getvalue() and "\x07" not in io.stdout.getvalue()


def test_json_output_has_quota_only_when_asked():
    io = IO.for_test()
    write_json(io, listed())
    assert "quota" not in json.loads(io.stdout.getvalue())["models"][0]
    io = IO.for_test()
    write_json(io, listed(fast=Quota(1, 2, 3, None)))
    models = json.loads(io.stdout.getvalue())["models"]
    assert models[0]["quota"] == {"remaining": 1, "total": 2, "window_seconds": 3, "wait_seconds": None}
    assert models[1]["quota"] is None
    assert json.loads(io.stdout.getvalue())["refreshed_at"] == "1970-01-01T00:00:00Z"


def test_terminal_table_marks_the_default_and_honours_no_color():
    io = IO.for_test(tty=True, color=True)
    write_rich(io, listed(), caption="Default: fast.")
    out = io.stdout.getvalue()
    assert "Fast (default)" in out and "Default: fast." in out and "\x1b[" in out
    assert "\x1b[2J" not in out and "\x07" not in out
    plain = IO.for_test(tty=True, color=False)
    write_rich(plain, listed(), caption="")
    assert "\x1b" not in plain.stdout.getvalue() and "Fast (default)" in plain.stdout.getvalue()


def test_a_person_is_told_where_the_list_comes_from_and_which_mode_is_the_default(tmp_path):
    from grok_cli.cli.model_list import ListOptions, run_models

    opts = ListOptions(as_json=False, refresh=False, quota=False, timeout=None, proxy=None)
    io = IO.for_test(tty=True, environ={"GROK_HOME": str(tmp_path), "GROK_MODEL": "grok-4"})
    assert run_models(io, opts) == 0
    out = " ".join(io.stdout.getvalue().split())
    assert "Default: auto (GROK_MODEL)." in out and "`grok models --refresh` asks grok.com" in out
    save(settings(tmp_path), [Offered("fast")])
    io = IO.for_test(tty=True, environ={"GROK_HOME": str(tmp_path)})
    run_models(io, opts)
    assert "Default: fast (built-in). Availability as grok.com said" in " ".join(io.stdout.getvalue().split())
    piped = IO.for_test(tty=False, environ={"GROK_HOME": str(tmp_path)})
    run_models(piped, opts)
    assert piped.stderr.getvalue() == "" and "Default" not in piped.stdout.getvalue()
