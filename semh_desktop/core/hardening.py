"""Process hardening: no core dump of the process, which would hold pupils' data and the key.

A crash with core dumps enabled writes the whole address space to disk, in the clear: decrypted
pages, names, the passphrase. `disable_core_dumps()` is called first thing in the CLI's
`main()`. It never raises: a platform without the call simply keeps its default.

Python's own crash report (faulthandler) prints only the stack of file names and line numbers,
never local values; nothing here enables cgitb or any traceback that prints locals.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3
SEM_FAILCRITICALERRORS = 0x0001
SEM_NOGPFAULTERRORBOX = 0x0002


def disable_core_dumps() -> None:
    """Set the core size limit to zero and, on Linux, mark the process not dumpable."""
    with contextlib.suppress(Exception):
        _limit_core_size()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            _not_dumpable()
    elif sys.platform == "win32":
        with contextlib.suppress(Exception):
            _no_error_report_dialog()


def _limit_core_size() -> None:
    import resource  # not on Windows

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _not_dumpable() -> None:
    # Also keeps other processes of the same user from attaching (ptrace) and reading memory,
    # and applies even where the kernel's core_pattern pipes cores to a collector.
    _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def is_dumpable() -> bool | None:
    """Linux: whether the process may dump core (None where it cannot be asked)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return bool(_libc().prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    except (OSError, AttributeError):
        return None


def _no_error_report_dialog() -> None:
    # Windows Error Reporting would otherwise offer to send a crash dump.
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
    kernel32.SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX)
