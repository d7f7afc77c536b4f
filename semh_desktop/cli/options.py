"""Options every command shares, and opening the database they name.

--db, --passphrase-env, --recovery-key-env and --staff.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from semh_desktop.core.keystore import parse_recovery_key, passphrase_from_env
from semh_desktop.core.store import Store
from semh_desktop.register import pupils, staff
from semh_desktop.register.database import open_database


def add_database_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--db", type=Path, required=required, metavar="PATH", help="the database file"
    )
    parser.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="read the passphrase from this environment variable (passphrase mode)",
    )
    parser.add_argument(
        "--recovery-key-env",
        metavar="VAR",
        help="open with the recovery key held in this environment variable",
    )
    parser.add_argument(
        "--staff", metavar="NAME", help="the staff profile to act as (default: the first SENCO)"
    )


def open_from_args(args: argparse.Namespace) -> Store:
    """Open the database named on the command line and choose the acting staff profile."""
    passphrase = passphrase_from_env(args.passphrase_env) if args.passphrase_env else None
    recovery = None
    if getattr(args, "recovery_key_env", None):
        recovery = parse_recovery_key(os.environ.get(args.recovery_key_env, ""))
    store = open_database(args.db, passphrase=passphrase, recovery=recovery)
    profiles = staff.list_staff(store)
    if args.staff:
        chosen = staff.find_staff(store, args.staff)
    else:
        chosen = next((p for p in profiles if p.role == "senco"), profiles[0])
    staff.act_as(store, chosen)
    return store


def add_pupil_document_options(parser: argparse.ArgumentParser) -> None:
    """The options every per-pupil document command shares: --pupil UPN --out FILE."""
    parser.add_argument("--pupil", required=True, metavar="UPN", help="the pupil's UPN")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="where to write it; the format follows the extension",
    )


@contextlib.contextmanager
def opened(args: argparse.Namespace) -> Iterator[Store]:
    """The database named on the command line, closed again whatever happens."""
    store = open_from_args(args)
    try:
        yield store
    finally:
        store.close()


def write_pupil_document(args: argparse.Namespace, write: Callable[[Store, str], Path]) -> Path:
    """Open the database, find the pupil named by --pupil UPN, and write their document."""
    with opened(args) as store:
        pupil = pupils.find_by_upn(store, args.pupil)
        return write(store, pupil.id)
