"""Commands that write one pupil's documents.

The PSP and handout, the sustainability plan and the outreach summary: each calls the same
domain function as the window.
"""

from __future__ import annotations

import argparse

from semh_desktop.cli.options import add_pupil_document_options, write_pupil_document
from semh_desktop.documents import psp, sustainability_plan
from semh_desktop.exchange import outreach_summary


def handout_options(parser: argparse.ArgumentParser) -> None:
    add_pupil_document_options(parser)
    parser.add_argument(
        "--kind",
        required=True,
        choices=sorted(psp.KINDS),
        help="child: the child-friendly handout; staff: the PSP document",
    )


def cmd_handout(args: argparse.Namespace) -> int:
    written = write_pupil_document(
        args, lambda store, pupil_id: psp.write_handout(store, pupil_id, args.kind, args.out)
    )
    print(f"Wrote the {psp.KINDS[args.kind]} to {written}.")
    return 0


def sustainability_plan_options(parser: argparse.ArgumentParser) -> None:
    add_pupil_document_options(parser)
    parser.add_argument(
        "--kind",
        choices=sorted(sustainability_plan.KINDS),
        default="staff",
        help="staff (default) or parent (plain words, larger type)",
    )


def cmd_sustainability_plan(args: argparse.Namespace) -> int:
    written = write_pupil_document(
        args,
        lambda store, pupil_id: sustainability_plan.write_sustainability_plan(
            store, pupil_id, args.out, kind=args.kind
        ),
    )
    print(f"Wrote the {sustainability_plan.KINDS[args.kind]} to {written}.")
    return 0


def summary_options(parser: argparse.ArgumentParser) -> None:
    add_pupil_document_options(parser)
    parser.add_argument(
        "--pseudonymise",
        action="store_true",
        help="initials and a pseudonymous code instead of the name; no UPN or "
        "date of birth; free-text notes only if named in --include-notes",
    )
    parser.add_argument(
        "--include-notes",
        metavar="FIELD,...",
        default=None,
        help="free-text fields to include: " + ", ".join(outreach_summary.NOTE_FIELDS),
    )


def cmd_summary(args: argparse.Namespace) -> int:
    notes = (
        outreach_summary.parse_note_fields(args.include_notes)
        if args.include_notes is not None
        else None
    )
    options = outreach_summary.SummaryOptions(pseudonymise=args.pseudonymise, include_notes=notes)
    options.notes()
    outreach_summary.check_out(args.out)
    written = write_pupil_document(
        args,
        lambda store, pupil_id: outreach_summary.write_summary(store, pupil_id, args.out, options),
    )
    kind = "pseudonymised " if options.pseudonymise else ""
    print(f"Wrote the {kind}outreach summary to {written}.")
    return 0
