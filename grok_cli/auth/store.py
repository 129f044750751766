"""The credential store: the OS keyring, or a 0600 file where no usable keyring exists.

A keyring can be missing (no D-Bus in cron), locked, or one that asks for a password; none of
them may block a run without a terminal. keyring is imported only when it is needed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from grok_cli.auth.credentials import Credentials
from grok_cli.errors import AuthError
from grok_cli.files import write_private_file

SERVICE = "grok-cli"
ACCOUNT = "grok.com"
# Windows Credential Manager stores at most 2560 bytes of UTF-16; stay well below.
KEYRING_MAX_CHARS = 1200
# Backends that ask for a master password through getpass(), which blocks or fails without a TTY.
_PROMPTING_BACKENDS = ("keyrings.alt.file", "keyrings.cryptfile")


@dataclass(frozen=True, slots=True)
class Stored:
    credentials: Credentials
    store: str  # "keyring" or "file"
    location: str
    note: str = ""  # why the file was used when the keyring was wanted


def _usable_keyring(interactive: bool):  # -> keyring backend or None
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop grok
        return None
    inner = getattr(backend, "backends", None) or [backend]
    if all(isinstance(b, (fail.Keyring, null.Keyring)) for b in inner):
        return None
    if not interactive and any(type(b).__module__.startswith(_PROMPTING_BACKENDS) for b in inner):
        return None
    return backend


def load(credentials_file: Path, *, interactive: bool) -> Stored | None:
    if credentials_file.exists():
        try:
            creds = Credentials.from_json(credentials_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError, AuthError):
            raise AuthError(
                f"The stored credentials in {credentials_file} are unreadable.",
                "Run `grok logout` and then `grok login`.",
            ) from None
        return Stored(creds, "file", str(credentials_file))
    backend = _usable_keyring(interactive)
    if backend is None:
        return None
    try:
        text = backend.get_password(SERVICE, ACCOUNT)
    except Exception as e:  # locked, D-Bus gone, misconfigured
        raise AuthError(
            f"The keyring could not be read ({type(e).__name__}).",
            "Unlock it, or set GROK_COOKIE for this run, or store the login in a file: "
            "grok login --store file.",
        ) from None
    if not text:
        return None
    try:
        creds = Credentials.from_json(text)
    except (ValueError, KeyError, TypeError, AuthError):
        raise AuthError(
            "The credentials stored in the keyring are unreadable.", "Run `grok logout` and then `grok login`."
        ) from None
    return Stored(creds, "keyring", f"keyring service {SERVICE!r}")


def save(creds: Credentials, credentials_file: Path, *, store: str, interactive: bool) -> Stored:
    """Save to ``store`` ("keyring", "file" or "auto"); returns where it went."""
    text = creds.to_json()
    reason = ""
    if store in ("keyring", "auto"):
        backend = _usable_keyring(interactive)
        reason = "there is no usable keyring" if backend is None else ""
        if backend is not None and len(text) > KEYRING_MAX_CHARS:
            backend, reason = None, "the credentials are too large for every keyring"
        if backend is not None:
            try:
                backend.set_password(SERVICE, ACCOUNT, text)
            # Windows raises pywintypes.error, not a KeyringError, for oversized secrets.
            except Exception as e:
                reason = f"the keyring refused them ({type(e).__name__})"
            else:
                with contextlib.suppress(FileNotFoundError):
                    credentials_file.unlink()
                return Stored(creds, "keyring", f"keyring service {SERVICE!r}")
        if store == "keyring":
            raise AuthError(f"Cannot store the credentials in the keyring: {reason}.", "Use --store file.")
    write_private_file(credentials_file, text)
    _forget_keyring_entry(interactive)  # an older keyring login must not outlive this one
    return Stored(creds, "file", str(credentials_file), reason)


def _forget_keyring_entry(interactive: bool) -> bool:
    backend = _usable_keyring(interactive)
    if backend is None:
        return False
    try:
        if not backend.get_password(SERVICE, ACCOUNT):
            return False
        backend.delete_password(SERVICE, ACCOUNT)
    except Exception:  # a keyring that cannot be read holds nothing grok can remove
        return False
    return True


def delete(credentials_file: Path, *, interactive: bool) -> list[str]:
    """Remove stored credentials everywhere; returns the places they were removed from."""
    removed = []
    if credentials_file.exists():
        try:
            credentials_file.unlink()
        except OSError as e:
            raise AuthError(f"Cannot remove {credentials_file}: {e.strerror}.", "Remove the file by hand.") from None
        removed.append(str(credentials_file))
    if _forget_keyring_entry(interactive):
        removed.append(f"keyring service {SERVICE!r}")
    return removed
