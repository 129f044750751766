"""The credential store against real keyring backend objects: in memory, failing, prompting, locked."""

import stat

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from grok_cli.auth import store
from grok_cli.auth.credentials import parse_cookie_text
from grok_cli.errors import AuthError

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uX2lkIjoiU1RPUkUifQ.sig"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.data = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError(username)
        del self.data[(service, username)]


class PromptingKeyring(MemoryKeyring):
    """Stands for keyrings.alt's EncryptedKeyring, which asks for a master password."""

    def get_password(self, service, username):
        raise AssertionError("a non-interactive run asked a prompting keyring")

    set_password = get_password  # type: ignore[assignment]


PromptingKeyring.__module__ = "keyrings.alt.file"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.fixture
def use_keyring():
    old = keyring.get_keyring()

    def use(backend):
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(old)


@pytest.fixture
def creds():
    return parse_cookie_text(f"sso={TOKEN}; cf_clearance=cf-value", source="stdin").stamped()


def test_saves_to_the_keyring_as_compact_json_and_loads_back(use_keyring, tmp_path, creds):
    kr = use_keyring(MemoryKeyring())
    path = tmp_path / "credentials.json"
    saved = store.save(creds, path, store="auto", interactive=False)
    assert saved.store == "keyring" and not path.exists()
    text = kr.data[(store.SERVICE, store.ACCOUNT)]
    assert text.count(TOKEN) == 1 and " " not in text
    loaded = store.load(path, interactive=False)
    assert loaded.store == "keyring"
    assert loaded.credentials.cookie_header() == creds.cookie_header()


def test_without_a_keyring_falls_back_to_a_0600_file_and_says_why(use_keyring, tmp_path, creds):
    use_keyring(fail.Keyring())
    path = tmp_path / "cfg" / "credentials.json"
    saved = store.save(creds, path, store="auto", interactive=False)
    assert saved.store == "file" and "no usable keyring" in saved.note
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load(path, interactive=False).credentials.cookie_header() == creds.cookie_header()


def test_forcing_the_keyring_without_one_is_an_auth_error(use_keyring, tmp_path, creds):
    use_keyring(fail.Keyring())
    with pytest.raises(AuthError, match="keyring"):
        store.save(creds, tmp_path / "credentials.json", store="keyring", interactive=False)
    assert not (tmp_path / "credentials.json").exists()


def test_prompting_keyrings_are_skipped_when_nobody_can_answer(use_keyring, tmp_path, creds):
    use_keyring(PromptingKeyring())
    saved = store.save(creds, tmp_path / "credentials.json", store="auto", interactive=False)
    assert saved.store == "file"
    assert store.load(tmp_path / "credentials.json", interactive=False).store == "file"


def test_oversized_credentials_go_to_the_file(use_keyring, tmp_path, creds):
    from grok_cli.auth.credentials import CapturedHeader, Credentials, Secret

    kr = use_keyring(MemoryKeyring())
    big = Credentials(creds.cookies, "UA", (CapturedHeader("x-statsig-id", Secret("x" * 2000), "/p"),), "test")
    saved = store.save(big, tmp_path / "credentials.json", store="auto", interactive=False)
    assert saved.store == "file" and "too large" in saved.note and not kr.data


def test_a_file_login_replaces_an_older_keyring_login(use_keyring, tmp_path, creds):
    kr = use_keyring(MemoryKeyring())
    path = tmp_path / "credentials.json"
    store.save(creds, path, store="keyring", interactive=False)
    store.save(creds, path, store="file", interactive=False)
    assert not kr.data and path.exists()


def test_delete_removes_keyring_and_file(use_keyring, tmp_path, creds):
    kr = use_keyring(MemoryKeyring())
    path = tmp_path / "credentials.json"
    kr.set_password(store.SERVICE, store.ACCOUNT, creds.to_json())
    store.write_private_file(path, creds.to_json())
    removed = store.delete(path, interactive=False)
    assert len(removed) == 2 and not kr.data and not path.exists()
    assert store.load(path, interactive=False) is None
    assert store.delete(path, interactive=False) == []


def test_a_locked_keyring_is_reported_not_taken_for_signed_out(use_keyring, tmp_path):
    use_keyring(LockedKeyring())
    with pytest.raises(AuthError, match="keyring could not be read") as e:
        store.load(tmp_path / "credentials.json", interactive=False)
    assert "--store file" in e.value.hint


def test_unreadable_file_is_an_auth_error_without_its_content(use_keyring, tmp_path):
    use_keyring(fail.Keyring())
    path = tmp_path / "credentials.json"
    path.write_text('{"cookies": {"sso": ""}, "SECRET-ISH": 1}')
    with pytest.raises(AuthError) as e:
        store.load(path, interactive=False)
    assert "SECRET-ISH" not in e.value.message
