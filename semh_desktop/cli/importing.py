"""`semh-desktop import`: preview, then import, pupils from an MIS CSV export or a CTF (XML).

Prints the same preview as the window (counts, each update's changed fields, each error's line,
field and reason), naming pupils only by UPN and place in the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from semh_desktop.cli.options import open_from_args
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.csv_pupils import (
    CsvTable,
    load_mapping_file,
    suggested_mapping,
)
from semh_desktop.exchange.mis_import.fields import NOT_IMPORTED_LABEL, label


def add_import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="the MIS export (.csv) or Common Transfer File (.xml)",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE.json",
        help='CSV only: a JSON object {"Column header": "field"} that overrides '
        "the guessed mapping for the columns it names",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the preview and import nothing"
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="put new pupils on the SEMH register (by default they are not: "
        "an MIS export is the whole school)",
    )


def cmd_import(args: argparse.Namespace) -> int:
    source = pupil_import.read_import_file(args.file)
    store = open_from_args(args)
    try:
        mapping = None
        if isinstance(source, CsvTable):
            suggestion = suggested_mapping(store, source.headers)
            mapping = suggestion.fields
            if args.mapping:
                mapping = load_mapping_file(args.mapping, source.headers, mapping)
            how = (
                "from --mapping"
                if args.mapping
                else "remembered from the last import"
                if suggestion.remembered
                else "guessed"
            )
            print(f"Columns ({how}):")
            for header, field in zip(source.headers, mapping, strict=True):
                shown = label(field) if field else NOT_IMPORTED_LABEL
                print(f"  {header or '(no header)'} -> {shown}")
        elif args.mapping:
            print("(--mapping is for CSV files; a Common Transfer File names its own fields.)")
        preview = pupil_import.preview_import(
            store, source, mapping=mapping, on_register=args.register
        )
        for line in pupil_import.preview_lines(preview):
            print(line)
        if args.dry_run:
            print("Dry run: nothing was imported.")
            return 0
        result = pupil_import.apply_import(store, preview)
    finally:
        store.close()
    register = (
        "on the SEMH register"
        if args.register
        else "not on the SEMH register (use --register to add them)"
    )
    print(
        f"Imported: {result.detail}." + (f" New pupils are {register}." if result.created else "")
    )
    return 0
