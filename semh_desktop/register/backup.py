"""Backups that restore: a consistent encrypted copy of the database and its key slots.

Copying the .db file while the app is open loses whatever still sits in the -wal file; the
SQLite backup API copies one consistent snapshot instead, even while another process commits.
The copy is keyed with the same key (so every person's passphrase and the recovery key open
it), written under a temporary name, checked, and only then given its real name, so a full
disk or a crash never leaves a half backup that looks whole. The key-slot file travels with
it (`NAME.db.keys`), carrying the audit checkpoint of the moment of the backup.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from semh_desktop.core import keyslots
from semh_desktop.core.errors import StoreError
from semh_desktop.core.store import Store, check_file_shape, translate
from semh_desktop.register import access, audit

SUFFIX = ".db"


@dataclass(frozen=True)
class Backup:
    path: Path
    pupils: int
    size: int  # bytes


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _name(store: Store, folder: Path) -> Path:
    stem = store.path.stem if store.path else "semh"
    stamp = store.clock.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{stem}-backup-{stamp}{SUFFIX}"
    number = 2
    while target.exists() or keyslots.slot_path(target).exists():
        target = folder / f"{stem}-backup-{stamp}-{number}{SUFFIX}"
        number += 1
    return target


def _leftovers(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


@access.requires("backup")
def make_backup(store: Store, folder: Path) -> Backup:
    """Copy the open database, consistently, into `folder`; return where it went."""
    if store.path is None:
        raise StoreError("An in-memory database has nothing to back up.")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"The backup folder {folder} cannot be made ({exc.strerror}).") from None
    if not os.access(folder, os.W_OK):
        raise StoreError(f"The backup folder {folder} is read-only; choose another.")
    target = _name(store, folder)
    partial = target.with_name(target.name + ".part")
    # The checkpoint first, so the copied slot file vouches for every audit row in the copy.
    with contextlib.suppress(StoreError):
        audit.checkpoint(store)
    copy = None
    try:
        copy = sqlcipher3.connect(str(partial), isolation_level=None)
        copy.execute("PRAGMA cipher_log_level = NONE")
        copy.execute(f"PRAGMA key = {store.database_key().pragma_value()}")
        store.conn.backup(copy)  # one step: a single read snapshot of the whole file
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StoreError("The backup copy did not check out; nothing was kept. Try again.")
        pupils = int(copy.execute("SELECT count(*) FROM pupils").fetchone()[0])
        copy.execute("PRAGMA journal_mode = DELETE")
        copy.close()
        copy = None
        _fsync(partial)
        slots = keyslots.load(store.path)
        if slots is not None:
            keyslots.save(target, slots)
        os.replace(partial, target)
    except sqlcipher3.Error as exc:
        raise translate(exc) from None
    except OSError as exc:
        raise StoreError(
            f"The backup could not be written to {folder} ({exc.strerror or exc}); "
            "nothing was kept."
        ) from None
    finally:
        if copy is not None:
            with contextlib.suppress(sqlcipher3.Error):
                copy.close()
        for leftover in _leftovers(partial):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if not target.exists():
            with contextlib.suppress(OSError):
                keyslots.slot_path(target).unlink()
    with store.atomic():
        audit.record(store, "export", "backup", None, f"{pupils} pupils, {target.name}")
    return Backup(target, pupils, target.stat().st_size)


def restore_backup(backup: Path, db_path: Path) -> Path | None:
    """Put a backup (already opened and checked by the person) in place of the database.

    The database being replaced, if any, is moved aside (`NAME.db.before-restore`), never
    deleted; that name is returned. The caller has signed in to the backup, so its key and
    slots are known to work.
    """
    backup, db_path = Path(backup), Path(db_path)
    check_file_shape(backup)
    if backup.resolve() == db_path.resolve():
        raise StoreError("That is the database itself; choose a backup to restore.")
    moved: Path | None = None
    if db_path.exists():
        moved = db_path.with_name(db_path.name + ".before-restore")
        number = 2
        while moved.exists():
            moved = db_path.with_name(f"{db_path.name}.before-restore-{number}")
            number += 1
    partial = db_path.with_name(db_path.name + ".restoring")
    try:
        shutil.copyfile(backup, partial)
        _fsync(partial)
        if moved is not None:
            os.replace(db_path, moved)
            for companion in ("-wal", "-shm"):
                side = Path(f"{db_path}{companion}")
                if side.exists():
                    os.replace(side, Path(f"{moved}{companion}"))
            if keyslots.slot_path(db_path).exists():
                os.replace(keyslots.slot_path(db_path), keyslots.slot_path(moved))
        os.replace(partial, db_path)
        if keyslots.slot_path(backup).exists():
            shutil.copyfile(keyslots.slot_path(backup), keyslots.slot_path(db_path))
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise StoreError(
            f"The backup could not be restored ({exc.strerror or exc}). Nothing was changed"
            + (f"; the previous database is at {moved}." if moved and moved.exists() else ".")
        ) from None
    return moved
