import pytest

from grok_cli.auth.credentials import Credentials, parse_cookie_text
from grok_cli.errors import AuthError

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uX2lkIjoiVU5JUVVFIn0.sig"


@pytest.mark.parametrize(
    "text",
    [
        f"sso={TOKEN}; sso-rw={TOKEN}; cf_clearance=cf1; _ga=junk",
        f"Cookie: sso={TOKEN}; cf_clearance=cf1",
        f"sso={TOKEN};cf_clearance=cf1\n",
    ],
)
def test_cookie_headers_as_copied_from_devtools(text):
    c = parse_cookie_text(text, source="stdin")
    assert c.cookie_names == ["cf_clearance", "sso", "sso-rw"]
    assert c.cookie_header() == f"sso={TOKEN}; sso-rw={TOKEN}; cf_clearance=cf1"


def test_a_bare_token_is_the_sso_cookie():
    c = parse_cookie_text(TOKEN, source="stdin")
    assert c.cookie_header() == f"sso={TOKEN}; sso-rw={TOKEN}"


def test_missing_sso_is_an_auth_error():
    with pytest.raises(AuthError):
        parse_cookie_text("cf_clearance=x", source="stdin")


def test_values_never_show_in_repr_or_str():
    c = parse_cookie_text(f"sso={TOKEN}; cf_clearance=SECRETCF", source="stdin")
    for shown in (repr(c), str(c), repr(c.cookies), f"{c}"):
        assert TOKEN not in shown and "SECRETCF" not in shown


def test_json_round_trip_stores_sso_once():
    c = parse_cookie_text(f"sso={TOKEN}; cf_clearance=cf1", source="stdin").stamped()
    text = c.to_json()
    assert text.count(TOKEN) == 1
    back = Credentials.from_json(text)
    assert back.cookie_header() == c.cookie_header() and back.saved_at == c.saved_at


@pytest.mark.parametrize(
    "text",
    [
        f"curl 'https://grok.com/rest/app-chat/conversations/new' \\\n  -H 'accept: */*' \\\n"
        f"  -b 'sso={TOKEN}; sso-rw={TOKEN}; cf_clearance=cf1' \\\n  --data-raw '{{}}'",
        f"curl 'https://grok.com/' -H 'accept: */*' -H 'cookie: sso={TOKEN}; cf_clearance=cf1' --compressed",
        f'curl "https://grok.com/" --data-binary "{{}}" --cookie "sso={TOKEN}; cf_clearance=cf1"',
    ],
)
def test_copy_as_curl_commands(text):
    c = parse_cookie_text(text, source="stdin")
    assert c.cookie_header() == f"sso={TOKEN}; sso-rw={TOKEN}; cf_clearance=cf1"


def test_rows_copied_from_the_devtools_cookie_table():
    rows = (
        f"sso\t{TOKEN}\t.grok.com\t/\t2027-01-01\t200\t✓\t✓\tLax\n"
        "cf_clearance\tcf1\t.grok.com\t/\n_ga\tx\t.grok.com\t/\n"
    )
    c = parse_cookie_text(rows, source="stdin")
    assert c.cookie_header() == f"sso={TOKEN}; sso-rw={TOKEN}; cf_clearance=cf1"


@pytest.mark.parametrize("text", ["sso=a b", "sso=caf\u00e9", "sso=x\x1b]0;t\x07"])
def test_a_cookie_a_header_cannot_carry_is_refused(text):
    with pytest.raises(AuthError, match="cookie has characters"):
        parse_cookie_text(text, source="stdin")


def test_a_user_agent_cannot_inject_a_header():
    sso = parse_cookie_text(f"sso={TOKEN}", source="stdin").cookies["sso"]
    with pytest.raises(AuthError, match="User-Agent"):
        Credentials({"sso": sso}, user_agent="Mozilla/5.0\r\nX-Injected: 1")
