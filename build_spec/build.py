"""Build the installable app: dist/semh-desktop/ (one folder) and a .zip of it to hand out.

The same command on Linux, Windows and macOS, from the repository folder, with the project
installed with its build extra:

    python -m pip install -e .[build]
    python build_spec/build.py

It runs PyInstaller on build_spec/semh_desktop.spec from scratch (--clean), then prints the
build time and the bundle's size (unpacked and zipped). Then run build_spec/smoke_test.py.
Options: --no-zip skips the archive.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_spec" / "semh_desktop.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"


def project() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {"name": data["name"], "version": data["version"]}


def bundle_dir() -> Path:
    """The folder PyInstaller made (macOS also makes "SEMH Desktop.app" beside it)."""
    return DIST / project()["name"]


def folder_size(path: Path) -> tuple[int, int]:
    """Bytes and number of files, counting each file once (symbolic links are not followed)."""
    total = files = 0
    for item in path.rglob("*"):
        if item.is_file() and not item.is_symlink():
            total += item.stat().st_size
            files += 1
    return total, files


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def reproducible_env() -> dict[str, str]:
    """Fixed hash seed and timestamps so that two builds of one commit match more closely."""
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    if "SOURCE_DATE_EPOCH" not in env:
        try:
            stamp = subprocess.run(
                ["git", "log", "-1", "--format=%ct"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            stamp = ""
        if stamp:
            env["SOURCE_DATE_EPOCH"] = stamp
    return env


def zip_bundle(folder: Path, target: Path) -> int:
    """Zip the app folder (symbolic links stored as links, as unzip and Finder restore them)."""
    target.unlink(missing_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for item in sorted(folder.rglob("*")):
            name = str(Path(folder.name) / item.relative_to(folder))
            if item.is_symlink():
                info = zipfile.ZipInfo(name)
                info.create_system = 3  # Unix, so the mode below marks a link
                info.external_attr = 0o120777 << 16
                archive.writestr(info, os.readlink(item))
            elif item.is_file():
                archive.write(item, name)
    return target.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-zip", action="store_true", help="do not make the .zip")
    args = parser.parse_args(argv)
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print(
            "PyInstaller is not installed here: run  python -m pip install -e .[build]",
            file=sys.stderr,
        )
        return 1
    meta = project()
    print(
        f"Building {meta['name']} {meta['version']} for {sys.platform} "
        f"({platform.machine()}), Python {platform.python_version()}",
        flush=True,
    )
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        str(SPEC),
    ]
    result = subprocess.run(command, cwd=ROOT, env=reproducible_env(), check=False)
    if result.returncode != 0:
        print(f"PyInstaller failed (exit {result.returncode}).", file=sys.stderr)
        return result.returncode
    elapsed = time.monotonic() - started
    folder = bundle_dir()
    size, files = folder_size(folder)
    print(f"Built {folder.relative_to(ROOT)} in {elapsed:.0f} s")
    print(f"Bundle size: {mib(size)} unpacked ({files} files)")
    if sys.platform == "darwin":
        app = DIST / "SEMH Desktop.app"
        if app.exists():
            print(f"macOS app: {app.relative_to(ROOT)} ({mib(folder_size(app)[0])})")
    if not args.no_zip:
        target = DIST / f"{meta['name']}-{meta['version']}-{sys.platform}-{platform.machine()}.zip"
        zipped = zip_bundle(folder, target)
        print(f"Bundle size: {mib(zipped)} zipped ({target.relative_to(ROOT)})")
    print(f"Build time: {time.monotonic() - started:.0f} s in all", flush=True)
    shutil.rmtree(WORK, ignore_errors=True)  # intermediate files; the next build is --clean
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
