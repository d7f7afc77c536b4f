"""The Qt binding keeps Python's reference counts straight (PySide6 6.12.0 does not).

PySide6-Essentials 6.12.0 drops one reference to None on every call of a Qt method that
returns nothing; on Python 3.11, where None can be freed, a few thousand such calls (a printed
document, a long session) abort the interpreter with "none_dealloc". pyproject.toml keeps that
version out; this test fails if such a version is installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont


def test_calls_that_return_nothing_leave_none_s_count_alone() -> None:
    font = QFont()
    before = sys.getrefcount(None)
    for _ in range(1_000):
        font.setBold(True)
    # A few references may come and go with the interpreter's own work; a leak loses 1,000.
    assert abs(sys.getrefcount(None) - before) < 50
