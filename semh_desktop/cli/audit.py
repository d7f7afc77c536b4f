"""`semh-desktop audit verify` and `semh-desktop audit export`: checking and reading the trail."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from semh_desktop.cli.options import add_database_options, opened
from semh_desktop.core.dates import parse_date
from semh_desktop.register import audit, audit_export, pupils


def add_commands(subparsers: Any) -> None:
    """Add `audit verify` and `audit export` under `subparsers` (the main parser's)."""
    group = subparsers.add_parser("audit", help="check the audit trail or export it as CSV")
    commands = group.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = commands.add_parser(
        "verify", help="check that no entry of the audit trail was changed or removed"
    )
    add_database_options(verify)
    verify.set_defaults(handler=cmd_verify)
    export = commands.add_parser("export", help="write the audit trail (or part of it) as CSV")
    add_database_options(export)
    export.add_argument("--out", required=True, type=Path, metavar="FILE.csv")
    export.add_argument("--pupil", metavar="UPN", help="only entries about this pupil")
    export.add_argument("--action", choices=audit.ACTIONS, help="only entries of this action")
    export.add_argument("--from", dest="date_from", metavar="DATE", help="from this day")
    export.add_argument("--to", dest="date_to", metavar="DATE", help="up to this day")
    export.set_defaults(handler=cmd_export)


def cmd_verify(args: argparse.Namespace) -> int:
    with opened(args) as store:
        report = audit.verify(store)
        outcome = "whole" if report.ok else f"broken at entry {report.first_bad_seq}"
        audit.record(store, "verify", "audit", None, f"{outcome}, {report.checked} checked")
    print(report.summary)
    if not report.ok:
        print("Tell your data protection officer, and keep this file and its backups as they are.")
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    date_from = parse_date(args.date_from, field="from") if args.date_from else None
    date_to = parse_date(args.date_to, field="to") if args.date_to else None
    with opened(args) as store:
        pupil_id = pupils.find_by_upn(store, args.pupil).id if args.pupil else None
        count = audit_export.export_csv(
            store,
            args.out,
            pupil_id=pupil_id,
            action=args.action,
            date_from=date_from,
            date_to=date_to,
        )
    print(f"Wrote {count} audit entries to {args.out}.")
    return 0
