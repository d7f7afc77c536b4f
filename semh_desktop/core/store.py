"""The encrypted store: one connection factory, migrations, and plain-English storage errors.

A database is a SQLCipher 4 file. The key is either a raw 256-bit key (kept in the OS keyring)
or a passphrase stretched by SQLCipher's own KDF. Nothing here writes to a file until the key
has been proven and the schema version accepted, so a refused file is left byte-for-byte as it was.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
import sqlite_utils
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from semh_desktop.core.changes import Journal
from semh_desktop.core.clock import Clock, SystemClock
from semh_desktop.core.errors import FileTooNew, Locked, NotADatabase, StoreError, WrongKey
from semh_desktop.core.keystore import DatabaseKey, Passphrase, RawKey
from semh_desktop.core.paths import MIGRATIONS_DIR
from semh_desktop.core.sealed import DraftRecipient

APPLICATION_ID = 0x53454D48  # 'SEMH' in the SQLite header marks the file as ours
PAGE_SIZE = 4096  # SQLCipher 4 default
PLAIN_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = re.match(r"^(\d{4})_[a-z0-9_]+\.sql$", path.name)
        if match:
            found.append(Migration(int(match.group(1)), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"Migrations in {directory} are not numbered 1..n: {versions}")
    return found


def latest_schema() -> int:
    return len(migrations())


@dataclass
class Store:
    """An open database: sqlite-utils on an encrypted connection, the clock, and who is acting."""

    db: sqlite_utils.Database
    path: Path | None
    clock: Clock = field(default_factory=SystemClock)
    staff_id: str | None = None  # the profile chosen at unlock; audit rows name it
    key_mode: str = "keyring"
    # The changes noted by the writes in progress (semh_desktop.core.changes.run).
    journal: Journal = field(default_factory=Journal, repr=False, compare=False)
    # The key of the audit trail's MAC chain, derived from the database key (random for an
    # in-memory store); never written anywhere.
    audit_key: bytes = field(
        default_factory=lambda: secrets.token_bytes(32), repr=False, compare=False
    )
    # Whoever signed in last: drafts of open dialogs are sealed to them when the window locks.
    draft_recipient: DraftRecipient | None = field(default=None, repr=False, compare=False)
    # Work to do once the outermost transaction has rolled back (a refusal's audit row must
    # survive the rollback of the write it refused).
    after_rollback: list[Callable[[], None]] = field(
        default_factory=list, repr=False, compare=False
    )
    # How to make another connection to the same database (the path and key, kept privately so
    # a worker thread can open its own: a connection belongs to the thread that made it).
    _connect_again: Callable[[], Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # The key the file was opened with: staff management wraps it into new key slots.
    _key: DatabaseKey | None = field(default=None, init=False, repr=False, compare=False)
    # How this session was opened: "passphrase" (a key slot) or "recovery".
    opened_by: str = field(default="passphrase", repr=False, compare=False)
    # Set when opening converted an older database to key slots: its new recovery key, for
    # the command line to show once.
    converted_recovery_key: str | None = field(default=None, repr=False, compare=False)

    def database_key(self) -> RawKey:
        """The raw key (for wrapping into a new key slot); only while the store is open."""
        if not isinstance(self._key, RawKey):
            raise StoreError("This database is not open with its own key.")
        return self._key

    @property
    def conn(self) -> Any:
        return self.db.conn

    @property
    def is_open(self) -> bool:
        return not isinstance(self.db, _ClosedDatabase)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """All or nothing: several writes in one transaction (savepoints when nested)."""
        outermost = not self.conn.in_transaction
        try:
            if outermost:
                # The write lock from the start: a transaction that reads before it writes
                # (every audit row reads the last seal) would otherwise fail at once when
                # another connection committed in between, whatever the busy timeout.
                self.conn.execute("BEGIN IMMEDIATE")
            try:
                with self.db.atomic() as db:  # a savepoint inside our transaction
                    yield db
                if outermost:
                    self.conn.execute("COMMIT")
            except BaseException:
                if outermost and self.conn.in_transaction:
                    with contextlib.suppress(sqlcipher3.Error):
                        self.conn.execute("ROLLBACK")
                raise
        except sqlcipher3.DatabaseError as exc:
            self._run_after_rollback(outermost)
            raise translate(exc) from exc
        except BaseException:
            self._run_after_rollback(outermost)
            raise

    def _run_after_rollback(self, outermost: bool) -> None:
        if not outermost:
            return
        pending, self.after_rollback[:] = list(self.after_rollback), []
        for work in pending:
            with contextlib.suppress(Exception):
                work()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def open_again(self) -> Store:
        """A new connection to the same database (same key, pragmas, clock and acting staff).

        For work on another thread: a row the window writes on its own connection while the
        worker's transaction is open then stays out of that transaction, and survives when the
        worker rolls back.
        """
        if self._connect_again is None:
            raise StoreError("This database cannot be opened a second time.")
        again = Store(
            sqlite_utils.Database(self._connect_again()),
            self.path,
            clock=self.clock,
            staff_id=self.staff_id,
            key_mode=self.key_mode,
            audit_key=self.audit_key,
        )
        again._connect_again = self._connect_again
        again._key = self._key
        again.opened_by = self.opened_by
        return again

    def close(self) -> None:
        if not self.is_open:
            return
        with contextlib.suppress(sqlcipher3.Error):
            self.conn.close()

    def suspend(self) -> None:
        """Close the connection and forget the key (locking).

        Nothing can be read until a sign-in gives the key again (`take_over`). The Store
        object itself stays, so every screen that holds it finds it open again after sign-in.
        """
        self.close()
        self.db = _ClosedDatabase()  # type: ignore[assignment]
        self._connect_again = None
        self._key = None
        self.audit_key = b""
        self.draft_recipient = None

    def take_over(self, fresh: Store) -> None:
        """Move a freshly opened store's connection and session into this (suspended) one.

        After a lock the window keeps one Store object that every screen holds; signing in
        opens a new one, whose connection, key and signed-in person move in here.
        """
        self.db = fresh.db
        self._connect_again = fresh._connect_again
        self._key = fresh._key
        self.audit_key = fresh.audit_key
        self.staff_id = fresh.staff_id
        self.draft_recipient = fresh.draft_recipient
        self.opened_by = fresh.opened_by


class _ClosedDatabase:
    """Stands in for the connection while the window is locked: every use says so plainly."""

    def __getattr__(self, name: str) -> Any:
        raise Locked("SEMH Desktop is locked: sign in again to see or change records.")


def audit_key_for(key: DatabaseKey) -> bytes:
    """The audit chain's MAC key: derived from the database key, so only its holder can seal."""
    material = key.key if isinstance(key, RawKey) else key.text.encode("utf-8")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"semh-desktop audit chain v1"
    ).derive(material)


