"""Printing and saving documents from the window.

Printing goes through the system print dialog with a preview first (QPrintPreviewDialog, whose
Print button opens the system dialog). PySide6-Essentials has no PDF renderer (QtPdf is in
PySide6-Addons), so the preview shows the same document as HTML in a QTextDocument, built by
the domain next to the PDF version. Saving as PDF writes the reportlab PDF itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget


def printable_document(html: str) -> QTextDocument:
    document = QTextDocument()
    font = QFont(document.defaultFont())
    font.setPointSize(10)
    document.setDefaultFont(font)
    document.setHtml(html)
    return document


def a4_printer(title: str) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    printer.setDocName(title)
    return printer


def print_with_preview(parent: QWidget | None, html: str, title: str) -> bool:
    """Show the print preview; True if the user printed (the caller audits it)."""
    document = printable_document(html)
    printer = a4_printer(title)
    preview = QPrintPreviewDialog(printer, parent)
    preview.setWindowTitle(f"Print preview — {title}")
    preview.paintRequested.connect(document.print_)
    try:
        return preview.exec() == QDialog.DialogCode.Accepted
    finally:
        preview.deleteLater()


def ask_pdf_path(parent: QWidget | None, title: str, suggested: str) -> Path | None:
    """Ask where to save a PDF; None if cancelled. '.pdf' is added when left off."""
    chosen, _filter = QFileDialog.getSaveFileName(parent, title, suggested, "PDF files (*.pdf)")
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")
