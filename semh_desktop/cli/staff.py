"""`semh-desktop staff add|list|disable|reset` (SENCO) and `semh-desktop passphrase` (anyone).

New and reset passphrases are one-time: the person chooses their own at first sign-in. They
are read from environment variables, never from the command line, where `ps` would show them.
"""

from __future__ import annotations

import argparse

from semh_desktop.cli.options import add_database_options, opened
from semh_desktop.core import keyslots
from semh_desktop.core.keystore import passphrase_from_env
from semh_desktop.register import sign_in, staff

ROLE_NAMES = {"senco": "senco", "pastoral": "pastoral", "read-only": "read_only"}


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("staff", help="add, list, disable or reset staff profiles (SENCO)")
    actions = parser.add_subparsers(dest="staff_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a profile with a one-time passphrase")
    add_database_options(add)
    add.add_argument("--name", required=True, help="the new profile's name")
    add.add_argument("--role", required=True, choices=sorted(ROLE_NAMES), help="its role")
    add.add_argument(
        "--new-passphrase-env",
        required=True,
        metavar="VAR",
        help="the environment variable holding the one-time passphrase to give the person",
    )
    add.set_defaults(handler=cmd_add)

    listing = actions.add_parser("list", help="list current profiles")
    add_database_options(listing)
    listing.set_defaults(handler=cmd_list)

    disable = actions.add_parser("disable", help="disable a profile (its passphrase stops working)")
    add_database_options(disable)
    disable.add_argument("--name", required=True, help="the profile to disable")
    disable.set_defaults(handler=cmd_disable)

    reset = actions.add_parser("reset", help="give a profile a new one-time passphrase")
    add_database_options(reset)
    reset.add_argument("--name", required=True, help="the profile whose passphrase is forgotten")
    reset.add_argument("--new-passphrase-env", required=True, metavar="VAR")
    reset.set_defaults(handler=cmd_reset)

    # Changing one's own passphrase is everyone's, not a SENCO's: a command of its own.
    own = sub.add_parser("passphrase", help="change your own passphrase")
    add_database_options(own)
    own.add_argument(
        "--new-passphrase-env",
        required=True,
        metavar="VAR",
        help="the environment variable holding your new passphrase (at least 8 characters)",
    )
    own.set_defaults(handler=cmd_passphrase, one_time_allowed=True)


def cmd_add(args: argparse.Namespace) -> int:
    one_time = passphrase_from_env(args.new_passphrase_env).text
    with opened(args) as store:
        person = staff.add_staff(store, args.name, ROLE_NAMES[args.role], one_time)
    print(
        f"Added {person.name} ({person.role_label}). Give them the one-time passphrase; "
        "they choose their own when they first sign in."
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with opened(args) as store:
        people = staff.list_staff(store)
        slots = keyslots.load(store.path) if store.path else None
    for person in people:
        slot = slots.slot_for(person.id) if slots else None
        state = (
            "no passphrase"
            if slot is None
            else ("one-time passphrase" if slot.must_change else "can sign in")
        )
        print(f"{person.name}\t{person.role_label}\t{state}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    with opened(args) as store:
        person = staff.find_staff(store, args.name)
        staff.disable_staff(store, person.id)
    print(f"Disabled {person.name}: their passphrase no longer opens the database.")
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    new = passphrase_from_env(args.new_passphrase_env).text
    current = passphrase_from_env(args.passphrase_env).text if args.passphrase_env else ""
    with opened(args) as store:
        sign_in.change_own_passphrase(store, current, new)
    print("Your passphrase has been changed.")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    one_time = passphrase_from_env(args.new_passphrase_env).text
    with opened(args) as store:
        person = staff.find_staff(store, args.name)
        staff.reset_passphrase(store, person.id, one_time)
    print(f"{person.name} has a new one-time passphrase; they choose their own at sign-in.")
    return 0