def new_id() -> str:
    return str(uuid.uuid4())


def translate(exc: Exception) -> StoreError:
    """sqlcipher3 raises its own exception classes; turn them into messages a person can act on."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StoreError(
            "The disk is full, so the change was not saved. Free some space and try again."
        )
    if "readonly" in text or "read-only" in text:
        return StoreError("The database file is read-only, so the change was not saved.")
    if "locked" in text or "busy" in text:
        return StoreError(
            "The database is busy in another window or program. Try again in a moment."
        )
    if "malformed" in text or "not a database" in text:
        return NotADatabase(
            "The database file is damaged. Nothing was changed; restore it from a backup."
        )
    return StoreError(f"The database reported a problem: {exc}")


def check_file_shape(path: Path) -> None:
    """Refuse files that cannot be a SQLCipher database before touching them with a key."""
    if not path.exists():
        raise NotADatabase(f"There is no database at {path}.")
    if path.is_dir():
        raise NotADatabase(f"{path} is a folder, not a database file.")
    size = path.stat().st_size
    if size == 0:
        raise NotADatabase(f"{path.name} is empty: it is not a SEMH Desktop database.")
    with path.open("rb") as handle:
        header = handle.read(len(PLAIN_SQLITE_HEADER))
    if header == PLAIN_SQLITE_HEADER:
        raise NotADatabase(
            f"{path.name} is an ordinary unencrypted SQLite file, not a SEMH Desktop database."
        )
    if size % PAGE_SIZE:
        raise NotADatabase(
            f"{path.name} is damaged (cut short) or is not a SEMH Desktop database. "
            "Nothing was changed; restore it from a backup."
        )


def _connect(path: Path, key: DatabaseKey, *, create: bool) -> Any:
    uri = f"file:{path.as_posix()}?mode={'rwc' if create else 'rw'}"
    try:
        conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
    except sqlcipher3.Error as exc:
        raise StoreError(f"The database file could not be opened: {exc}") from exc
    # SQLCipher's own log goes to stderr by default; a refused key is reported in our words.
    conn.execute("PRAGMA cipher_log_level = NONE")
    # The key must be the first statement that touches the file.
    conn.execute(f"PRAGMA key = {key.pragma_value()}")
    conn.execute("PRAGMA cipher_memory_security = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _prove_key(conn: Any, path: Path, key: DatabaseKey) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        if "malformed" in str(exc):
            # The first page decrypted, so the key is right: the rest of the file is missing.
            raise NotADatabase(
                f"{path.name} is damaged (perhaps cut short when it was copied). "
                "Nothing was changed; restore it from a backup."
            ) from None
        what = "passphrase" if isinstance(key, Passphrase) else "key"
        raise WrongKey(
            f"The {what} does not open {path.name}. Check it and try again; if it is right, "
            "the file may be damaged or not a SEMH Desktop database. Nothing was changed."
        ) from None


def _check_integrity(conn: Any, path: Path) -> None:
    try:
        result = conn.execute("PRAGMA quick_check").fetchall()
    except sqlcipher3.DatabaseError:
        result = [("error",)]
    if result != [("ok",)]:
        conn.close()
        raise NotADatabase(
            f"{path.name} is damaged (perhaps cut short when it was copied). "
            "Nothing was changed; restore it from a backup."
        )


def backup_before_migration(conn: Any, path: Path, version: int, clock: Clock) -> Path:
    """Copy the (still encrypted) file before a migration runs, so an upgrade can be undone."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.schema{version}-{stamp}.bak")
    shutil.copy2(path, target)
    return target


