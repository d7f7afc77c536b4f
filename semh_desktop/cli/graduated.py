"""Command-line entries for the graduated response: the evidence pack and template files."""

from __future__ import annotations

import argparse
from pathlib import Path

from semh_desktop.cli.options import add_pupil_document_options, opened, write_pupil_document
from semh_desktop.documents import evidence_pack
from semh_desktop.graduated import templates as gr_templates


def evidence_pack_options(parser: argparse.ArgumentParser) -> None:
    add_pupil_document_options(parser)


def cmd_evidence_pack(args: argparse.Namespace) -> int:
    written = write_pupil_document(
        args, lambda store, pupil_id: evidence_pack.write_evidence_pack(store, pupil_id, args.out)
    )
    print(f"Wrote the graduated response evidence pack to {written}.")
    return 0


def template_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="the .json file to write the school's template to",
    )


def cmd_template_export(args: argparse.Namespace) -> int:
    with opened(args) as store:
        written = gr_templates.export_template(store, args.out)
        version = gr_templates.current_template(store)
    print(f"Wrote {version.label} to {written}.")
    return 0


def template_import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="a graduated-response template (.json) to adopt as the school's",
    )


def cmd_template_import(args: argparse.Namespace) -> int:
    with opened(args) as store:
        installed = gr_templates.import_template(store, args.file)
    template = installed.template
    print(
        f"Imported '{template.name}': {len(template.phases)} phases, "
        f"{template.item_count} checklist items. It is now the school's template."
    )
    return 0
