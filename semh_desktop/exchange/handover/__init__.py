"""Encrypted handover bundles: pupils' records and history, from one installation to another.

A school sends a pupil's file to an outreach team (or the team hands it back, or the pupil moves
school) as one file encrypted with a passphrase the sender types. The receiving installation
adds new pupils and merges the ones it already has (same UUID, or same UPN under another UUID),
without duplicates; records changed on both sides since the two last exchanged them are listed
as conflicts for the person importing to decide, and nothing is applied to a conflicting record
until they do.

What goes in a bundle is discovered from the schema, not listed here, because every feature adds
tables: a table is *pupil-linked* when it has a TEXT `id` key (either the primary key, or a
UNIQUE column beside an INTEGER `seq` primary key) and a foreign key to `pupils` or to another
pupil-linked table (scores -> case_reviews -> cases -> pupils). The rows those tables point at
outside that set (staff profiles, graduated-response template versions) travel as *reference*
rows: added if missing, never changed. `audit`, `settings` and `handover_sync` stay local.

File format (all integers big-endian)::

    magic        8 bytes  b"SEMHBNDL"
    version      uint16   FORMAT_VERSION
    kdf          uint8    1 = scrypt, 2 = Argon2id
    kdf params   3 x uint32  scrypt: log2(n), r, p; Argon2id: memory KiB, iterations, lanes
    cipher       uint8    1 = AES-256-GCM
    salt         16 bytes
    nonce        12 bytes
    key check    16 bytes HMAC-SHA256(check key, CHECK_LABEL), first 16 bytes
    checksum     8 bytes  SHA-256 of the 76 bytes above, first 8 (tells damage from a wrong
                          passphrase; the AEAD tag below is what protects the content)
    ciphertext   AES-256-GCM(zlib(JSON payload)), the 84-byte header as associated data

The KDF gives 64 bytes: the first 32 are the AES key, the last 32 the key-check key. The JSON
payload is described in `_payload()`.

Merge rule for a record that exists on both sides (the `handover_sync` table remembers, per
record, the content hash of every version this installation has exchanged; the bundle lists,
per record, the versions the sender has exchanged): equal -> nothing to do; the incoming version
was exchanged here before -> nothing new from them, keep ours; our version is one the sender has
already seen -> only they changed it, take theirs; otherwise both changed it -> a conflict.
History rows (tables whose rows can never be updated) are only ever added: two sides that both
appended to the same history since they last exchanged it (both re-worded a target, both
revised an APDR cycle) make a conflict too; "take theirs" then appends theirs as the newest,
keeping ours in the history, and "keep mine" declines theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import struct
import tempfile
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from semh_desktop import __version__
from semh_desktop.core.errors import NotFound, SemhError, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.register import audit

Progress = Callable[[int, int], None]

# --- errors ------------------------------------------------------------------------------


class HandoverError(SemhError):
    """A bundle that cannot be read or used; nothing was imported."""


class WrongBundlePassphrase(HandoverError):
    """The passphrase typed does not open the bundle."""


class DamagedBundle(HandoverError):
    """The file is not a bundle, or was changed or cut short after it was made."""


NOTHING_IMPORTED = "Nothing was imported."
DAMAGED = (
    "The bundle is damaged (changed or cut short since it was made), so it cannot be "
    f"imported. {NOTHING_IMPORTED} Ask the sender for a new copy."
)

# --- the encrypted file ----------------------------------------------------------------------

MAGIC = b"SEMHBNDL"
FORMAT_VERSION = 1
BUNDLE_SUFFIX = ".semhbundle"
CHECK_LABEL = b"SEMH Desktop handover bundle key check"
KDF_IDS = {"scrypt": 1, "argon2id": 2}
CIPHER_AES256_GCM = 1
_FIELDS = struct.Struct(">8sHBIIIB16s12s16s")
_CHECKSUM_BYTES = 8
HEADER_BYTES = _FIELDS.size + _CHECKSUM_BYTES
MIN_PASSPHRASE = 10
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class KdfParams:
    """How the passphrase is stretched into a key (stored in the header of each bundle).

    Argon2id: `cost` is memory in KiB, `rounds` iterations, `lanes` parallelism.
    scrypt: `cost` is log2(n), `rounds` the block size r, `lanes` parallelism p.
    """

    algorithm: str
    cost: int
    rounds: int
    lanes: int

    def check_limits(self) -> None:
        """Refuse parameters a damaged or hostile header could use to exhaust memory or time."""
        if self.algorithm == "argon2id":
            ok = (
                8 * self.lanes <= self.cost <= 1024 * 1024
                and 1 <= self.rounds <= 16
                and 1 <= self.lanes <= 16
            )
        elif self.algorithm == "scrypt":
            ok = (
                1 <= self.cost <= 20
                and 1 <= self.rounds <= 32
                and 1 <= self.lanes <= 16
                and 128 * self.rounds * (2**self.cost) <= 1024 * 1024 * 1024
            )
        else:
            ok = False
        if not ok:
            raise DamagedBundle(DAMAGED)

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        if self.algorithm == "argon2id":
            return Argon2id(
                salt=salt,
                length=64,
                iterations=self.rounds,
                lanes=self.lanes,
                memory_cost=self.cost,
            ).derive(secret)
        return Scrypt(salt=salt, length=64, n=2**self.cost, r=self.rounds, p=self.lanes).derive(
            secret
        )


# Memory-hard by design: 64 MiB Argon2id (RFC 9106's second recommendation lowered to a school
# laptop), or scrypt with n = 2**17 (128 MiB) where Argon2id is not available.
ARGON2ID_DEFAULT = KdfParams("argon2id", 64 * 1024, 3, 4)
SCRYPT_DEFAULT = KdfParams("scrypt", 17, 8, 1)


def _argon2_available() -> bool:
    try:
        Argon2id(salt=b"0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
    except UnsupportedAlgorithm:
        return False
    return True


def default_kdf() -> KdfParams:
    return ARGON2ID_DEFAULT if _argon2_available() else SCRYPT_DEFAULT


def check_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    """The rules for a bundle's passphrase, with a message to show next to the field."""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise ValidationError(
            f"Use a passphrase of at least {MIN_PASSPHRASE} characters; three or four words "
            "are easy to type and hard to guess.",
            field="passphrase",
        )
    if confirmation is not None and confirmation != passphrase:
        raise ValidationError("The two passphrases are not the same.", field="confirm")


def _key_check(check_key: bytes) -> bytes:
    return hmac.new(check_key, CHECK_LABEL, hashlib.sha256).digest()[:16]


def seal(payload: bytes, passphrase: str, kdf: KdfParams) -> bytes:
    """Compress and encrypt a payload into bundle bytes (header + ciphertext)."""
    kdf.check_limits()
    salt, nonce = os.urandom(16), os.urandom(12)
    key = kdf.derive(passphrase, salt)
    fields = _FIELDS.pack(
        MAGIC,
        FORMAT_VERSION,
        KDF_IDS[kdf.algorithm],
        kdf.cost,
        kdf.rounds,
        kdf.lanes,
        CIPHER_AES256_GCM,
        salt,
        nonce,
        _key_check(key[32:]),
    )
    header = fields + hashlib.sha256(fields).digest()[:_CHECKSUM_BYTES]
    ciphertext = AESGCM(key[:32]).encrypt(nonce, zlib.compress(payload, 6), header)
    return header + ciphertext


