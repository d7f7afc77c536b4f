"""The About licence table agrees with the installed packages' own metadata."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest

from semh_desktop import __version__
from semh_desktop.core import components


def licence_evidence(distribution: str) -> str:
    """Everything a distribution says about its licence: fields, classifiers, licence files."""
    dist = metadata.distribution(distribution)
    meta = dist.metadata
    parts = [meta.get("License-Expression") or "", meta.get("License") or ""]
    parts += [c for c in (meta.get_all("Classifier") or []) if c.startswith("License")]
    for file in dist.files or []:
        own = ".dist-info" in str(file)  # not licence files of code vendored inside it
        if own and any(word in file.name.upper() for word in ("LICENSE", "LICENCE", "COPYING")):
            parts.append(file.locate().read_text(encoding="utf-8", errors="replace")[:3000])
    return "\n".join(parts)


CHECKED = [c for c in components.COMPONENTS if c.distributions and c.evidence]


@pytest.mark.parametrize("component", CHECKED, ids=[c.name for c in CHECKED])
def test_each_listed_licence_is_what_the_package_itself_says(component):
    installed = [d for d in component.distributions if components.distribution_version(d)]
    if not installed:
        if component.platform and not sys.platform.startswith(component.platform):
            pytest.skip(f"{component.name} is bundled only on {component.platform}")
        pytest.fail(f"{component.name} is listed but not installed: update the table")
    for distribution in installed:
        assert component.evidence.lower() in licence_evidence(distribution).lower(), (
            f"{distribution}'s metadata no longer says {component.evidence!r}; "
            f"check its licence and update semh_desktop/components.py"
        )


def test_every_runtime_dependency_of_the_app_is_listed():
    """Walk the installed requirements from semh-desktop down (this OS, no extras)."""
    seen: set[str] = set()
    todo = ["semh-desktop"]
    while todo:
        name = components.normalise(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for requirement in metadata.requires(name) or []:
            text, _, marker = requirement.partition(";")
            if "extra" in marker:
                continue
            if marker and not _marker_holds(marker):
                continue
            base = text.split("[")[0]
            for stop in "<>=!~ (":
                base = base.split(stop)[0]
            if components.distribution_version(base.strip()):
                todo.append(base.strip())
    seen.discard("semh-desktop")
    missing = seen - components.listed_distributions()
    assert missing == set(), f"add these to semh_desktop/components.py: {sorted(missing)}"


def _marker_holds(marker: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker.strip()).evaluate()


def test_the_shipped_licence_texts_are_there():
    folder = components.licences_dir()
    for name in ("LGPL-3.0.txt", "GPL-3.0.txt", "SQLCipher-LICENSE.txt", "Apache-2.0.txt"):
        assert (folder / name).stat().st_size > 1000
    assert "ZETETIC LLC" in (folder / "SQLCipher-LICENSE.txt").read_text(encoding="utf-8")
    dejavu = components.ROOT / "resources" / "fonts" / "LICENSE-DejaVu.txt"
    assert "Bitstream" in dejavu.read_text(encoding="utf-8")


def test_rows_give_versions_from_the_running_libraries():
    rows = {row.name: row for row in components.rows({"qt": "6.99.1"})}
    assert rows["Qt 6"].version == "6.99.1"
    assert rows["Python"].version == ".".join(map(str, sys.version_info[:3]))
    assert rows["SQLCipher (Zetetic LLC)"].version.startswith("4.")
    assert rows["SQLite"].version.startswith("3.")
    assert rows["OpenSSL (inside SQLCipher)"].version.startswith("3.")
    assert rows["keyring"].version == metadata.version("keyring")
    assert rows["python-stdnum"].licence == "GNU LGPL v2.1 or later"
    assert "PyInstaller bootloader" not in rows  # only inside the frozen build
    assert components.version_line() == f"SEMH Desktop {__version__}"
