"""The command line: `semh-desktop` starts the window; sub-commands serve scripts and tests.

Every command takes --db PATH, --staff NAME and --passphrase-env VAR (or --recovery-key-env
VAR): each person signs in with their own passphrase. Errors print one plain line and exit
non-zero; no personal data is printed beyond what was asked for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from semh_desktop import __version__
from semh_desktop.cli import audit as audit_cli
from semh_desktop.cli import backup as backup_cli
from semh_desktop.cli import documents, reporting
from semh_desktop.cli import graduated as gr_cli
from semh_desktop.cli import staff as staff_cli
from semh_desktop.cli.importing import add_import_options, cmd_import
from semh_desktop.cli.options import add_database_options
from semh_desktop.core import hardening
from semh_desktop.core.errors import SemhError
from semh_desktop.core.keystore import Passphrase, passphrase_from_env
from semh_desktop.core.locations import default_database
from semh_desktop.core.store import Store
from semh_desktop.demo import school as demo
from semh_desktop.register.database import create_database

Handler = Callable[[argparse.Namespace], int]


def _passphrase(args: argparse.Namespace) -> Passphrase:
    if not args.passphrase_env:
        raise SemhError(
            "Give the first SENCO's passphrase in an environment variable: "
            "--passphrase-env VAR (at least 8 characters)."
        )
    return passphrase_from_env(args.passphrase_env)


def _new_database(
    args: argparse.Namespace, staff_name: str, *, demo: bool = False
) -> tuple[Store, str]:
    created = create_database(
        args.db, staff_name=staff_name, role="senco", passphrase=_passphrase(args), demo=demo
    )
    return created.store, created.recovery_key


def _print_recovery_key(key: str) -> None:
    # Scripts read the line that begins "Recovery key:"; people read the advice after it.
    print(f"Recovery key: {key}")
    print("  (shown once: print it or store it somewhere safe, away from the laptop)")


def cmd_init(args: argparse.Namespace) -> int:
    store, key = _new_database(args, args.staff or "SENCO")
    store.close()
    print(f"Created an encrypted database at {args.db}, with {args.staff or 'SENCO'} as its SENCO.")
    _print_recovery_key(key)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store, key = _new_database(args, demo.STAFF[0][0], demo=True)
    summary = demo.build_demo(store, passphrase=_passphrase(args).text)
    store.close()
    print(
        f"Built the demo school at {args.db}: {summary.pupils} fictional pupils, "
        f"{summary.on_register} on the SEMH register, {summary.staff} staff profiles "
        "(each signs in with the passphrase given)."
    )
    _print_recovery_key(key)
    return 0


# The window lives in the `ui` package, which the domain never imports: the launcher
# (ui/app/launcher.py, the console script) hands its starter in here.
WindowStarter = Callable[[Path | None, str | None, bool], int]


def _no_window(db: Path | None, passphrase_env: str | None, demo: bool) -> int:
    raise SemhError("The application window is not installed; run `python -m ui.app.launcher`.")


_start_window: WindowStarter = _no_window


def cmd_gui(args: argparse.Namespace) -> int:
    return _start_window(args.db, args.passphrase_env, args.demo)


# Later features add their commands here: (name, help, options, handler).
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("init", "create a new encrypted database", lambda p: None, cmd_init),
    ("demo", "build the fictional demo school in a new database", lambda p: None, cmd_demo),
    (
        "evidence-pack",
        "write a pupil's graduated-response evidence pack (PDF)",
        gr_cli.evidence_pack_options,
        gr_cli.cmd_evidence_pack,
    ),
    (
        "template-export",
        "write the school's graduated-response template to a .json file",
        gr_cli.template_export_options,
        gr_cli.cmd_template_export,
    ),
    (
        "template-import",
        "adopt a graduated-response template from a .json file",
        gr_cli.template_import_options,
        gr_cli.cmd_template_import,
    ),
    (
        "handout",
        "write a pupil's PSP document (--kind staff) or child handout (--kind child) as PDF",
        documents.handout_options,
        documents.cmd_handout,
    ),
    (
        "import",
        "import pupils from an MIS export (.csv) or a Common Transfer File (.xml)",
        add_import_options,
        cmd_import,
    ),
    (
        "sustainability-plan",
        "write a pupil's sustainability plan as PDF (--kind staff|parent)",
        documents.sustainability_plan_options,
        documents.cmd_sustainability_plan,
    ),
    (
        "report",
        "write the cohort impact report for an academic year (.pdf or .csv; figures only)",
        reporting.report_options,
        reporting.cmd_report,
    ),
    (
        "summary",
        "write a pupil's outreach summary (.pdf or .json; --pseudonymise)",
        documents.summary_options,
        documents.cmd_summary,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semh-desktop",
        description="SEMH Desktop. With no command, starts the application window.",
    )
    parser.add_argument("--version", action="version", version=f"SEMH Desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="start the application window (the default)")
    add_database_options(gui, required=False)
    gui.add_argument(
        "--demo",
        action="store_true",
        help="open the demo school, building it first if there is no database yet",
    )
    gui.set_defaults(handler=cmd_gui)
    for name, help_text, options, handler in COMMANDS:
        command = sub.add_parser(name, help=help_text)
        add_database_options(command)
        options(command)
        command.set_defaults(handler=handler)
    staff_cli.add_commands(sub)
    audit_cli.add_commands(sub)
    backup_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, start_window: WindowStarter | None = None) -> int:
    global _start_window
    # Before anything is read: a crash must never write pupils' data or a passphrase to a core
    # file (the window and every command start here).
    hardening.disable_core_dumps()
    if start_window is not None:
        _start_window = start_window
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("--") and argv[0] not in ("--version", "-h", "--help")):
        argv = ["gui", *argv]
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SemhError as exc:
        print(f"semh-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as command-line tools do.
        sys.stderr.close()
        return 0


def default_db_path() -> Path:
    return default_database()


if __name__ == "__main__":
    raise SystemExit(main())