def unseal(data: bytes, passphrase: str) -> bytes:
    """Check, decrypt and decompress bundle bytes; plain-English errors, nothing else touched."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(data[: len(MAGIC)]) and data:
            raise DamagedBundle(DAMAGED)
        raise DamagedBundle(f"This file is not a SEMH Desktop handover bundle. {NOTHING_IMPORTED}")
    if len(data) < HEADER_BYTES + 16:
        raise DamagedBundle(DAMAGED)
    fields, checksum = data[: _FIELDS.size], data[_FIELDS.size : HEADER_BYTES]
    if not hmac.compare_digest(hashlib.sha256(fields).digest()[:_CHECKSUM_BYTES], checksum):
        raise DamagedBundle(DAMAGED)
    _, version, kdf_id, cost, rounds, lanes, cipher, salt, nonce, check = _FIELDS.unpack(fields)
    if version > FORMAT_VERSION:
        raise HandoverError(
            "This bundle was made by a newer version of SEMH Desktop. Install the latest "
            f"version to import it. {NOTHING_IMPORTED}"
        )
    names = {number: name for name, number in KDF_IDS.items()}
    if kdf_id not in names or cipher != CIPHER_AES256_GCM:
        raise DamagedBundle(DAMAGED)
    kdf = KdfParams(names[kdf_id], cost, rounds, lanes)
    kdf.check_limits()
    try:
        key = kdf.derive(passphrase, salt)
    except UnsupportedAlgorithm:
        raise HandoverError(
            "This computer cannot read bundles protected with Argon2id; update SEMH Desktop. "
            f"{NOTHING_IMPORTED}"
        ) from None
    if not hmac.compare_digest(_key_check(key[32:]), check):
        raise WrongBundlePassphrase(
            "The passphrase does not open this bundle. Check it with the sender (it is "
            f"case-sensitive) and try again. {NOTHING_IMPORTED}"
        )
    try:
        compressed = AESGCM(key[:32]).decrypt(nonce, data[HEADER_BYTES:], data[:HEADER_BYTES])
    except InvalidTag:
        raise DamagedBundle(DAMAGED) from None
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise DamagedBundle(DAMAGED) from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise DamagedBundle(DAMAGED)
    return payload


# --- the schema: which tables travel ---------------------------------------------------------

LOCAL_ONLY_TABLES = frozenset({"audit", "settings", "handover_sync"})
ROOT_TABLE = "pupils"
# History tables with no unique key are compared as chains: rows sharing these columns (beside
# the foreign keys to pupil-linked tables) are one history. Optional refinements only; a table
# not named here is chained by its foreign keys alone.
CHAIN_REFINEMENTS: dict[str, tuple[str, ...]] = {
    "gr_item_answers": ("item_id",),
    "impact_areas": ("area",),
}
TABLE_LABELS = {
    "pupils": "Pupil record",
    "staff": "Staff profile",
    "gr_templates": "Graduated-response template",
    "gr_template_versions": "Graduated-response template version",
    "gr_phase_changes": "Phase change",
    "gr_item_answers": "Checklist answer",
    "apdr_cycles": "APDR cycle",
    "apdr_cycle_revisions": "APDR cycle revision",
    "cases": "Case (episode of support)",
    "case_network": "Person in the network",
    "targets": "Target",
    "target_versions": "Target wording",
    "case_aims": "Case aim",
    "case_reviews": "Scoring point",
    "review_people": "Person at a scoring point",
    "scores": "Agreed score",
    "independent_scores": "Independent score",
}


def table_label(name: str) -> str:
    return TABLE_LABELS.get(name, name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str


@dataclass(frozen=True)
class UniqueKey:
    columns: tuple[str, ...]
    where: str = ""  # the condition of a partial unique index


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    seq_column: str | None  # an INTEGER autoincrement key beside the TEXT id (entry order)
    foreign_keys: tuple[ForeignKey, ...]
    unique_keys: tuple[UniqueKey, ...]
    immutable: bool  # a trigger refuses every update: rows are history, only ever added
    keyed: bool  # has a TEXT id we can match rows by

    @property
    def label(self) -> str:
        return table_label(self.name)

    def column_type(self, column: str) -> str:
        return self.types[self.columns.index(column)].upper()

    @property
    def hashed_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in ("id", self.seq_column))


@dataclass(frozen=True)
class SyncSchema:
    tables: dict[str, TableInfo]
    linked: tuple[str, ...]  # pupil-linked tables, parents before children, pupils first
    reference: tuple[str, ...]  # tables they point at, parents before children
    unsupported: tuple[str, ...]  # pupil-linked tables without a TEXT id: not carried

    def __getitem__(self, name: str) -> TableInfo:
        return self.tables[name]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_UPDATE_TRIGGER = re.compile(
    r"\bBEFORE\s+UPDATE\s+ON\s+(\S+)\s+(FOR\s+EACH\s+ROW\s+)?BEGIN\b", re.IGNORECASE
)


def _table_info(conn: Any, name: str) -> TableInfo:
    cols = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
    columns = tuple(str(c[1]) for c in cols)
    types = tuple(str(c[2] or "") for c in cols)
    pks = [c for c in cols if c[5]]
    uniques: list[UniqueKey] = []
    for _seq, index, unique, _origin, partial in conn.execute(
        f"PRAGMA index_list({_quote(name)})"
    ).fetchall():
        if not unique:
            continue
        key = tuple(str(r[2]) for r in conn.execute(f"PRAGMA index_info({_quote(index)})"))
        where = ""
        if partial:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index]).fetchone()
            match = re.search(
                r"\bWHERE\b(.*)$", (sql[0] if sql else "") or "", re.IGNORECASE | re.DOTALL
            )
            where = match.group(1).strip().rstrip(";") if match else ""
        uniques.append(UniqueKey(key, where))
    seq_column = None
    keyed = False
    if len(pks) == 1 and pks[0][1] == "id" and "TEXT" in str(pks[0][2]).upper():
        keyed = True
    elif (
        len(pks) == 1
        and "INT" in str(pks[0][2]).upper()
        and "id" in columns
        and any(u.columns == ("id",) and not u.where for u in uniques)
    ):
        keyed, seq_column = True, str(pks[0][1])
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall():
        groups[int(row[0])].append(row)
    fks = tuple(
        ForeignKey(str(rows[0][3]), str(rows[0][2]))
        for rows in groups.values()
        if len(rows) == 1 and rows[0][4] in (None, "id")
    )
    immutable = False
    for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [name]
    ).fetchall():
        head = (sql or "").split("BEGIN", 1)[0] + "BEGIN"
        if (
            _UPDATE_TRIGGER.search(head)
            and not re.search(r"\bWHEN\b", head, re.IGNORECASE)
            and "RAISE" in (sql or "").upper()
        ):
            immutable = True
    return TableInfo(
        name,
        columns,
        types,
        seq_column,
        fks,
        tuple(u for u in uniques if u.columns != ("id",)),
        immutable,
        keyed,
    )


def _ordered(names: Iterable[str], tables: dict[str, TableInfo]) -> tuple[str, ...]:
    """Parents before children (foreign keys between the named tables); ties by name."""
    wanted = set(names)
    parents = {
        n: {fk.table for fk in tables[n].foreign_keys if fk.table in wanted and fk.table != n}
        for n in wanted
    }
    order: list[str] = []
    while parents:
        ready = sorted(n for n, p in parents.items() if not p - set(order))
        if not ready:  # a cycle between tables: keep going in name order
            ready = sorted(parents)[:1]
        for name in ready:
            order.append(name)
            del parents[name]
    return tuple(order)


def discover_schema(store: Store) -> SyncSchema:
    """Which tables are pupil-linked, which they reference, and in what order to insert them."""
    conn = store.conn
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        if r[0] not in LOCAL_ONLY_TABLES
    ]
    tables = {name: _table_info(conn, name) for name in names}
    linked = {ROOT_TABLE}
    grew = True
    while grew:
        grew = False
        for name, info in tables.items():
            if name not in linked and any(
                fk.table in linked and fk.table != name for fk in info.foreign_keys
            ):
                linked.add(name)
                grew = True
    unsupported = sorted(n for n in linked if not tables[n].keyed)
    carried = linked - set(unsupported)
    reference: set[str] = set()
    pending = [fk.table for n in carried for fk in tables[n].foreign_keys]
    while pending:
        name = pending.pop()
        if name in carried or name in reference or name not in tables:
            continue
        reference.add(name)
        pending.extend(fk.table for fk in tables[name].foreign_keys)
    unsupported += sorted(n for n in reference if not tables[n].keyed)
    reference = {n for n in reference if tables[n].keyed}
    linked_order = _ordered(carried, tables)
    return SyncSchema(tables, linked_order, _ordered(reference, tables), tuple(unsupported))


# --- content hashes and sync state ---------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        raise HandoverError("A record holds binary data, which bundles cannot carry.")
    return value


def content_hash(columns: Sequence[str], row: dict[str, Any]) -> str:
    """SHA-256 of a row's content (every listed column but its own id and entry order)."""
    pairs = [[c, _canonical(row.get(c))] for c in sorted(columns)]
    text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_ids(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def _known_hashes(store: Store, table: str, ids: Sequence[str]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = defaultdict(set)
    for record_id, digest in store.conn.execute(
        "SELECT record_id, content_hash FROM handover_sync WHERE table_name = ? "
        "AND record_id IN (SELECT value FROM json_each(?))",
        [table, _json_ids(ids)],
    ):
        known[str(record_id)].add(str(digest))
    return known


_REMEMBER = (
    "INSERT INTO handover_sync (table_name, record_id, content_hash, peer, synced_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_name, record_id, content_hash) "
    "DO UPDATE SET peer = excluded.peer, synced_at = excluded.synced_at"
)


def _setting(store: Store, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def installation_id(store: Store) -> str:
    """The id of this database, named in the bundles it sends (made on first use)."""
    found = _setting(store, "installation_id")
    if found:
        return found
    made = new_id()
    with store.atomic():
        store.conn.execute(
            "INSERT INTO settings (key, value) VALUES ('installation_id', ?)", [made]
        )
        audit.record(store, "create", "settings", "installation_id")
    return made


# --- reading rows out of the store ---------------------------------------------------------


@dataclass(frozen=True)
class TableData:
    """One table's rows in a bundle."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    known: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def dicts(self) -> Iterator[dict[str, Any]]:
        for values in self.rows:
            yield dict(zip(self.columns, values, strict=True))


def _self_ordered(
    info: TableInfo, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Rows that point at rows of the same table come after the rows they point at."""
    own = [
        columns.index(fk.column)
        for fk in info.foreign_keys
        if fk.table == info.name and fk.column in columns
    ]
    if not own:
        return rows
    at = columns.index("id")
    by_id = {row[at]: row for row in rows}
    done: set[Any] = set()
    result: list[tuple[Any, ...]] = []

    def visit(row: tuple[Any, ...], depth: int = 0) -> None:
        if row[at] in done or depth > len(rows):
            return
        done.add(row[at])
        for index in own:
            parent = by_id.get(row[index])
            if parent is not None:
                visit(parent, depth + 1)
        result.append(row)

    for row in rows:
        visit(row)
    return result


def _order_clause(info: TableInfo) -> str:
    return f"ORDER BY {_quote(info.seq_column)}" if info.seq_column else "ORDER BY rowid"


@dataclass
class _Collected:
    tables: dict[str, TableData]
    reference: dict[str, TableData]
    owner: dict[tuple[str, str], str]  # (table, id) -> pupil id


def _collect(
    store: Store,
    schema: SyncSchema,
    pupil_ids: Sequence[str],
    *,
    known: bool,
    progress: Progress | None = None,
) -> _Collected:
    conn = store.conn
    selected: dict[str, list[str]] = {}
    tables: dict[str, TableData] = {}
    owner: dict[tuple[str, str], str] = {}
    total = len(schema.linked) + 1
    for step, name in enumerate(schema.linked):
        info = schema[name]
        if name == ROOT_TABLE:
            where, params = "id IN (SELECT value FROM json_each(?))", [_json_ids(pupil_ids)]
            parents: list[ForeignKey] = []
        else:
            parents = [fk for fk in info.foreign_keys if fk.table in selected and fk.table != name]
            where = " OR ".join(
                f"{_quote(fk.column)} IN (SELECT value FROM json_each(?))" for fk in parents
            )
            params = [_json_ids(selected[fk.table]) for fk in parents]
        cursor = conn.execute(
            f"SELECT * FROM {_quote(name)} WHERE {where} {_order_clause(info)}", params
        )
        columns = tuple(str(d[0]) for d in cursor.description)
        rows = _self_ordered(info, columns, [tuple(r) for r in cursor.fetchall()])
        at = columns.index("id")
        selected[name] = [str(row[at]) for row in rows]
        for row in rows:
            record = dict(zip(columns, row, strict=True))
            if name == ROOT_TABLE:
                owner[(name, record["id"])] = record["id"]
                continue
            for fk in parents:
                pupil = owner.get((fk.table, str(record.get(fk.column))))
                if pupil:
                    owner[(name, record["id"])] = pupil
                    break
        known_map: dict[str, tuple[str, ...]] = {}
        if known and not info.immutable:
            stored = _known_hashes(store, name, selected[name])
            hashed = [c for c in columns if c not in ("id", info.seq_column)]
            for row in rows:
                record = dict(zip(columns, row, strict=True))
                digests = stored.get(record["id"], set())
                digests.add(content_hash(hashed, record))
                known_map[record["id"]] = tuple(sorted(digests))
        tables[name] = TableData(columns, tuple(rows), known_map)
        if progress:
            progress(step + 1, total)
    # The rows they point at outside the pupil-linked set, and what those point at in turn.
    wanted: dict[str, set[str]] = defaultdict(set)
    for name in schema.linked:
        data = tables[name]
        for fk in schema[name].foreign_keys:
            if fk.table in schema.reference and fk.column in data.columns:
                at = data.columns.index(fk.column)
                wanted[fk.table].update(str(r[at]) for r in data.rows if r[at] is not None)
    reference: dict[str, TableData] = {}
    fetched: dict[str, set[str]] = defaultdict(set)
    while any(wanted[n] - fetched[n] for n in list(wanted)):
        for name in list(wanted):
            missing = wanted[name] - fetched[name]
            if not missing:
                continue
            fetched[name] |= missing
            info = schema[name]
            cursor = conn.execute(
                f"SELECT * FROM {_quote(name)} WHERE id IN (SELECT value FROM json_each(?))",
                [_json_ids(sorted(missing))],
            )
            columns = tuple(str(d[0]) for d in cursor.description)
            rows = [tuple(r) for r in cursor.fetchall()]
            old = reference.get(name)
            combined = list(old.rows) + rows if old else rows
            reference[name] = TableData(columns, tuple(combined))
            for fk in info.foreign_keys:
                if fk.table in schema.reference and fk.column in columns:
                    at = columns.index(fk.column)
                    wanted[fk.table].update(str(r[at]) for r in rows if r[at] is not None)
    ordered_reference = {}
    for name in schema.reference:
        if name in reference:
            data = reference[name]
            info = schema[name]
            rows = list(data.rows)
            if info.seq_column and info.seq_column in data.columns:
                at = data.columns.index(info.seq_column)
                rows.sort(key=lambda r: r[at])
            ordered_reference[name] = TableData(
                data.columns, tuple(_self_ordered(info, data.columns, rows))
            )
    if progress:
        progress(total, total)
    return _Collected(tables, ordered_reference, owner)


# --- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableCount:
    table: str
    label: str
    rows: int


@dataclass(frozen=True)
class PupilLine:
    id: str
    name: str
    upn: str


@dataclass(frozen=True)
class ExportPreview:
    """What a bundle for these pupils will contain (the export dialog shows it before sending)."""

    pupils: tuple[PupilLine, ...]
    tables: tuple[TableCount, ...]  # pupil-linked tables with rows
    reference: tuple[TableCount, ...]
    staff: tuple[str, ...]  # names of the staff profiles that travel (named in the records)
    unsupported: tuple[str, ...]

    @property
    def record_count(self) -> int:
        return sum(t.rows for t in self.tables)


def _check_pupils(store: Store, pupil_ids: Sequence[str]) -> list[PupilLine]:
    if not pupil_ids:
        raise ValidationError("Choose at least one pupil to send.", field="pupils")
    rows = {
        str(r[0]): r
        for r in store.conn.execute(
            "SELECT id, coalesce(preferred_forename, legal_forename) || ' ' || "
            "coalesce(preferred_surname, legal_surname), upn FROM pupils "
            "WHERE id IN (SELECT value FROM json_each(?))",
            [_json_ids(pupil_ids)],
        )
    }
    missing = [p for p in pupil_ids if p not in rows]
    if missing:
        raise NotFound("A chosen pupil is not in this database.")
    return [PupilLine(p, str(rows[p][1]), str(rows[p][2])) for p in dict.fromkeys(pupil_ids)]


def _preview_of(
    lines: Sequence[PupilLine], collected: _Collected, schema: SyncSchema
) -> ExportPreview:
    staff_names: list[str] = []
    staff = collected.reference.get("staff")
    if staff is not None:
        at = staff.columns.index("name")
        staff_names = sorted({str(r[at]) for r in staff.rows}, key=str.casefold)
    return ExportPreview(
        tuple(lines),
        tuple(
            TableCount(n, table_label(n), len(d.rows))
            for n, d in collected.tables.items()
            if d.rows
        ),
        tuple(TableCount(n, table_label(n), len(d.rows)) for n, d in collected.reference.items()),
        tuple(staff_names),
        schema.unsupported,
    )


def export_preview(store: Store, pupil_ids: Sequence[str]) -> ExportPreview:
    """Counts of what would leave, for the dialog; nothing is written."""
    lines = _check_pupils(store, pupil_ids)
    schema = discover_schema(store)
    return _preview_of(lines, _collect(store, schema, [p.id for p in lines], known=False), schema)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    preview: ExportPreview


def _payload(
    store: Store, bundle_id: str, sender: str, pupil_ids: Sequence[str], collected: _Collected
) -> dict[str, Any]:
    """The JSON inside a bundle.

    {"format": "semh-desktop-handover", "format_version": 1, "bundle_id", "made_at",
     "schema_version": the sender's PRAGMA user_version, "app_version",
     "sender": {"installation_id"}, "pupils": [pupil ids],
     "tables": {name: {"columns": [...], "rows": [[...], ...],
                       "known": {record id: [content hashes the sender has exchanged]}}},
     "reference": {name: {"columns": [...], "rows": [[...], ...]}}}
    Rows are in insertion order: parents before children, history in entry order.
    """

    def table(data: TableData, *, with_known: bool) -> dict[str, Any]:
        result: dict[str, Any] = {
            "columns": list(data.columns),
            "rows": [list(r) for r in data.rows],
        }
        if with_known:
            result["known"] = {k: list(v) for k, v in data.known.items()}
        return result

    return {
        "format": "semh-desktop-handover",
        "format_version": FORMAT_VERSION,
        "bundle_id": bundle_id,
        "made_at": store.clock.now().isoformat(timespec="seconds"),
        "schema_version": store.schema_version(),
        "app_version": __version__,
        "sender": {"installation_id": sender},
        "pupils": list(pupil_ids),
        "tables": {n: table(d, with_known=True) for n, d in collected.tables.items()},
        "reference": {n: table(d, with_known=False) for n, d in collected.reference.items()},
    }


def _write_atomically(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".semh-", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ValidationError(
            f"The bundle could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ValidationError(
            f"The bundle could not be written: {exc.strerror or exc}.", field="out"
        ) from None


def export_bundle(
    store: Store,
    pupil_ids: Sequence[str],
    path: Path,
    passphrase: str,
    *,
    kdf: KdfParams | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write one encrypted bundle with the pupils' records and history; audit and remember it.

    `kdf` exists for tests only (to make them fast); the product always uses `default_kdf()`.
    """
    path = Path(path)
    if path.suffix.lower() != BUNDLE_SUFFIX:
        raise ValidationError(f"The bundle file must end in {BUNDLE_SUFFIX}.", field="out")
    check_passphrase(passphrase)
    lines = _check_pupils(store, pupil_ids)
    ids = [p.id for p in lines]
    schema = discover_schema(store)
    sender = installation_id(store)
    collected = _collect(store, schema, ids, known=True, progress=progress)
    bundle_id = new_id()
    payload = json.dumps(
        _payload(store, bundle_id, sender, ids, collected),
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    _write_atomically(path, seal(payload, passphrase, kdf or default_kdf()))
    preview = _preview_of(lines, collected, schema)
    with store.atomic():
        now = store.clock.now().isoformat(timespec="seconds")
        sent: list[tuple[str, str, str, str, str]] = []
        for name, data in collected.tables.items():
            info = schema[name]
            if info.immutable:
                continue
            hashed = [c for c in data.columns if c not in ("id", info.seq_column)]
            sent += [
                (name, record["id"], content_hash(hashed, record), "", now)
                for record in data.dicts()
            ]
        store.conn.executemany(_REMEMBER, sent)
        audit.record(
            store,
            "export",
            "handover_bundle",
            bundle_id,
            f"{len(ids)} pupils, {preview.record_count} records, "
            f"{len(preview.staff)} staff profiles ({BUNDLE_SUFFIX.lstrip('.')})",
        )
        for pupil_id in ids:
            audit.record(store, "export", "pupil", pupil_id, f"handover bundle {bundle_id}")
    return ExportResult(path, bundle_id, preview)


# --- reading a bundle ----------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Bundle:
    """A decrypted, shape-checked bundle (not yet compared with any database)."""

    bundle_id: str
    made_at: str
    schema_version: int
    app_version: str
    sender: str
    pupil_ids: tuple[str, ...]
    tables: dict[str, TableData]
    reference: dict[str, TableData]

    @property
    def record_count(self) -> int:
        return sum(len(d.rows) for d in self.tables.values())


def _shape(ok: bool) -> None:
    if not ok:
        raise DamagedBundle(
            "The bundle opened, but its contents are not in the shape SEMH Desktop expects, "
            f"so it cannot be imported. {NOTHING_IMPORTED}"
        )


def _table_data(value: Any, *, with_known: bool) -> TableData:
    _shape(
        isinstance(value, dict)
        and isinstance(value.get("columns"), list)
        and isinstance(value.get("rows"), list)
    )
    columns = value["columns"]
    _shape(
        all(isinstance(c, str) and _IDENTIFIER.match(c) for c in columns)
        and "id" in columns
        and len(set(columns)) == len(columns)
    )
    rows = []
    for row in value["rows"]:
        _shape(
            isinstance(row, list)
            and len(row) == len(columns)
            and all(v is None or isinstance(v, str | int | float) for v in row)
        )
        rows.append(tuple(row))
    at = columns.index("id")
    _shape(all(isinstance(r[at], str) for r in rows))
    known: dict[str, tuple[str, ...]] = {}
    if with_known:
        raw = value.get("known", {})
        _shape(
            isinstance(raw, dict)
            and all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(h, str) for h in v)
                for k, v in raw.items()
            )
        )
        known = {k: tuple(v) for k, v in raw.items()}
    return TableData(tuple(columns), tuple(rows), known)


def parse_payload(payload: bytes) -> Bundle:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DamagedBundle(DAMAGED) from None
    _shape(isinstance(data, dict) and data.get("format") == "semh-desktop-handover")
    _shape(
        isinstance(data.get("format_version"), int)
        and isinstance(data.get("schema_version"), int)
        and isinstance(data.get("bundle_id"), str)
        and isinstance(data.get("made_at"), str)
        and isinstance(data.get("sender"), dict)
        and isinstance(data["sender"].get("installation_id"), str)
        and isinstance(data.get("pupils"), list)
        and all(isinstance(p, str) for p in data["pupils"])
        and isinstance(data.get("tables"), dict)
        and isinstance(data.get("reference"), dict)
    )
    _shape(
        all(
            isinstance(n, str) and _IDENTIFIER.match(n)
            for n in [*data["tables"], *data["reference"]]
        )
    )
    _shape(ROOT_TABLE in data["tables"])
    return Bundle(
        bundle_id=data["bundle_id"],
        made_at=data["made_at"],
        schema_version=data["schema_version"],
        app_version=str(data.get("app_version", "")),
        sender=data["sender"]["installation_id"],
        pupil_ids=tuple(data["pupils"]),
        tables={n: _table_data(v, with_known=True) for n, v in data["tables"].items()},
        reference={n: _table_data(v, with_known=False) for n, v in data["reference"].items()},
    )


def read_bundle(path: Path, passphrase: str) -> Bundle:
    """Open a bundle file with its passphrase. Touches no database."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HandoverError(f"There is no file at {path}. {NOTHING_IMPORTED}") from None
    except OSError as exc:
        raise HandoverError(
            f"The bundle could not be read: {exc.strerror or exc}. {NOTHING_IMPORTED}"
        ) from None
    return parse_payload(unseal(data, passphrase))


# --- import: compare, preview, apply -------------------------------------------------------

MINE, THEIRS = "mine", "theirs"
CONFLICT_KINDS = {
    "changed_both": "Changed in both databases since they last exchanged it",
    "added_both": "Added in both databases in the same place",
    "history_both": "Both databases added to this history since they last exchanged it",
}


@dataclass
class Conflict:
    """A record both sides changed: the person importing keeps theirs or takes the sender's."""

    key: str
    kind: str
    table: str
    pupil_id: str
    pupil_name: str
    fields: tuple[str, ...]  # the columns that differ
    mine: dict[str, Any]
    theirs: dict[str, Any]
    can_take_theirs: bool
    choice: str | None = None
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)  # readable (mine, theirs)

    @property
    def label(self) -> str:
        return table_label(self.table)

    @property
    def explanation(self) -> str:
        text = CONFLICT_KINDS[self.kind]
        if self.kind == "added_both" and self.can_take_theirs:
            text = (
                "Both databases added a new version since they last exchanged it; taking "
                "theirs keeps yours in the history"
            )
        elif self.kind == "history_both":
            text += "; taking theirs keeps yours in the history"
        if not self.can_take_theirs:
            text += "; only yours can be kept here (re-enter theirs by hand if needed)"
        return text


@dataclass
class PupilOutcome:
    incoming_id: str
    local_id: str
    name: str
    upn: str
    status: str  # new, merged (same UUID), merged_by_upn
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def status_label(self) -> str:
        return {
            "new": "New pupil",
            "merged": "Already here: merged",
            "merged_by_upn": "Already here (same UPN): merged",
        }[self.status]


@dataclass
class ImportReport:
    """What an import would do (preview) or did (applied), pupil by pupil."""

    bundle_id: str
    made_at: str
    sender: str
    applied: bool
    pupils: list[PupilOutcome]
    staff_added: list[str]
    conflicts: list[Conflict]
    problems: list[str]
    totals: Counter[str]

    @property
    def undecided(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.choice is None]

    @property
    def new_pupils(self) -> int:
        return sum(1 for p in self.pupils if p.status == "new")

    @property
    def merged_pupils(self) -> int:
        return len(self.pupils) - self.new_pupils

    def summary(self) -> str:
        """One or two sentences for the result message (counts only)."""
        t = self.totals
        verb = "were" if self.applied else "would be"
        count = len(self.pupils)
        text = (
            f"{count} pupil{'' if count == 1 else 's'}: {self.new_pupils} new, "
            f"{self.merged_pupils} merged. "
            f"{t['added']} records {verb} added and {t['updated']} updated; "
            f"{t['unchanged'] + t['kept']} were already up to date here."
        )
        if self.conflicts:
            decided = len(self.conflicts) - len(self.undecided)
            many = len(self.conflicts)
            text += f" {many} conflict{'' if many == 1 else 's'} ({decided} decided"
            text += f", {len(self.undecided)} left as they are)." if self.undecided else ")."
        if self.problems:
            text += f" {len(self.problems)} records could not be applied."
        return text


class _Rollback(Exception):
    """Raised inside the preview's transaction so that nothing it did is kept."""


class _Merge:
    def __init__(
        self,
        store: Store,
        bundle: Bundle,
        choices: dict[str, str],
        apply: bool,
        progress: Progress | None,
    ) -> None:
        self.store = store
        self.conn = store.conn
        self.bundle = bundle
        self.choices = choices
        self.apply = apply
        self.progress = progress
        self.schema = discover_schema(store)
        self.pupil_map: dict[str, str] = {}  # incoming pupil id -> local pupil id
        self.reverse_map: dict[str, str] = {}
        self.blocked: set[tuple[str, str]] = set()  # (table, local id) not present here
        self.owner: dict[tuple[str, str], str] = {}
        self.outcomes: dict[str, PupilOutcome] = {}
        self.conflicts: list[Conflict] = []
        self.problems: list[str] = []
        self.totals: Counter[str] = Counter()
        self.staff_added: list[str] = []
        self.synced: list[tuple[str, str, str]] = []  # (table, id, hash) exchanged now
        self._staff_names: dict[str, str] | None = None
        self.now = store.clock.now().isoformat(timespec="seconds")

    # -- helpers

    def _count(self, table: str, record_id: str, what: str) -> None:
        self.totals[what] += 1
        pupil = self.owner.get((table, record_id))
        if pupil and pupil in self.outcomes:
            self.outcomes[pupil].counts[what] += 1

    def _remember(self, table: str, record_id: str, digest: str) -> None:
        self.synced.append((table, record_id, digest))

    # A refused statement (constraint, trigger) is undone by SQLite on its own and leaves the
    # transaction going, so rows need no savepoint each (they would double the statements).

    def _insert(self, info: TableInfo, row: dict[str, Any], columns: Sequence[str]) -> None:
        names = [c for c in columns if c != info.seq_column]
        sql = (
            f"INSERT INTO {_quote(info.name)} ({', '.join(_quote(c) for c in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        self.conn.execute(sql, [row[c] for c in names])

    def _update(
        self, info: TableInfo, record_id: str, row: dict[str, Any], columns: Sequence[str]
    ) -> None:
        names = [c for c in columns if c not in ("id", info.seq_column)]
        sql = (
            f"UPDATE {_quote(info.name)} SET {', '.join(f'{_quote(c)} = ?' for c in names)} "
            "WHERE id = ?"
        )
        self.conn.execute(sql, [row[c] for c in names] + [record_id])

    def _local_rows(self, info: TableInfo, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cursor = self.conn.execute(
            f"SELECT * FROM {_quote(info.name)} WHERE id IN (SELECT value FROM json_each(?))",
            [_json_ids(ids)],
        )
        columns = [str(d[0]) for d in cursor.description]
        return {
            str(r[columns.index("id")]): dict(zip(columns, r, strict=True))
            for r in cursor.fetchall()
        }

    def _usable_columns(self, name: str, data: TableData) -> list[str]:
        local = set(self.schema[name].columns)
        extra = [c for c in data.columns if c not in local]
        if extra:
            self.problems.append(
                f"{table_label(name)}: fields this version does not know were "
                f"left out ({', '.join(extra)})."
            )
        return [c for c in data.columns if c in local]

    def _problem(self, info: TableInfo, record_id: str, verb: str, exc: Exception) -> None:
        """A record the database refused (a rule or a trigger); its message is kept."""
        pupil = self._pupil_name(self.owner.get((info.name, record_id), ""))
        whose = f" for {pupil}" if pupil else ""
        self.problems.append(f"{info.label}{whose} could not be {verb}: {exc}.")
        self.totals["problems"] += 1

    def _pupil_name(self, pupil_id: str) -> str:
        outcome = self.outcomes.get(pupil_id)
        return outcome.name if outcome else ""

    # -- pupils: who is who

    def _match_pupils(self) -> None:
        data = self.bundle.tables[ROOT_TABLE]
        for row in data.dicts():
            incoming = row["id"]
            by_id = self.conn.execute("SELECT id FROM pupils WHERE id = ?", [incoming]).fetchone()
            status = "merged"
            local = incoming
            if by_id is None:
                by_upn = self.conn.execute(
                    "SELECT id FROM pupils WHERE upn = ?", [row.get("upn")]
                ).fetchone()
                if by_upn is not None:
                    local, status = str(by_upn[0]), "merged_by_upn"
                else:
                    status = "new"
            self.pupil_map[incoming] = local
            self.reverse_map[local] = incoming
            forename = row.get("preferred_forename") or row.get("legal_forename") or ""
            surname = row.get("preferred_surname") or row.get("legal_surname") or ""
            self.outcomes[local] = PupilOutcome(
                incoming, local, f"{forename} {surname}".strip(), str(row.get("upn") or ""), status
            )

    def _map_row(self, info: TableInfo, row: dict[str, Any]) -> dict[str, Any]:
        mapped = dict(row)
        if info.name == ROOT_TABLE:
            mapped["id"] = self.pupil_map.get(row["id"], row["id"])
        for fk in info.foreign_keys:
            if fk.table == ROOT_TABLE and mapped.get(fk.column) in self.pupil_map:
                mapped[fk.column] = self.pupil_map[mapped[fk.column]]
        return mapped

    def _unmap_row(self, info: TableInfo, row: dict[str, Any]) -> dict[str, Any]:
        """A local row as the sender would write it (their pupil ids), to compare hashes."""
        unmapped = dict(row)
        for fk in info.foreign_keys:
            if fk.table == ROOT_TABLE and unmapped.get(fk.column) in self.reverse_map:
                unmapped[fk.column] = self.reverse_map[unmapped[fk.column]]
        return unmapped

    def _set_owner(self, info: TableInfo, row: dict[str, Any]) -> None:
        if info.name == ROOT_TABLE:
            self.owner[(info.name, row["id"])] = row["id"]
            return
        for fk in info.foreign_keys:
            if fk.table in self.schema.linked and fk.table != info.name:
                pupil = self.owner.get((fk.table, str(row.get(fk.column))))
                if pupil:
                    self.owner[(info.name, row["id"])] = pupil
                    return

    def _blocked_by(self, info: TableInfo, row: dict[str, Any]) -> bool:
        return any(
            (fk.table, row.get(fk.column)) in self.blocked
            for fk in info.foreign_keys
            if fk.table in self.schema.linked
        )

    # -- reference rows (staff, templates): added if missing, never changed

    def _reference(self) -> None:
        if "gr_template_versions" in self.bundle.reference:
            # The school's own template stays the newest version whatever arrives.
            gr_templates.current_template(self.store)
        for name in self.schema.reference:
            data = self.bundle.reference.get(name)
            if data is None:
                continue
            info = self.schema[name]
            columns = self._usable_columns(name, data)
            present = self._local_rows(info, [r[data.columns.index("id")] for r in data.rows])
            for row in data.dicts():
                if row["id"] in present:
                    continue
                row = dict(row)
                if name == "staff" and "archived_at" in columns:
                    # Named in the records, but not a profile anyone here unlocks with.
                    row["archived_at"] = row.get("archived_at") or self.now
                    self.staff_added.append(str(row.get("name", "")))
                insert_columns = list(columns)
                if info.seq_column:
                    lowest = self.conn.execute(
                        f"SELECT min({_quote(info.seq_column)}) FROM {_quote(name)}"
                    ).fetchone()
                    if lowest and lowest[0] is not None:
                        # Another installation's history never becomes this one's newest row.
                        row[info.seq_column] = int(lowest[0]) - 1
                        insert_columns = [*columns, info.seq_column]
                try:
                    names = [c for c in insert_columns if c in info.columns]
                    sql = (
                        f"INSERT INTO {_quote(name)} ({', '.join(_quote(c) for c in names)}) "
                        f"VALUES ({', '.join('?' for _ in names)})"
                    )
                    self.conn.execute(sql, [row.get(c) for c in names])
                    self.totals["reference_added"] += 1
                except sqlcipher3.DatabaseError as exc:
                    self.problems.append(f"{table_label(name)} could not be added ({exc}).")

    # -- pupil-linked rows

    def _collision(
        self, info: TableInfo, row: dict[str, Any]
    ) -> tuple[UniqueKey, dict[str, Any]] | None:
        for key in info.unique_keys:
            if any(c not in row for c in key.columns):
                continue
            where = " AND ".join(f"{_quote(c)} IS ?" for c in key.columns)
            if key.where:
                where += f" AND ({key.where})"
            cursor = self.conn.execute(
                f"SELECT * FROM {_quote(info.name)} WHERE {where} AND id != ? LIMIT 1",
                [row[c] for c in key.columns] + [row["id"]],
            )
            found = cursor.fetchone()
            if found is not None:
                columns = [str(d[0]) for d in cursor.description]
                return key, dict(zip(columns, found, strict=True))
        return None

    def _renumber_column(self, info: TableInfo, key: UniqueKey) -> str | None:
        """The whole-number column (a version or position) theirs can be appended after."""
        if not info.immutable:
            return None
        fk_columns = {fk.column for fk in info.foreign_keys}
        numbers = [c for c in key.columns if "INT" in info.column_type(c) and c not in fk_columns]
        return numbers[0] if len(numbers) == 1 and not key.where else None

    def _append_renumbered(
        self,
        info: TableInfo,
        row: dict[str, Any],
        columns: Sequence[str],
        key: UniqueKey,
        column: str,
    ) -> None:
        others = [c for c in key.columns if c != column]
        where = " AND ".join(f"{_quote(c)} IS ?" for c in others) or "1 = 1"
        top = self.conn.execute(
            f"SELECT coalesce(max({_quote(column)}), 0) FROM {_quote(info.name)} WHERE {where}",
            [row[c] for c in others],
        ).fetchone()[0]
        self._insert(info, {**row, column: int(top) + 1}, columns)

    def _differing(
        self, columns: Sequence[str], mine: dict[str, Any], theirs: dict[str, Any], info: TableInfo
    ) -> tuple[str, ...]:
        return tuple(
            c for c in columns if c not in ("id", info.seq_column) and mine.get(c) != theirs.get(c)
        )

    def _conflict(
        self,
        kind: str,
        key: str,
        info: TableInfo,
        mine: dict[str, Any],
        theirs: dict[str, Any],
        columns: Sequence[str],
        can_take: bool,
    ) -> Conflict:
        pupil = (
            self.owner.get((info.name, theirs["id"]))
            or self.owner.get((info.name, mine.get("id", "")))
            or ""
        )
        choice = self.choices.get(key)
        if choice == THEIRS and not can_take:
            choice = None
        differing = self._differing(columns, mine, theirs, info)
        conflict = Conflict(
            key,
            kind,
            info.name,
            pupil,
            self._pupil_name(pupil),
            differing,
            {c: mine.get(c) for c in columns},
            {c: theirs.get(c) for c in columns},
            can_take,
            choice,
            {
                c: (self._readable(info, c, mine.get(c)), self._readable(info, c, theirs.get(c)))
                for c in differing
            },
        )
        self.conflicts.append(conflict)
        self.totals["conflicts"] += 1
        if pupil in self.outcomes:
            self.outcomes[pupil].counts["conflicts"] += 1
        return conflict

    def _staff_name(self, staff_id: str) -> str | None:
        if self._staff_names is None:
            names = {str(r[0]): str(r[1]) for r in self.conn.execute("SELECT id, name FROM staff")}
            data = self.bundle.reference.get("staff")
            if data is not None and "name" in data.columns:
                for row in data.dicts():
                    names.setdefault(row["id"], str(row["name"]))
            self._staff_names = names
        return self._staff_names.get(staff_id)

    def _readable(self, info: TableInfo, column: str, value: Any) -> str:
        """A value as a person reads it: staff by name, other records' ids not at all."""
        target = next((fk.table for fk in info.foreign_keys if fk.column == column), None)
        if value is None or value == "":
            return "(empty)"
        if target == "staff":
            return self._staff_name(str(value)) or "(a staff member)"
        if target is not None:
            return f"(a {table_label(target).lower()})"
        return describe_value(value)

    def _add(
        self, info: TableInfo, row: dict[str, Any], columns: Sequence[str], digest: str
    ) -> bool:
        """Insert a row that is new here; a clash on a unique key becomes a conflict."""
        try:
            self._insert(info, row, columns)
        except sqlcipher3.IntegrityError as exc:
            clash = self._collision(info, row)
            if clash is None:
                self._problem(info, row["id"], "added", exc)
                return False
            key, mine = clash
            column = self._renumber_column(info, key)
            conflict = self._conflict(
                "added_both",
                f"{info.name}:{row['id']}",
                info,
                mine,
                row,
                columns,
                column is not None,
            )
            if conflict.choice == MINE:
                self._remember(info.name, row["id"], digest)
                self._count(info.name, row["id"], "declined")
                return False
            if conflict.choice == THEIRS and column is not None:
                try:
                    self._append_renumbered(info, row, columns, key, column)
                except sqlcipher3.DatabaseError as again:
                    self._problem(info, row["id"], "added", again)
                    return False
                self._remember(info.name, row["id"], digest)
                self._count(info.name, row["id"], "added")
                return True
            return False
        except sqlcipher3.DatabaseError as exc:
            self._problem(info, row["id"], "added", exc)
            return False
        self._remember(info.name, row["id"], digest)
        self._count(info.name, row["id"], "added")
        return True

    def _chain_columns(self, info: TableInfo) -> tuple[str, ...]:
        linked = [
            fk.column
            for fk in info.foreign_keys
            if fk.table in self.schema.linked and fk.table != info.name
        ]
        return tuple(linked) + CHAIN_REFINEMENTS.get(info.name, ())

    def _table(self, name: str) -> None:
        info = self.schema[name]
        data = self.bundle.tables[name]
        columns = self._usable_columns(name, data)
        hashed = [c for c in columns if c not in ("id", info.seq_column)]
        rows = [self._map_row(info, r) for r in data.dicts()]
        incoming_ids = {r["id"] for r in rows}
        local = self._local_rows(info, list(incoming_ids))
        known = _known_hashes(self.store, name, list(incoming_ids))
        fresh: list[tuple[dict[str, Any], str]] = []
        chained = info.immutable and not info.unique_keys
        for row in rows:
            self._set_owner(info, row)
            record_id = row["id"]
            if self._blocked_by(info, row):
                if record_id not in local:
                    self.blocked.add((name, record_id))
                self._count(name, record_id, "waiting")
                continue
            digest = content_hash(hashed, row)
            mine = local.get(record_id)
            if mine is None:
                if digest in known.get(record_id, set()):
                    self.blocked.add((name, record_id))  # declined (or removed) here before
                    self._count(name, record_id, "declined")
                elif chained:
                    fresh.append((row, digest))
                elif not self._add(info, row, columns, digest):
                    self.blocked.add((name, record_id))
                continue
            ours = content_hash(hashed, mine)
            if ours == digest:
                self._remember(name, record_id, digest)
                self._count(name, record_id, "unchanged")
            elif info.immutable:
                self._count(name, record_id, "unchanged")  # history is never rewritten
            elif digest in known.get(record_id, set()):
                self._count(name, record_id, "kept")  # nothing new from them
            else:
                theirs_saw_ours = content_hash(hashed, self._unmap_row(info, mine)) in set(
                    data.known.get(
                        self.reverse_map.get(record_id, record_id)
                        if name == ROOT_TABLE
                        else record_id,
                        (),
                    )
                )
                choice = None
                if not theirs_saw_ours:
                    conflict = self._conflict(
                        "changed_both", f"{name}:{record_id}", info, mine, row, columns, True
                    )
                    choice = conflict.choice
                    if choice == MINE:
                        self._remember(name, record_id, digest)
                        self._count(name, record_id, "kept")
                        continue
                    if choice is None:
                        continue
                try:
                    self._update(info, record_id, row, columns)
                except sqlcipher3.DatabaseError as exc:
                    self._problem(info, record_id, "updated", exc)
                    continue
                self._remember(name, record_id, digest)
                self._count(name, record_id, "updated")
        if chained:
            self._fresh_history(info, fresh, columns, incoming_ids)

    def _fresh_history(
        self,
        info: TableInfo,
        fresh: list[tuple[dict[str, Any], str]],
        columns: Sequence[str],
        incoming_ids: set[str],
    ) -> None:
        """New history rows, chain by chain: both sides appending since is a conflict."""
        chain_columns = self._chain_columns(info)
        chains: dict[tuple[Any, ...], list[tuple[dict[str, Any], str]]] = defaultdict(list)
        for row, digest in fresh:
            chains[tuple(row.get(c) for c in chain_columns)].append((row, digest))
        ours: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        if chain_columns and chains:
            # Our rows in these chains that the sender does not have, in one query.
            wanted = {
                c: sorted({str(v[i]) for v in chains if v[i] is not None})
                for i, c in enumerate(chain_columns)
            }
            clauses = [
                f"{_quote(c)} IN (SELECT value FROM json_each(?))"
                for c, values in wanted.items()
                if values
            ]
            cursor = self.conn.execute(
                f"SELECT * FROM {_quote(info.name)} WHERE ({' OR '.join(clauses)}) "
                f"AND id NOT IN (SELECT value FROM json_each(?)) {_order_clause(info)}",
                [_json_ids(v) for v in wanted.values() if v] + [_json_ids(incoming_ids)],
            )
            names = [str(d[0]) for d in cursor.description]
            for found in cursor.fetchall():
                record = dict(zip(names, found, strict=True))
                ours[tuple(record.get(c) for c in chain_columns)].append(record)
        for values, members in chains.items():
            choice: str | None = THEIRS
            if ours.get(values):
                key = f"{info.name}:chain:" + json.dumps(list(values), ensure_ascii=False)
                choice = self._conflict(
                    "history_both", key, info, ours[values][-1], members[-1][0], columns, True
                ).choice
            for row, digest in members:
                if choice == THEIRS:
                    if not self._add(info, row, columns, digest):
                        self.blocked.add((info.name, row["id"]))
                elif choice == MINE:
                    self._remember(info.name, row["id"], digest)
                    self.blocked.add((info.name, row["id"]))
                    self._count(info.name, row["id"], "declined")
                else:
                    self.blocked.add((info.name, row["id"]))

    # -- the whole import

    def run(self) -> ImportReport:
        local_version = self.store.schema_version()
        if self.bundle.schema_version > local_version:
            raise HandoverError(
                "This bundle was made by a newer version of SEMH Desktop (database schema "
                f"{self.bundle.schema_version}; this one has {local_version}). Update SEMH "
                f"Desktop here, then import it. {NOTHING_IMPORTED}"
            )
        unknown = [n for n in self.bundle.tables if n not in self.schema.linked]
        for name in unknown:
            self.problems.append(
                f"{table_label(name)} records were left out: this database "
                "does not keep them with pupils."
            )
        self._match_pupils()
        self._reference()
        order = [n for n in self.schema.linked if n in self.bundle.tables]
        for step, name in enumerate(order):
            self._table(name)
            if self.progress:
                self.progress(step + 1, len(order))
        report = ImportReport(
            self.bundle.bundle_id,
            self.bundle.made_at,
            self.bundle.sender,
            self.apply,
            list(self.outcomes.values()),
            self.staff_added,
            self.conflicts,
            self.problems,
            self.totals,
        )
        if self.apply:
            self.conn.executemany(
                _REMEMBER,
                [
                    (table, record_id, digest, self.bundle.sender, self.now)
                    for table, record_id, digest in self.synced
                ],
            )
            t = self.totals
            audit.record(
                self.store,
                "import",
                "handover_bundle",
                self.bundle.bundle_id,
                f"{len(report.pupils)} pupils ({report.new_pupils} new, "
                f"{report.merged_pupils} merged), {t['added']} records added, {t['updated']} "
                f"updated, {len(report.conflicts)} conflicts ({len(report.undecided)} "
                f"undecided), {t['declined']} declined, {len(self.problems)} problems, "
                f"{len(self.staff_added)} staff profiles added",
                everyone=True,  # a merge may touch any pupil's records: every screen re-reads
            )
            for outcome in report.pupils:
                c = outcome.counts
                audit.record(
                    self.store,
                    "import",
                    "pupil",
                    outcome.local_id,
                    f"handover bundle {self.bundle.bundle_id}: {outcome.status}, "
                    f"{c['added']} added, {c['updated']} updated, "
                    f"{c['conflicts']} conflicts",
                )
        return report


def _merge(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None,
    *,
    apply: bool,
    progress: Progress | None,
) -> ImportReport:
    for key, choice in (choices or {}).items():
        if choice not in (MINE, THEIRS):
            raise ValidationError(f"Choose keep mine or take theirs for {key}.", field="choice")
    merge = _Merge(store, bundle, dict(choices or {}), apply, progress)
    if apply:
        with store.atomic():
            return merge.run()
    report: ImportReport | None = None
    try:
        with store.atomic():
            report = merge.run()
            raise _Rollback
    except _Rollback:
        pass
    assert report is not None
    return report


def preview_import(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None = None,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Everything the import would do, conflicts included; nothing is kept."""
    return _merge(store, bundle, choices, apply=False, progress=progress)


def apply_import(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None = None,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import in one transaction. Conflicts without a choice are left exactly as they are."""
    return _merge(store, bundle, choices, apply=True, progress=progress)


def import_bundle(
    store: Store, path: Path, passphrase: str, choices: dict[str, str] | None = None
) -> ImportReport:
    """Read and apply a bundle file (the command line and scripts)."""
    return apply_import(store, read_bundle(path, passphrase), choices)


def describe_value(value: Any, limit: int = 120) -> str:
    """A stored value in words for the conflict list."""
    if value is None or value == "":
        return "(empty)"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def conflict_lines(conflict: Conflict) -> list[tuple[str, str, str]]:
    """(field, mine, theirs) in words for each field that differs."""
    return [
        (
            name.replace("_", " "),
            *conflict.shown.get(
                name,
                (
                    describe_value(conflict.mine.get(name)),
                    describe_value(conflict.theirs.get(name)),
                ),
            ),
        )
        for name in conflict.fields
    ]


__all__ = [
    "Bundle",
    "Conflict",
    "DamagedBundle",
    "ExportPreview",
    "ExportResult",
    "HandoverError",
    "ImportReport",
    "KdfParams",
    "PupilOutcome",
    "WrongBundlePassphrase",
    "apply_import",
    "check_passphrase",
    "conflict_lines",
    "default_kdf",
    "discover_schema",
    "export_bundle",
    "export_preview",
    "import_bundle",
    "preview_import",
    "read_bundle",
]
