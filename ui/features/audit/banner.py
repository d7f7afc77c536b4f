"""The red banner that says the audit trail has been tampered with.

`install_chain_check(window)` checks the trail since its checkpoint whenever the window
unlocks (and so when it first opens). A break shows a red strip across the top of the window,
naming the first bad entry in plain words, and is itself written into the trail
("chain_broken", once per break). Nothing else is hidden or refused: the records stay usable,
and the person is told whom to tell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from semh_desktop.core.errors import SemhError
from semh_desktop.register import audit
from semh_desktop.register.audit import ChainReport
from ui.common import theme

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow


def banner_text(report: ChainReport) -> str:
    return (
        f"The audit trail has been tampered with: {report.reason}. "
        "Tell your data protection officer."
    )


class ChainBanner(QFrame):
    """The strip itself (hidden until a check finds a break) and the last report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditBanner")
        self.setStyleSheet(
            f"QFrame#auditBanner {{ background: {theme.ERROR}; }}"
            "QFrame#auditBanner QLabel { color: #ffffff; font-weight: bold; }"
        )
        self.label = QLabel()
        self.label.setObjectName("auditBannerText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.addWidget(self.label, 1)
        self.report: ChainReport | None = None
        self._audited: set[int | None] = set()
        self.hide()

    def show_report(self, report: ChainReport) -> None:
        self.report = report
        if report.ok:
            return  # a break once seen stays on screen until the window closes
        text = banner_text(report)
        self.label.setText(text)
        self.setAccessibleName(text)
        self.show()


def check(store_window: MainWindow, banner: ChainBanner) -> ChainReport | None:
    """Check the trail since the checkpoint now; show and audit a break."""
    store = store_window.store
    if store_window.is_locked or not store.is_open:
        return None
    try:
        report = audit.verify_since_checkpoint(store)
        banner.show_report(report)
        if not report.ok and report.first_bad_seq not in banner._audited:
            banner._audited.add(report.first_bad_seq)
            with store.atomic():
                audit.record(
                    store,
                    "chain_broken",
                    "audit",
                    report.first_bad_id,
                    f"first bad entry {report.first_bad_seq}: {report.reason}",
                )
    except SemhError:
        return None  # a check that cannot run (the file busy) is tried again at next unlock
    return report


def install_chain_check(window: MainWindow) -> ChainBanner:
    """Add the (hidden) banner to the window and check at each unlock."""
    banner = ChainBanner()
    window.add_banner(banner)
    store = window.store
    if store.path is None:
        # An in-memory database (tests, never real data) is made fresh by this process, and
        # test schools are copied with another store's seals: nothing to check.
        return banner

    def unlocked(locked: bool) -> None:
        if not locked:
            check(window, banner)

    window.locked_changed.connect(unlocked)
    # The window may already be open (unlocked) when features are installed.
    QTimer.singleShot(
        0, banner, lambda: unlocked(window.is_locked) if banner.report is None else None
    )
    return banner
