"""Creating a database with its first SENCO, and opening one as a member of staff.

A database is born with its first staff profile (every action is someone's), so creating
one lives with the register rather than in `core`. Every database has a random 256-bit key;
each person opens it with their own passphrase (a key slot), or anyone with the recovery key.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core import keyslots
from semh_desktop.core.clock import Clock
from semh_desktop.core.errors import StoreError, WrongKey
from semh_desktop.core.keystore import KeyStore, Passphrase, RawKey, new_raw_key, recovery_key
from semh_desktop.core.store import Store, check_file_shape, create_store
from semh_desktop.register import sign_in
from semh_desktop.register import staff as staff_profiles


@dataclass
class NewDatabase:
    store: Store
    first_staff: staff_profiles.Staff
    recovery_key: str  # shown once


def create_database(
    path: Path,
    *,
    staff_name: str,
    role: str = "senco",
    passphrase: Passphrase | None = None,
    keystore: KeyStore | None = None,
    clock: Clock | None = None,
    demo: bool = False,
) -> NewDatabase:
    """A new encrypted database, its first SENCO signed in with `passphrase`, and its slots.

    The file is keyed with a new random key; the recovery key (its printable form) is
    returned to show once. `keystore` is accepted for older callers and not used: the OS
    keyring no longer opens a database on its own. Only the fictional demo school (`demo`)
    may have a short, published passphrase.
    """
    del keystore
    path = Path(path)
    if passphrase is None:
        raise StoreError("Choose a passphrase for the first SENCO's profile.")
    if not demo:
        sign_in.check_new_passphrase(passphrase.text)
    elif not passphrase.text:
        raise StoreError("The passphrase cannot be empty.")
    if path.exists() or keyslots.slot_path(path).exists():
        raise StoreError(f"{path} already exists; choose another name or open it instead.")
    key = new_raw_key()
    store = create_store(path, key, clock=clock)
    try:
        first = staff_profiles.add_staff(
            store, staff_name, role, passphrase.text, must_change=False
        )
    except BaseException:
        store.close()
        for leftover in (
            path,
            Path(f"{path}-wal"),
            Path(f"{path}-shm"),
            keyslots.slot_path(path),
        ):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    staff_profiles.act_as(store, first)
    return NewDatabase(store, first, recovery_key(key))


def open_database(
    path: Path,
    *,
    passphrase: Passphrase | None = None,
    recovery: RawKey | None = None,
    staff_name: str | None = None,
    keystore: KeyStore | None = None,
    clock: Clock | None = None,
) -> Store:
    """Open as a member of staff: the named profile, or the first whose slot opens.

    With the recovery key the named profile (default: the first SENCO) acts. An older
    database without key slots is converted on the way: the acting profile's passphrase
    becomes the one given (passphrase mode), and `converted_recovery_key` on the returned
    store holds the new recovery key to show once.
    """
    path = Path(path)
    check_file_shape(path)
    if recovery is not None:
        staff_id = None
        if staff_name is not None:
            found = [
                p for p in sign_in.profiles(path) if p.name.casefold() == staff_name.casefold()
            ]
            staff_id = found[0].staff_id if found else None
        signed = sign_in.sign_in_with_recovery_key(path, recovery, staff_id, clock=clock)
        if staff_name is not None and staff_id is None:
            # No slot by that name (a lost slot file): find the profile inside the database.
            person = staff_profiles.find_staff(signed.store, staff_name)
            staff_profiles.act_as(signed.store, person)
        return signed.store
    if passphrase is None:
        raise StoreError(
            "Give your passphrase (--passphrase-env VAR) or the recovery key "
            "(--recovery-key-env VAR) to open the database."
        )
    if sign_in.needs_conversion(path):
        return _convert_on_open(path, passphrase, staff_name, keystore, clock)
    return sign_in.sign_in_any(path, passphrase.text, staff_name=staff_name, clock=clock).store


def _convert_on_open(
    path: Path,
    passphrase: Passphrase,
    staff_name: str | None,
    keystore: KeyStore | None,
    clock: Clock | None,
) -> Store:
    """An older file: its passphrase-mode key, or its key in the OS keyring, opens it once."""
    keystore = keystore or KeyStore()
    legacy: Passphrase | RawKey = passphrase
    try:
        profiles = sign_in.legacy_staff(path, legacy)
    except WrongKey as refused:
        # A keyring-mode file: its key is in this computer's keyring (if anywhere).
        try:
            legacy = keystore.load(path)
        except StoreError:
            raise WrongKey(
                f"The passphrase does not open {path.name}, and there is no key-slot file "
                f"({keyslots.slot_path(path).name}) beside it. If the database was copied or "
                "moved, copy its .keys file with it; otherwise open it with the recovery key."
            ) from refused
        profiles = sign_in.legacy_staff(path, legacy)
    if staff_name is not None:
        wanted = " ".join(staff_name.split()).casefold()
        chosen = next((p for p in profiles if p.name.casefold() == wanted), None)
        if chosen is None:
            raise StoreError(f"There is no staff profile called '{staff_name}'.")
    else:
        chosen = next((p for p in profiles if p.role == "senco"), profiles[0] if profiles else None)
        if chosen is None:
            raise StoreError("This database has no staff profiles.")
    converted = sign_in.convert(
        path, legacy, chosen.id, passphrase.text, keystore=keystore, clock=clock
    )
    store = converted.signed_in.store
    store.converted_recovery_key = converted.recovery_key
    return store
