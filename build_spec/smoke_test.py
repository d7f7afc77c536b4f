"""Smoke test of the frozen build (dist/semh-desktop/), run after build_spec/build.py.

Run it with the Python that built the bundle (the project installed in it, not frozen):

    python build_spec/smoke_test.py [--dist dist/semh-desktop]

It checks, printing one line per check and exiting non-zero on the first failure, that the
built executable
  1. prints its version (the one in pyproject.toml);
  2. creates the demo school in a new database with a passphrase;
  3. writes PDFs from the command line (the evidence pack and the child's handout);
  4. opens a database made by the ordinary (non-frozen) app, and the ordinary app opens the
     one it made: the two are interchangeable;
  5. starts the window offscreen, opens the database with its passphrase and keeps running,
     with no error on stderr, until it is stopped;
and that the bundle carries what it must (migrations, resources, licences, the keyring
backends for this OS, every bundled library listed in Help > About) and none of the Qt modules
the spec excludes. Everything happens in a temporary folder (SEMH_DESKTOP_HOME points there).

The frozen app has no test switches, so it is not driven from here: unlocking, opening a pupil,
locking and the screenshots are the end-to-end tests' job (tests/e2e/app_window.py drives the
same window code in the ordinary app under Xvfb).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE_ENV = "SEMH_SMOKE_PASSPHRASE"
PASSPHRASE = "smoke test passphrase, fictional data only"
TIMEOUT = 300  # seconds for any one run of the executable; the window must quit well before
WINDOW_UP_SECONDS = 5  # the window must still be running this long after opening the database

# Qt modules the app does not use; if any of these is in the bundle, the spec's exclusions
# have stopped working (see build_spec/semh_desktop.spec).
QT_ABSENT = (
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Network",
    "Qt6WebEngine",
    "Qt63D",
    "Qt6Multimedia",
    "Qt6Pdf",
    "Qt6Designer",
    "Qt6Sql",
    "Qt6Test",
    "Qt6Charts",
    "Qt6Positioning",
)

Check = Callable[[], str]


class SmokeFailure(Exception):
    pass


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


class Frozen:
    """The built executables: `cli` for commands, `gui` for the window.

    They are one file except on Windows, where the window's executable has no console.
    """

    def __init__(self, folder: Path) -> None:
        suffix = ".exe" if sys.platform == "win32" else ""
        self.folder = folder
        self.gui = folder / f"semh-desktop{suffix}"
        twin = folder / f"semh-desktop-cli{suffix}"
        self.cli = twin if twin.exists() else self.gui
        self.internal = folder / "_internal"
        if not self.gui.exists():
            raise SmokeFailure(f"no executable at {self.gui}: run build_spec/build.py first")


def run(
    command: Sequence[str | Path], env: dict[str, str], *, what: str, timeout: int = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(c) for c in command],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeFailure(f"{what}: still running after {timeout} s") from exc
    if done.returncode != 0 or "Traceback" in done.stderr:
        raise SmokeFailure(
            f"{what}: exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
    print(f"    ({time.monotonic() - started:.1f} s)", end="")
    return done


def check_pdf(path: Path) -> str:
    """A real PDF with text (staff documents are marked Confidential; a child's handout not)."""
    if not path.is_file() or path.read_bytes()[:5] != b"%PDF-":
        raise SmokeFailure(f"{path} is not a PDF")
    try:
        from pypdf import PdfReader
    except ImportError:
        return f"{path.name}: {path.stat().st_size} bytes"
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if len(text.split()) < 20:
        raise SmokeFailure(f"{path}: hardly any text ({text[:200]!r})")
    if "evidence-pack" in path.name and "confidential" not in text.lower():
        raise SmokeFailure(f"{path}: no 'Confidential' marking in its text")
    return f"{path.name}: {len(reader.pages)} page(s), {len(text.split())} words"


def register_upns(db: Path) -> list[str]:
    """The UPNs of the demo school's SEMH register, read by the ordinary (non-frozen) code."""
    from semh_desktop.core.keystore import Passphrase
    from semh_desktop.register import pupils
    from semh_desktop.register.database import open_database

    store = open_database(db, passphrase=Passphrase(PASSPHRASE))
    try:
        return [row.upn for row in pupils.caseload(store)]
    finally:
        store.close()


def ordinary_cli(argv: list[str]) -> int:
    """Run a command of the ordinary app in this process, quietly; its exit status."""
    from semh_desktop.cli import main as cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(argv)


def document_commands() -> list[tuple[str, list[str]]]:
    """The per-pupil PDF commands this version has (the smoke test uses whichever exist)."""
    from semh_desktop.cli import main as cli

    names = {name for name, *_ in cli.COMMANDS}
    wanted = [("evidence-pack", ["evidence-pack"]), ("handout", ["handout", "--kind", "child"])]
    found = [(name, argv) for name, argv in wanted if name in names]
    if not found:
        raise SmokeFailure(f"no document command among {sorted(names)}")
    return found


def pupil_for(db: Path, argv: list[str], out: Path) -> str:
    """The first pupil on the register for whom the ordinary app writes this document."""
    for upn in register_upns(db):
        command = [
            *argv,
            "--db",
            str(db),
            "--passphrase-env",
            PASSPHRASE_ENV,
            "--pupil",
            upn,
            "--out",
            str(out),
        ]
        if ordinary_cli(command) == 0:
            return upn
    raise SmokeFailure(f"no pupil on the register of {db.name} for: {' '.join(argv)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke test of the frozen build.")
    parser.add_argument(
        "--dist",
        type=Path,
        default=ROOT / "dist" / "semh-desktop",
        help="the bundle folder (default: dist/semh-desktop)",
    )
    args = parser.parse_args(argv)
    frozen = Frozen(args.dist.resolve())
    with tempfile.TemporaryDirectory(prefix="semh-smoke-") as temp:
        work = Path(temp)
        env = dict(os.environ)
        env.update(
            {
                PASSPHRASE_ENV: PASSPHRASE,
                "SEMH_DESKTOP_HOME": str(work / "home"),
                "QT_QPA_PLATFORM": "offscreen",
            }
        )
        os.environ.update({PASSPHRASE_ENV: PASSPHRASE, "SEMH_DESKTOP_HOME": str(work / "home")})
        checks = build_checks(frozen, work, env)
        for number, (title, check) in enumerate(checks, start=1):
            print(f"[{number}/{len(checks)}] {title}", end="", flush=True)
            try:
                detail = check()
            except SmokeFailure as exc:
                print(f"\nFAILED: {title}\n{exc}", file=sys.stderr)
                return 1
            print(f" ok{': ' + detail if detail else ''}", flush=True)
    print(f"{len(checks)} passed, 0 failed")
    return 0


def build_checks(frozen: Frozen, work: Path, env: dict[str, str]) -> list[tuple[str, Check]]:
    frozen_db = work / "made-by-frozen.db"
    ordinary_db = work / "made-by-ordinary.db"
    db_options = ["--passphrase-env", PASSPHRASE_ENV]
    documents = document_commands()
    chosen: dict[str, str] = {}

    def version() -> str:
        done = run([frozen.cli, "--version"], env, what="--version")
        expected = f"SEMH Desktop {project_version()}"
        if done.stdout.strip() != expected:
            raise SmokeFailure(f"--version printed {done.stdout.strip()!r}, not {expected!r}")
        return done.stdout.strip()

    def frozen_demo() -> str:
        done = run([frozen.cli, "demo", "--db", frozen_db, *db_options], env, what="demo")
        if not frozen_db.is_file():
            raise SmokeFailure("demo said it worked but made no database file")
        return done.stdout.strip().splitlines()[0]

    def ordinary_opens_frozen() -> str:
        written = []
        for name, argv in documents:
            out = work / f"ordinary-{name}.pdf"
            chosen[name] = pupil_for(frozen_db, argv, out)
            written.append(check_pdf(out))
        return "; ".join(written)

    def frozen_documents() -> str:
        written = []
        for name, argv in documents:
            out = work / f"frozen-{name}.pdf"
            run(
                [
                    frozen.cli,
                    *argv,
                    "--db",
                    frozen_db,
                    *db_options,
                    "--pupil",
                    chosen[name],
                    "--out",
                    out,
                ],
                env,
                what=name,
            )
            written.append(check_pdf(out))
        return "; ".join(written)

    def frozen_opens_ordinary() -> str:
        # The ordinary app exactly as installed: the console script's entry point.
        run(
            [sys.executable, "-m", "ui.app.launcher", "demo", "--db", ordinary_db, *db_options],
            env,
            what="ordinary demo",
        )
        written = []
        for name, argv in documents:
            upn = pupil_for(ordinary_db, argv, work / f"pick-{name}.pdf")
            out = work / f"frozen-from-ordinary-{name}.pdf"
            run(
                [frozen.cli, *argv, "--db", ordinary_db, *db_options, "--pupil", upn, "--out", out],
                env,
                what=f"{name} on the ordinary app's database",
            )
            written.append(check_pdf(out))
        return "; ".join(written)

    def window() -> str:
        return check_window(frozen, frozen_db, db_options, env)

    def contents() -> str:
        return check_contents(frozen)

    return [
        ("--version", version),
        ("demo school with a passphrase (frozen)", frozen_demo),
        ("ordinary app opens the frozen app's database", ordinary_opens_frozen),
        ("PDFs from the command line (frozen)", frozen_documents),
        ("frozen app opens the ordinary app's database", frozen_opens_ordinary),
        ("window offscreen: opens the database and stays up", window),
        ("bundle contents", contents),
    ]


def check_window(frozen: Frozen, db: Path, db_options: Sequence[str], env: dict[str, str]) -> str:
    """The window starts, opens the database (its WAL index appears) and stays up."""
    shm = Path(f"{db}-shm")
    shm.unlink(missing_ok=True)  # made again only when the window's connection opens the file
    started = time.monotonic()
    with subprocess.Popen(
        [str(c) for c in [frozen.gui, "gui", "--db", db, *db_options]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            while not shm.exists():
                if process.poll() is not None:
                    break
                if time.monotonic() - started > TIMEOUT:
                    raise SmokeFailure(f"window: the database was not opened in {TIMEOUT} s")
                time.sleep(0.2)
            time.sleep(WINDOW_UP_SECONDS)  # long enough for the window to be built and shown
            still_running = process.poll() is None
        finally:
            process.terminate()
            _stdout, stderr = process.communicate(timeout=60)
    if not still_running:
        raise SmokeFailure(f"window: quit by itself (exit {process.returncode})\n{stderr}")
    if "Traceback" in stderr:
        raise SmokeFailure(f"window: an error on stderr\n{stderr}")
    return f"up with the database open after {time.monotonic() - started:.1f} s; stopped"


def bundled_modules(frozen: Frozen) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    pyz = CArchiveReader(str(frozen.cli)).open_embedded_archive("PYZ.pyz")
    return set(pyz.toc)


def check_contents(frozen: Frozen) -> str:
    from importlib.metadata import packages_distributions

    from semh_desktop.core import components

    internal = frozen.internal
    problems: list[str] = []
    migrations = sorted(p.name for p in (internal / "db").glob("*.sql"))
    source_migrations = sorted(p.name for p in (ROOT / "db").glob("*.sql"))
    if migrations != source_migrations:
        problems.append(f"db/ holds {migrations}, the source tree {source_migrations}")
    for needed in (
        "resources/icons/app.svg",
        "resources/fonts/DejaVuSans.ttf",
        "resources/fonts/LICENSE-DejaVu.txt",
        "licenses/LGPL-3.0.txt",
        "licenses/SQLCipher-LICENSE.txt",
    ):
        if not (internal / needed).is_file():
            problems.append(f"missing {needed}")

    modules = bundled_modules(frozen)
    backends = {
        "linux": "keyring.backends.SecretService",
        "win32": "keyring.backends.Windows",
        "darwin": "keyring.backends.macOS",
    }
    backend = next((b for p, b in backends.items() if sys.platform.startswith(p)), None)
    for name in ("sqlcipher3.dbapi2", "keyring.backends.chainer", backend):
        if name and name not in modules:
            problems.append(f"module {name} is not in the bundle")
    if not list(internal.glob("keyring-*.dist-info/entry_points.txt")):
        problems.append("keyring's entry points (how it finds its backends) are missing")

    # Every distribution frozen in must be accounted for in Help > About.
    owners = packages_distributions()
    tops = {m.split(".")[0] for m in modules} | {
        p.name.split(".")[0] for p in internal.iterdir() if p.suffix in (".so", ".pyd")
    }
    bundled = {components.normalise(d) for top in tops for d in owners.get(top, [])}
    bundled -= {"semh-desktop", "pyinstaller"}
    unlisted = bundled - components.listed_distributions()
    if unlisted:
        problems.append(f"bundled but not in semh_desktop/components.py: {sorted(unlisted)}")

    qt_files = [p.name for p in internal.rglob("*Qt6*")] + [p.name for p in internal.rglob("Qt*")]
    present = sorted({name for name in qt_files for absent in QT_ABSENT if absent in name})
    if present:
        problems.append(f"excluded Qt modules are in the bundle: {present}")

    if sys.platform.startswith("linux"):
        problems += missing_shared_libraries(internal)
    if problems:
        raise SmokeFailure("\n".join(problems))
    return f"{len(modules)} modules, {len(bundled)} libraries all listed in About"


def missing_shared_libraries(internal: Path) -> list[str]:
    """Linux: every bundled shared library's own dependencies resolve (ldd finds them)."""
    paths = [str(internal), str(internal / "PySide6" / "Qt" / "lib")]
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(paths))
    missing: set[str] = set()
    for library in internal.rglob("*.so*"):
        if library.is_symlink() or not library.is_file():
            continue
        try:
            out = subprocess.run(
                ["ldd", str(library)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
        except OSError:
            return []  # no ldd: nothing to check with
        for match in re.finditer(r"^\s*(\S+) => not found", out, re.MULTILINE):
            missing.add(f"{library.relative_to(internal)} needs {match.group(1)}")
    return sorted(missing)


if __name__ == "__main__":
    raise SystemExit(main())
