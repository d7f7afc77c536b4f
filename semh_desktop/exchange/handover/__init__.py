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

The package follows the bundle's life: `crypto` (the sealed container, KDF parameters and the
limits a header may ask for), `schema` (which tables travel, found from foreign keys, and the
content hashes both sides remember), `export` (collecting and writing a bundle), `read`
(opening and checking one) and `merge` (comparing, conflicts, importing). Everything a caller
needs is importable from here: `from semh_desktop.exchange import handover;
handover.read_bundle(...)`.
"""

from __future__ import annotations

from semh_desktop.exchange.handover.crypto import (
    ARGON2ID_DEFAULT,
    BUNDLE_SUFFIX,
    FORMAT_VERSION,
    HEADER_BYTES,
    MAGIC,
    MAX_PAYLOAD_BYTES,
    MIN_PASSPHRASE,
    SCRYPT_DEFAULT,
    KdfParams,
    check_passphrase,
    default_kdf,
    seal,
    unseal,
)
from semh_desktop.exchange.handover.errors import (
    DAMAGED,
    NOTHING_IMPORTED,
    DamagedBundle,
    HandoverError,
    WrongBundlePassphrase,
)
from semh_desktop.exchange.handover.export import (
    ExportPreview,
    ExportResult,
    PupilLine,
    TableCount,
    export_bundle,
    export_preview,
)
from semh_desktop.exchange.handover.merge import (
    CONFLICT_KINDS,
    MINE,
    THEIRS,
    Conflict,
    ImportReport,
    PupilOutcome,
    apply_import,
    conflict_lines,
    describe_value,
    import_bundle,
    preview_import,
)
from semh_desktop.exchange.handover.read import Bundle, parse_payload, read_bundle
from semh_desktop.exchange.handover.schema import (
    LOCAL_ONLY_TABLES,
    ROOT_TABLE,
    SyncSchema,
    TableData,
    TableInfo,
    content_hash,
    discover_schema,
    installation_id,
    table_label,
)

__all__ = [
    "ARGON2ID_DEFAULT",
    "BUNDLE_SUFFIX",
    "CONFLICT_KINDS",
    "DAMAGED",
    "FORMAT_VERSION",
    "HEADER_BYTES",
    "LOCAL_ONLY_TABLES",
    "MAGIC",
    "MAX_PAYLOAD_BYTES",
    "MINE",
    "MIN_PASSPHRASE",
    "NOTHING_IMPORTED",
    "ROOT_TABLE",
    "SCRYPT_DEFAULT",
    "THEIRS",
    "Bundle",
    "Conflict",
    "DamagedBundle",
    "ExportPreview",
    "ExportResult",
    "HandoverError",
    "ImportReport",
    "KdfParams",
    "PupilLine",
    "PupilOutcome",
    "SyncSchema",
    "TableCount",
    "TableData",
    "TableInfo",
    "WrongBundlePassphrase",
    "apply_import",
    "check_passphrase",
    "conflict_lines",
    "content_hash",
    "default_kdf",
    "describe_value",
    "discover_schema",
    "export_bundle",
    "export_preview",
    "import_bundle",
    "installation_id",
    "parse_payload",
    "preview_import",
    "read_bundle",
    "seal",
    "table_label",
    "unseal",
]
