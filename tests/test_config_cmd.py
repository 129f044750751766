"""`grok config path|show|get|set|unset`, and the settings' precedence seen from `grok ask`."""

import json

from grok_cli.config_edit import toml_value, with_line


def test_path_is_config_toml_in_the_config_dir(grok, home):
    r = grok("config", "path")
    assert (r.code, r.stdout) == (0, f"{home / 'config.toml'}\n")


def test_show_gives_each_value_and_where_it_came_from(grok, home):
    (home / "config.toml").write_text('model = "expert"\ntimeout = 12\n')
    r = grok("config", "show", env={"GROK_TIMEOUT": "30"})
    rows = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()}
    assert r.code == 0
    assert rows["model"] == ["expert", "file"]
    assert rows["timeout"] == ["30", "env", "GROK_TIMEOUT"]
    assert rows["render"] == ["auto", "default"]
    shown = json.loads(grok("config", "show", "--json").stdout)
    assert shown["timeout"] == {"value": 12.0, "source": "file"}
    assert shown["proxy"] == {"value": None, "source": "default"}


def test_set_validates_and_keeps_other_keys_and_comments(grok, home):
    config = home / "config.toml"
    config.write_text('# my settings\nmodel = "fast"  \n\nhistory = false\n')
    assert grok("config", "set", "model", "grok-4").code == 0
    r = grok("config", "set", "timeout", "90")
    assert r.code == 0 and "timeout = 90" in r.stderr and r.stdout == ""
    assert config.read_text() == '# my settings\nmodel = "grok-4"\n\nhistory = false\ntimeout = 90\n'
    assert grok("config", "get", "timeout").stdout == "90\n"
    assert (config.stat().st_mode & 0o777) == 0o600


def test_set_refuses_a_bad_value_and_leaves_the_file_alone(grok, home):
    config = home / "config.toml"
    config.write_text('render = "plain"\n')
    for args, message in [
        (("render", "fancy"), "expected one of auto, markdown, plain"),
        (("timeout", "0"), "above 0"),
        (("history", "maybe"), "true or false"),
        (("model", "gpt-5"), "Unknown model"),
        (("colour", "red"), "Unknown setting 'colour'"),
    ]:
        r = grok("config", "set", *args)
        assert r.code == 2 and message in r.stderr, r.stderr
    assert config.read_text() == 'render = "plain"\n'


def test_unset_removes_the_key(grok, home):
    config = home / "config.toml"
    config.write_text('model = "expert"\nrender = "plain"\n')
    r = grok("config", "unset", "model")
    assert r.code == 0 and config.read_text() == 'render = "plain"\n'
    assert grok("config", "get", "model").stdout == ""


def test_an_invalid_file_is_an_error_naming_key_and_line(grok, home):
    (home / "config.toml").write_text('model = "fast"\n# comment\ntimeout = "soon"\n')
    r = grok("config", "show")
    assert r.code == 2 and "'timeout'" in r.stderr and "line 3" in r.stderr and "Traceback" not in r.stderr
    r = grok("ask", "hi")
    assert r.code == 2 and "line 3" in r.stderr


def test_set_warns_when_the_environment_overrides_the_file(grok, home):
    r = grok("config", "set", "model", "expert", env={"GROK_MODEL": "heavy"})
    assert r.code == 0 and "GROK_MODEL is set" in r.stderr


def test_ask_uses_flag_over_env_over_file_over_default(grok, fake, home):
    def mode(*args, env=None):
        fake.clear_requests()
        assert grok("ask", *args, "hi", env=env).code == 0
        return fake.chat_requests()[-1].body["modeId"]

    assert mode() == "fast"
    grok("config", "set", "model", "expert")
    assert mode() == "expert"
    assert mode(env={"GROK_MODEL": "heavy"}) == "heavy"
    assert mode("-m", "auto", env={"GROK_MODEL": "heavy"}) == "auto"


def test_toml_values_are_written_as_toml():
    assert [toml_value(v) for v in (True, 60.0, 2.5, 'a "b"\\')] == ["true", "60", "2.5", '"a \\"b\\"\\\\"']
    assert with_line("a = 1", "b", "2") == "a = 1\nb = 2\n"
    assert with_line("b = 1\nb = 3\n", "b", "2") == "b = 2\n"


def test_a_proxy_password_is_never_shown(grok, home):
    env = {"HTTPS_PROXY": "http://alice:s3cr3t@proxy.example:3128"}
    outputs = [grok("config", "show", env=env), grok("config", "show", "--json", env=env)]
    outputs.append(grok("config", "get", "proxy", env=env))
    outputs.append(grok("config", "set", "proxy", "http://bob:hunter2@proxy.example:8080"))
    for r in outputs:
        assert r.code == 0, r.stderr
        assert "s3cr3t" not in r.stdout + r.stderr and "hunter2" not in r.stdout + r.stderr
    assert "alice:***@proxy.example" in outputs[0].stdout
    assert "hunter2" in (home / "config.toml").read_text()  # the file itself keeps it (mode 0600)


def test_unset_of_a_key_that_is_not_set_says_so(grok, home):
    (home / "config.toml").write_text('render = "plain"\n')
    r = grok("config", "unset", "model")
    assert r.code == 0 and "model was not set" in r.stderr and "Removed" not in r.stderr
    assert (home / "config.toml").read_text() == 'render = "plain"\n'
