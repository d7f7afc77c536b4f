"""Database keys: random raw keys, their printable recovery form, and the OS keyring.

The keyring no longer opens a database (each person's key slot does, see keyslots.py); it
holds older databases' keys until they convert, and remembers which profile last signed in on
this laptop. One small wrapper around `keyring` so that tests can hand in an in-memory
backend and the rest of the code never touches keyring directly.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors

from semh_desktop.core.errors import KeyMissing, StoreError, ValidationError

SERVICE = "semh-desktop"
KEY_BYTES = 32  # 256-bit raw SQLCipher key


@dataclass(frozen=True)
class RawKey:
    """A 256-bit key used by SQLCipher as it is (no key derivation)."""

    key: bytes

    def pragma_value(self) -> str:
        return f"\"x'{self.key.hex()}'\""


@dataclass(frozen=True)
class Passphrase:
    """A passphrase stretched by SQLCipher's own KDF: any SQLCipher 4 tool opens the file."""

    text: str

    def pragma_value(self) -> str:
        return "'" + self.text.replace("'", "''") + "'"


DatabaseKey = RawKey | Passphrase


def new_raw_key() -> RawKey:
    return RawKey(secrets.token_bytes(KEY_BYTES))


def keyring_account(db_path: Path) -> str:
    """One keyring entry per database file, named by its absolute path."""
    return str(Path(db_path).expanduser().resolve())


# Recovery keys are base32 (no 0/1/8/9 look-alikes to confuse) in groups of four, with a
# two-character check so that a mistyped key is caught before it is tried on the file.
_GROUP = 4


def _checksum(key: bytes) -> str:
    total = sum((i + 1) * b for i, b in enumerate(key)) % (32 * 32)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return alphabet[total // 32] + alphabet[total % 32]


def recovery_key(key: RawKey) -> str:
    """The grouped, printable form of a raw key, shown once when a database is created."""
    body = base64.b32encode(key.key).decode("ascii").rstrip("=") + _checksum(key.key)
    return "-".join(body[i : i + _GROUP] for i in range(0, len(body), _GROUP))


def parse_recovery_key(text: str) -> RawKey:
    cleaned = re.sub(r"[\s\-]", "", text).upper()
    message = (
        "That is not a valid recovery key. Type all the groups of letters and digits "
        "exactly as printed (spaces and dashes do not matter)."
    )
    if len(cleaned) != 54:
        raise ValidationError(message, field="recovery_key")
    body, check = cleaned[:52], cleaned[52:]
    try:
        key = base64.b32decode(body + "====")
    except ValueError:
        raise ValidationError(message, field="recovery_key") from None
    if len(key) != KEY_BYTES or _checksum(key) != check:
        raise ValidationError(message, field="recovery_key")
    return RawKey(key)


def passphrase_from_env(variable: str) -> Passphrase:
    value = os.environ.get(variable)
    if not value:
        raise StoreError(f"The environment variable {variable} is not set or is empty.")
    return Passphrase(value)


class KeyStore:
    """Stores each database's raw key in the OS keyring (service 'semh-desktop')."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def available(self) -> bool:
        """False where no usable backend exists (the 'fail' or a plaintext backend)."""
        backend = self.backend
        module = type(backend).__module__
        if module.startswith(("keyring.backends.fail", "keyrings.alt")):
            return False
        try:
            return float(backend.priority) > 0
        except Exception:
            return False

    def save(self, db_path: Path, key: RawKey) -> None:
        try:
            self.backend.set_password(SERVICE, keyring_account(db_path), key.key.hex())
        except keyring.errors.KeyringError as exc:
            raise StoreError(
                "The system keyring would not store the database key. "
                "Create the database in passphrase mode instead."
            ) from exc

    def load(self, db_path: Path) -> RawKey:
        try:
            stored = self.backend.get_password(SERVICE, keyring_account(db_path))
        except keyring.errors.KeyringError as exc:
            raise KeyMissing(
                "The system keyring could not be read. Unlock it, or open the database "
                "with its recovery key."
            ) from exc
        if not stored:
            raise KeyMissing(
                "This computer's keyring has no key for this database (for example after a new "
                "laptop image or under another user account). Open it with its recovery key."
            )
        try:
            return RawKey(bytes.fromhex(stored))
        except ValueError:
            raise KeyMissing(
                "The key stored in the keyring for this database is damaged. "
                "Open it with its recovery key."
            ) from None

    def forget(self, db_path: Path) -> None:
        """Remove an older database's key (key slots open it now; the keyring must not)."""
        with contextlib.suppress(keyring.errors.KeyringError):
            self.backend.delete_password(SERVICE, keyring_account(db_path))

    # Which profile last signed in on this laptop: not a secret, only a convenience for the
    # sign-in screen, so failures to read or write it are ignored.

    def remember_profile(self, db_path: Path, staff_id: str) -> None:
        with contextlib.suppress(Exception):
            self.backend.set_password(SERVICE, _profile_account(db_path), staff_id)

    def last_profile(self, db_path: Path) -> str | None:
        try:
            found = self.backend.get_password(SERVICE, _profile_account(db_path))
        except Exception:
            return None
        return str(found) if found else None


def _profile_account(db_path: Path) -> str:
    return keyring_account(db_path) + "#last-profile"
