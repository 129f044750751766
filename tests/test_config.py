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