def migrate(conn: Any, clock: Clock) -> int:
    """Apply pending migrations, each in its own transaction; return the new version."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    pending = [m for m in migrations() if m.version > current]
    for migration in pending:
        script = f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            conn.executescript(script)
        except sqlcipher3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"Upgrading the database to schema {migration.version} failed ({exc}); "
                "it was left at the previous version."
            ) from exc
        current = migration.version
    return current


def open_store(
    path: Path,
    key: DatabaseKey,
    *,
    clock: Clock | None = None,
    key_mode: str | None = None,
) -> Store:
    """Open an existing database, proving the key before anything is written."""
    path = Path(path)
    check_file_shape(path)
    conn = _connect(path, key, create=False)
    _prove_key(conn, path, key)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if version == 0 or app_id != APPLICATION_ID:
        conn.close()
        raise NotADatabase(f"{path.name} is an encrypted database, but not a SEMH Desktop one.")
    latest = latest_schema()
    if version > latest:
        conn.close()
        raise FileTooNew(
            f"{path.name} was saved by a newer version of SEMH Desktop (schema {version}; this "
            f"version understands up to {latest}). Install the latest version to open it."
        )
    _check_integrity(conn, path)
    clock = clock or SystemClock()
    if version < latest:
        # Copy the file as it is, before anything (even the switch to WAL) writes to it.
        backup_before_migration(conn, path, version, clock)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn, clock)
    mode = key_mode or ("passphrase" if isinstance(key, Passphrase) else "slots")
    store = Store(sqlite_utils.Database(conn), path, clock, key_mode=mode)
    store.audit_key = audit_key_for(key)
    store._key = key
    store._connect_again = functools.partial(_connect, path, key, create=False)
    return store


def create_store(path: Path, key: DatabaseKey, *, clock: Clock | None = None) -> Store:
    """Make a new encrypted database at `path` (which must not exist yet) at the latest schema."""
    path = Path(path)
    if path.exists():
        raise StoreError(f"{path} already exists; choose another name or open it instead.")
    if not path.parent.exists():
        path.parent.mkdir(parents=True)
    conn = _connect(path, key, create=True)
    conn.execute("PRAGMA journal_mode = WAL")
    clock = clock or SystemClock()
    migrate(conn, clock)
    mode = "passphrase" if isinstance(key, Passphrase) else "slots"
    store = Store(sqlite_utils.Database(conn), path, clock, key_mode=mode)
    store.audit_key = audit_key_for(key)
    store._key = key
    store._connect_again = functools.partial(_connect, path, key, create=False)
    return store


def open_memory_store(clock: Clock | None = None) -> Store:
    """An unencrypted in-memory store for fast domain tests (never used for real data).

    A named shared-cache database, so that `open_again` can give a worker thread its own
    connection to it (it lives while any connection to it is open).
    """
    uri = f"file:semh-memory-{uuid.uuid4().hex}?mode=memory&cache=shared"
    conn = _connect_memory(uri)
    migrate(conn, clock or SystemClock())
    store = Store(sqlite_utils.Database(conn), None, clock or SystemClock(), key_mode="memory")
    store._connect_again = functools.partial(_connect_memory, uri)
    return store


def _connect_memory(uri: str) -> Any:
    conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
