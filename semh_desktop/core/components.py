"""What SEMH Desktop is built from: each bundled component, its version and its licence.

Help > About shows this table, and the build's smoke test checks that every Python
distribution frozen into the installable app appears in it. Each licence was read from the
component's own package metadata or licence file; `evidence` is the words in that metadata or
file that say so, and tests/test_components.py checks them against what is installed, so an
upgrade that changes a licence fails the tests instead of silently making About wrong.
"""

from __future__ import annotations

import contextlib
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from semh_desktop import __version__
from semh_desktop.core.paths import ROOT


@dataclass(frozen=True)
class Component:
    name: str
    licence: str
    distributions: tuple[str, ...] = ()  # PyPI names: the version, and what the build checks
    evidence: str = ""  # words found in the installed metadata or licence file
    platform: str = ""  # "linux", "win32" or "darwin" when only bundled there
    key: str = ""  # for versions that come from the running program, not from metadata
    supporting: bool = False  # a library another component needs, listed in the second table


COMPONENTS: tuple[Component, ...] = (
    Component("Python", "Python Software Foundation License 2.0", key="python"),
    Component("Qt 6", "GNU LGPL v3", ("PySide6-Essentials",), "LGPL-3.0", key="qt"),
    Component(
        "PySide6 and Shiboken6 (Qt for Python)",
        "GNU LGPL v3",
        ("PySide6-Essentials", "PySide6", "shiboken6"),
        "LGPL-3.0",
    ),
    # SQLCipher's licence is not in the sqlcipher3 wheel's metadata; it is the upstream
    # LICENSE.md (BSD 3-clause, Zetetic LLC), shipped as licenses/SQLCipher-LICENSE.txt.
    Component("SQLCipher (Zetetic LLC)", "BSD 3-clause", key="sqlcipher"),
    Component("SQLite", "Public domain", key="sqlite"),
    Component("OpenSSL (inside SQLCipher)", "Apache License 2.0", key="openssl"),
    Component("sqlcipher3", "zlib licence", ("sqlcipher3",), "provided 'as-is'"),
    Component("sqlite-utils", "Apache License 2.0", ("sqlite-utils",), "Apache-2.0"),
    Component("ReportLab", "BSD licence", ("reportlab",), "BSD"),
    Component("keyring", "MIT", ("keyring",), "MIT"),
    Component("python-stdnum", "GNU LGPL v2.1 or later", ("python-stdnum",), "LGPLv2+"),
    Component("DejaVu fonts", "Bitstream Vera licence, changes in the public domain", key="fonts"),
    Component(
        "PyInstaller bootloader", "GPL v2 or later, with the bootloader exception", key="bootloader"
    ),
    # Libraries the components above depend on.
    Component(
        "defusedxml",
        "PSF License 2.0",
        ("defusedxml",),
        "Python Software Foundation",
        supporting=True,
    ),
    Component("Pillow", "MIT-CMU (HPND)", ("pillow",), "MIT-CMU", supporting=True),
    Component("charset-normalizer", "MIT", ("charset-normalizer",), "MIT", supporting=True),
    Component("click", "BSD 3-clause", ("click",), "BSD-3-Clause", supporting=True),
    Component(
        "python-dateutil", "BSD 3-clause", ("python-dateutil",), "BSD-3-Clause", supporting=True
    ),
    # Its classifier says public domain, but its LICENSE file (the operative text) is BSD.
    Component(
        "click-default-group",
        "BSD 3-clause",
        ("click-default-group",),
        "Redistribution and use in source and binary forms",
        supporting=True,
    ),
    Component(
        "pip (installed with sqlite-utils; not in the installable app)",
        "MIT",
        ("pip",),
        "MIT",
        supporting=True,
    ),
    Component("tzdata", "Apache License 2.0", ("tzdata",), "Apache-2.0", supporting=True),
    Component(
        "sqlite-fts4", "Apache License 2.0", ("sqlite-fts4",), "Apache License", supporting=True
    ),
    Component("tabulate", "MIT", ("tabulate",), "MIT", supporting=True),
    Component("pluggy", "MIT", ("pluggy",), "MIT", supporting=True),
    Component(
        "jaraco.classes, jaraco.context, jaraco.functools",
        "MIT",
        ("jaraco.classes", "jaraco.context", "jaraco.functools"),
        "MIT",
        supporting=True,
    ),
    Component("more-itertools", "MIT", ("more-itertools",), "MIT", supporting=True),
    Component("backports.tarfile", "MIT", ("backports.tarfile",), "MIT", supporting=True),
    Component(
        "importlib_metadata",
        "Apache License 2.0",
        ("importlib_metadata",),
        "Apache-2.0",
        supporting=True,
    ),
    Component(
        "lazy-importer", "Apache License 2.0", ("lazy-importer",), "Apache-2.0", supporting=True
    ),
    Component("zipp", "MIT", ("zipp",), "MIT", supporting=True),
    Component(
        "typing_extensions", "PSF License 2.0", ("typing_extensions",), "PSF-2.0", supporting=True
    ),
    Component(
        "SecretStorage",
        "BSD 3-clause",
        ("SecretStorage",),
        "BSD-3-Clause",
        platform="linux",
        supporting=True,
    ),
    Component("jeepney", "MIT", ("jeepney",), "MIT", platform="linux", supporting=True),
    Component(
        "cryptography",
        "Apache License 2.0 or BSD 3-clause",
        ("cryptography",),
        "Apache-2.0 OR BSD-3-Clause",
        platform="linux",
        supporting=True,
    ),
    Component("cffi", "MIT No Attribution", ("cffi",), "MIT-0", platform="linux", supporting=True),
    Component(
        "pycparser",
        "BSD 3-clause",
        ("pycparser",),
        "BSD-3-Clause",
        platform="linux",
        supporting=True,
    ),
    # Not installed on Linux; read from the pywin32-ctypes 0.2.3 wheel's metadata.
    Component(
        "pywin32-ctypes",
        "BSD 3-clause",
        ("pywin32-ctypes",),
        "BSD-3-Clause",
        platform="win32",
        supporting=True,
    ),
)


