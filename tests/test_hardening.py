"""No core dump: a crash must not write pupils' data or the passphrase to disk.

Each check runs in a fresh interpreter (the limits and the dumpable flag are per process), and
the crash tests really abort one: first without hardening, to show this machine writes a core
at all (else the others prove nothing), then with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "SEMH-CORE-MARKER-Holloway"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": ""}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _cores(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith("core")]


def _core_pattern() -> str:
    try:
        return Path("/proc/sys/kernel/core_pattern").read_text().strip()
    except OSError:
        return ""


CRASH = """
    import os, resource
    from semh_desktop.core import hardening
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # as `ulimit -c unlimited`
    {harden}
    secret = ("{marker} " * 2000).encode()  # a name and a passphrase in memory
    print(hardening.is_dumpable(), resource.getrlimit(resource.RLIMIT_CORE), flush=True)
    os.abort()
"""


def _crash(tmp_path: Path, harden: str) -> tuple[subprocess.CompletedProcess[str], list[Path]]:
    result = _run(CRASH.format(harden=harden, marker=MARKER), tmp_path)
    assert result.returncode != 0  # it did crash
    return result, _cores(tmp_path)


def test_never_raises_and_can_be_called_twice() -> None:
    result = _run(
        """
        from semh_desktop.core.hardening import disable_core_dumps
        disable_core_dumps(); disable_core_dumps()
        print("ok")
        """,
        ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@linux_only
def test_limit_is_zero_and_process_not_dumpable(tmp_path: Path) -> None:
    result = _run(
        """
        import resource
        from semh_desktop.core import hardening
        before = hardening.is_dumpable()
        hardening.disable_core_dumps()
        print(before, hardening.is_dumpable(), resource.getrlimit(resource.RLIMIT_CORE))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(None, 2) == ["True", "False", "(0, 0)\n"]


@linux_only
def test_a_crash_without_hardening_writes_a_core_here(tmp_path: Path) -> None:
    """The control: shows the machine writes cores, so the next tests can fail."""
    if _core_pattern().startswith("|"):
        pytest.skip(f"cores are piped to a program ({_core_pattern()}), not written here")
    result, cores = _crash(tmp_path, "")
    if not cores:
        pytest.skip(f"this machine writes no core file here (core_pattern {_core_pattern()!r})")
    assert result.stdout.startswith("True")
    assert any(MARKER.encode() in core.read_bytes() for core in cores)


@linux_only
def test_a_crash_after_disable_core_dumps_writes_no_core(tmp_path: Path) -> None:
    result, cores = _crash(tmp_path, "hardening.disable_core_dumps()")
    assert result.stdout.startswith("False (0, 0)"), result.stdout + result.stderr
    if _core_pattern().startswith("|"):
        pytest.skip(
            f"cores are piped to a program ({_core_pattern()}): checked the dumpable flag only"
        )
    assert cores == []
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and MARKER.encode() in p.read_bytes()]
    assert leaked == []


@linux_only
def test_not_dumpable_alone_stops_a_core_even_with_the_limit_raised(tmp_path: Path) -> None:
    """The dumpable flag holds even if something raises the core limit again later."""
    result, cores = _crash(tmp_path, "hardening._not_dumpable()")
    assert result.stdout.startswith("False"), result.stdout + result.stderr
    if _core_pattern().startswith("|"):
        pytest.skip(f"cores are piped to a program ({_core_pattern()})")
    assert cores == []
