"""Creating and opening a database with the right key: keyring, passphrase, or recovery key.

A database is born with its first staff profile (every action is someone's), so creating
one lives with the register rather than in `core`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core.clock import Clock
from semh_desktop.core.errors import StoreError
from semh_desktop.core.keystore import KeyStore, Passphrase, RawKey, new_raw_key, recovery_key
from semh_desktop.core.store import Store, check_file_shape, create_store, open_store
from semh_desktop.register import staff as staff_profiles


@dataclass
class NewDatabase:
    store: Store
    first_staff: staff_profiles.Staff
    recovery_key: str | None  # shown once, in keyring mode only


def create_database(
    path: Path,
    *,
    staff_name: str,
    role: str = "senco",
    passphrase: Passphrase | None = None,
    keystore: KeyStore | None = None,
    clock: Clock | None = None,
) -> NewDatabase:
    """A new encrypted database and its first staff profile.

    Keyring mode (the default) stores a random 256-bit key in the OS keyring and returns a
    recovery key to show once; passphrase mode keys the file with the passphrase alone.
    """
    path = Path(path)
    if passphrase is None:
        keystore = keystore or KeyStore()
        if not keystore.available():
            raise StoreError(
                "This computer has no usable system keyring, so the key cannot be kept safely. "
                "Create the database with a passphrase instead."
            )
        key = new_raw_key()
        if path.exists():
            raise StoreError(f"{path} already exists; choose another name or open it instead.")
        keystore.save(path, key)
        try:
            store = create_store(path, key, clock=clock)
        except BaseException:
            keystore.forget(path)
            raise
        shown: str | None = recovery_key(key)
    else:
        if not passphrase.text.strip():
            raise StoreError("The passphrase cannot be empty.")
        store = create_store(path, passphrase, clock=clock)
        shown = None
    try:
        first = staff_profiles.add_staff(store, staff_name, role)
    except BaseException:
        store.close()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        if keystore is not None and passphrase is None:
            keystore.forget(path)
        raise
    store.staff_id = first.id
    return NewDatabase(store, first, shown)


def open_database(
    path: Path,
    *,
    passphrase: Passphrase | None = None,
    recovery: RawKey | None = None,
    keystore: KeyStore | None = None,
    clock: Clock | None = None,
) -> Store:
    """Open with a passphrase, a recovery key, or (by default) the key in the OS keyring.

    A database opened with its recovery key has the key put back into this computer's keyring,
    so the next opening needs nothing typed.
    """
    # A damaged or foreign file is named as such before anyone is asked for a key.
    check_file_shape(Path(path))
    if passphrase is not None:
        return open_store(path, passphrase, clock=clock)
    keystore = keystore or KeyStore()
    if recovery is not None:
        store = open_store(path, recovery, clock=clock, key_mode="keyring")
        with contextlib.suppress(StoreError):
            if keystore.available():
                keystore.save(path, recovery)
        return store
    return open_store(path, keystore.load(path), clock=clock, key_mode="keyring")