@dataclass(frozen=True)
class ComponentRow:
    name: str
    version: str
    licence: str
    supporting: bool


def frozen() -> bool:
    """True inside the installable (PyInstaller) build."""
    return bool(getattr(sys, "frozen", False))


def licences_dir() -> Path:
    """The folder of licence texts: `licenses` in the installed app, build_spec/ in a clone."""
    bundled = ROOT / "licenses"
    return bundled if bundled.is_dir() else ROOT / "build_spec" / "licenses"


def distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _sqlcipher_versions() -> dict[str, str]:
    import sqlcipher3

    found: dict[str, str] = {}
    with contextlib.suppress(Exception), contextlib.closing(sqlcipher3.connect(":memory:")) as conn:
        conn.execute("PRAGMA key = 'version-probe'")  # the provider answers only once keyed
        found["sqlite"] = str(conn.execute("SELECT sqlite_version()").fetchone()[0])
        found["sqlcipher"] = str(conn.execute("PRAGMA cipher_version").fetchone()[0])
        provider = str(conn.execute("PRAGMA cipher_provider_version").fetchone()[0])
        found["openssl"] = provider.removeprefix("OpenSSL ").split(" ")[0]  # "3.6.0 1 Oct 2025"
    return found


def _bootloader_version() -> str | None:
    if not frozen():
        return None
    return distribution_version("pyinstaller") or ""


def rows(runtime_versions: Mapping[str, str] | None = None) -> list[ComponentRow]:
    """The components of this running program, with versions.

    A library is listed when its metadata is present (installed, or frozen into the bundle),
    so the installable app lists exactly what it carries. `runtime_versions` supplies versions
    only the caller can know (the window passes Qt's, key "qt").
    """
    known: dict[str, str] = {"python": platform.python_version()}
    known.update(_sqlcipher_versions())
    known.update(runtime_versions or {})
    listed: list[ComponentRow] = []
    for component in COMPONENTS:
        if component.platform and not sys.platform.startswith(component.platform):
            continue
        if component.key == "bootloader":
            version = _bootloader_version()
            if version is None:
                continue
        elif component.key:
            version = known.get(component.key, "\u2014")  # a dash: no version to show (fonts)
        else:
            versions = [v for v in map(distribution_version, component.distributions) if v]
            if not versions:
                continue
            version = versions[0]
        listed.append(
            ComponentRow(component.name, version, component.licence, component.supporting)
        )
    return listed


def listed_distributions() -> set[str]:
    """Every distribution name the table accounts for, normalised (for the build's check)."""
    return {normalise(name) for component in COMPONENTS for name in component.distributions}


def normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")


def version_line() -> str:
    return f"SEMH Desktop {__version__}"
