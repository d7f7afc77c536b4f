"""`semh-desktop backup --db PATH --to FOLDER` and `semh-desktop restore BACKUP --db PATH`."""

from __future__ import annotations

import argparse
from pathlib import Path

from semh_desktop.cli.options import add_database_options, opened
from semh_desktop.core.errors import SemhError
from semh_desktop.register import access, audit
from semh_desktop.register import backup as backups


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    make = sub.add_parser("backup", help="copy the database, consistently, into a folder")
    add_database_options(make)
    make.add_argument("--to", required=True, type=Path, metavar="FOLDER", help="where to")
    make.set_defaults(handler=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="put a backup in place of the database (the current one is kept aside)",
    )
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="the backup's .db file")
    add_database_options(restore)
    restore.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    with opened(args) as store:
        made = backups.make_backup(store, args.to)
    print(f"Backed up {made.pupils} pupils to {made.path} ({made.size // 1024} KiB).")
    print("Keep its .keys file with it: passphrases open the backup through it.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    # Sign in to the backup itself: it must open with this person's passphrase (or the
    # recovery key) and pass its checks before anything is replaced.
    target = args.db
    args.db = args.backup
    with opened(args) as store:
        access.require(store, "backup", "restore")
        report = audit.verify(store)
        if not report.ok:
            raise SemhError(f"The backup's audit trail is not whole: {report.reason}")
    moved = backups.restore_backup(args.backup, target)
    args.db = target
    with opened(args) as store, store.atomic():
        audit.record(store, "change", "database", None, f"restored from {args.backup.name}")
    print(f"Restored {args.backup.name} as {target}.")
    if moved is not None:
        print(f"The database it replaced is kept at {moved}.")
    return 0
