"""The one domain error type, with messages a person can read."""

from __future__ import annotations


class SemhError(Exception):
    """An error whose message can be shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field to show the message next to, if any

    def __str__(self) -> str:
        return self.message


class ValidationError(SemhError):
    """Input that breaks a rule; nothing was stored."""


class NotFound(SemhError):
    """A record that does not exist (or is archived where that matters)."""


class StoreError(SemhError):
    """The database file cannot be opened or used."""


class WrongKey(StoreError):
    """The key or passphrase does not open the file."""


class KeyMissing(StoreError):
    """No key for this database in the system keyring."""


class NotADatabase(StoreError):
    """The file is not a SEMH Desktop database, or is damaged."""


class FileTooNew(StoreError):
    """The database was written by a newer version of the app."""


class NotAllowed(SemhError):
    """The signed-in profile's role does not allow this; nothing was stored."""


class SignInRefused(StoreError):
    """A sign-in that did not succeed: a wrong passphrase, or too many tries too quickly."""

    def __init__(self, message: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message, field="passphrase")
        self.retry_after = retry_after  # seconds before another try is accepted (0: now)


class Locked(StoreError):
    """The database is closed because the window is locked."""
