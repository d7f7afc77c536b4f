"""Options every command shares, and opening the database they name.

--db, --passphrase-env, --recovery-key-env and --staff.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from semh_desktop.core import keyslots
from semh_desktop.core.errors import SemhError
from semh_desktop.core.keystore import parse_recovery_key, passphrase_from_env
from semh_desktop.core.store import Store
from semh_desktop.register import audit, pupils
from semh_desktop.register.database import open_database


def add_database_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--db", type=Path, required=required, metavar="PATH", help="the database file"
    )
    parser.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="read your passphrase from this environment variable",
    )
    parser.add_argument(
        "--recovery-key-env",
        metavar="VAR",
        help="open with the recovery key held in this environment variable",
    )
    parser.add_argument(
        "--staff",
        metavar="NAME",
        help="your staff profile (default: the first profile, SENCOs first, that the "
        "passphrase opens)",
    )


def open_from_args(args: argparse.Namespace) -> Store:
    """Sign in to the database named on the command line as the profile it names.

    The passphrase opens that profile's key slot (or, without --staff, the first profile
    whose slot it opens); the recovery key opens the file as --staff or the first SENCO.
    """
    passphrase = passphrase_from_env(args.passphrase_env) if args.passphrase_env else None
    recovery = None
    if getattr(args, "recovery_key_env", None):
        recovery = parse_recovery_key(os.environ.get(args.recovery_key_env, ""))
    store = open_database(
        args.db, passphrase=passphrase, recovery=recovery, staff_name=args.staff or None
    )
    if not getattr(args, "one_time_allowed", False) and _must_change(store):
        store.close()
        raise SemhError(
            "You are signing in with a one-time passphrase: choose your own first, with "
            "`semh-desktop passphrase --new-passphrase-env VAR` (or in the window)."
        )
    if store.converted_recovery_key:
        print(
            "This database now has a passphrase for each member of staff, and a new key.\n"
            f"Recovery key: {store.converted_recovery_key}\n"
            "(shown once: print it or store it somewhere safe, away from the laptop)",
            file=sys.stderr,
        )
    return store


def _must_change(store: Store) -> bool:
    if store.path is None or store.staff_id is None or store.opened_by == "recovery":
        return False
    slots = keyslots.load(store.path)
    slot = slots.slot_for(store.staff_id) if slots else None
    return slot is not None and slot.must_change


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
        # The audit checkpoint beside the file, so the last rows cannot be cut off unseen.
        checkpoint = getattr(audit, "checkpoint", None)
        if checkpoint is not None and store.is_open:
            with contextlib.suppress(SemhError):
                checkpoint(store)
        store.close()


def write_pupil_document(args: argparse.Namespace, write: Callable[[Store, str], Path]) -> Path:
    """Open the database, find the pupil named by --pupil UPN, and write their document."""
    with opened(args) as store:
        pupil = pupils.find_by_upn(store, args.pupil)
        return write(store, pupil.id)
