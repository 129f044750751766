import pytest

from grok_cli.config import load_settings
from grok_cli.errors import UsageError


def test_precedence_flag_over_env_over_file_over_default(tmp_path):
    (tmp_path / "config.toml").write_text('model = "expert"\ntimeout = 12\nhistory = false\n')
    env = {"GROK_HOME": str(tmp_path), "GROK_TIMEOUT": "30"}
    s = load_settings({"timeout": 5.0}, env)
    assert (s.timeout, s.sources["timeout"]) == (5.0, "flag")
    s = load_settings({}, env)
    assert (s.timeout, s.sources["timeout"]) == (30.0, "env GROK_TIMEOUT")
    assert (s.model, s.sources["model"]) == ("expert", "file")
    assert s.history is False
    assert (s.transport, s.sources["transport"]) == ("auto", "default")


def test_invalid_config_names_the_key_and_line(tmp_path):
    (tmp_path / "config.toml").write_text('model = "fast"\n\ntimeout = "soon"\n')
    with pytest.raises(UsageError, match=r"'timeout'.*line 3"):
        load_settings({}, {"GROK_HOME": str(tmp_path)})


def test_unknown_config_key_is_reported(tmp_path):
    (tmp_path / "config.toml").write_text("colour = 1\n")
    with pytest.raises(UsageError, match="Unknown key 'colour'"):
        load_settings({}, {"GROK_HOME": str(tmp_path)})


def test_bad_environment_value_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="GROK_TIMEOUT"):
        load_settings({}, {"GROK_HOME": str(tmp_path), "GROK_TIMEOUT": "-1"})


@pytest.mark.parametrize(
    "line, key",
    [("images_dir = 7", "images_dir"), ('proxy = "::::"', "proxy"), ('proxy = "ftp://host:21"', "proxy"),
     ('images_dir = ""', "images_dir"), ("model = 4", "model")],
)
def test_a_malformed_value_is_refused_at_load_with_its_key_and_line(tmp_path, line, key):
    (tmp_path / "config.toml").write_text(f'render = "plain"\n{line}\n')
    with pytest.raises(UsageError, match=rf"'{key}'.*line 2"):
        load_settings({}, {"GROK_HOME": str(tmp_path)})


@pytest.mark.parametrize("proxy", ["http://proxy:3128", "proxy.example:8080", "socks5h://u:p@h:1080", "http://[::1]:3128"])
def test_proxies_as_curl_takes_them_are_accepted(tmp_path, proxy):
    assert load_settings({}, {"GROK_HOME": str(tmp_path), "HTTPS_PROXY": proxy}).proxy == proxy
