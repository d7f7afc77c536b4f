"""What is printed is what is saved: each document's printed pages carry the PDF's words.

Each document is printed through the path the Print button takes (print_with_preview, whose
preview asks `paint_document` to paint onto its own QPrinter); the preview's printer is
pointed at a PDF file instead of a printer, so its text can be read back with pypdf and
compared word by word with the reportlab PDF written from the same blocks.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from semh_desktop.core.store import Store
from semh_desktop.documents import blocks, pdf
from semh_desktop.documents import psp as handouts
from semh_desktop.documents import sustainability_plan as plan_documents
from semh_desktop.plans import cases
from ui.common import document_output

from ..test_handouts import make_sensitive_case, render_page_one
from ..test_sustainability_plan import build_plan

Build = Callable[[Store], blocks.Document]


def _psp(kind: str) -> Build:
    def build(store: Store) -> blocks.Document:
        case = make_sensitive_case(store)
        # A name that looks like markup must print as typed on both sides.
        cases.add_network_member(store, case.id, "Learning mentor", "<b>Mr</b> & Ms Reid", "")
        return handouts.psp_document(store, case.pupil_id, kind)

    return build


def _plan(kind: str) -> Build:
    def build(store: Store) -> blocks.Document:
        return plan_documents.sustainability_plan_document(store, build_plan(store), kind)

    return build


DOCUMENTS = {
    "psp_staff": _psp("staff"),
    "psp_child": _psp("child"),
    "sustainability_staff": _plan("staff"),
    "sustainability_parent": _plan("parent"),
}


def print_to_pdf(document: blocks.Document, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Press Print in the preview, with the preview's own printer writing a PDF file."""

    def print_it(dialog: QPrintPreviewDialog) -> QDialog.DialogCode:
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        dialog.paintRequested.emit(printer)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintPreviewDialog, "exec", print_it)
    assert document_output.print_with_preview(None, document, document.title)


def words(text: str) -> list[str]:
    """Qt may wrap a line after '/' or '-' ("Parent/ carer", "Mid- point") where reportlab
    wraps only at spaces; pypdf reads a wrap as whitespace, so whitespace after those two
    characters is dropped, on every side alike, before the text is split into words."""
    return re.sub(r"(?<=[/-])\s+", "", text).split()


def page_words(path: Path) -> list[list[str]]:
    return [words(page.extract_text()) for page in PdfReader(path).pages]


def body_words(document: blocks.Document, pages: list[list[str]]) -> list[str]:
    """The words of every page after its furniture, which must open each page in full.

    The two renderers break pages in different places (reportlab keeps a heading with what
    follows it, Qt cannot), so the furniture of page 2 falls between different words: it is
    checked on each page and taken out, and only the body is compared across the two files.
    """
    body: list[str] = []
    for number, found in enumerate(pages, start=1):
        furniture = words(" ".join((*document.header(), *document.footer(number))))
        assert found[: len(furniture)] == furniture, f"page {number}"
        body += found[len(furniture) :]
    return body


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_printed_pages_carry_the_words_of_the_saved_pdf(
    qtbot: QtBot,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    document = DOCUMENTS[name](store)
    saved = pdf.write_document(tmp_path / "saved.pdf", document)
    printed = tmp_path / "printed.pdf"
    print_to_pdf(document, printed, monkeypatch)

    saved_body = body_words(document, page_words(saved))
    printed_body = body_words(document, page_words(printed))
    assert printed_body == saved_body
    # Every block reached the page: the model's own words are all there, in order.
    assert saved_body == words(document.plain_text())

    if name.startswith("psp"):
        assert "<b>Mr</b> & Ms Reid" in " ".join(printed_body)
    family = document.audience == "family"
    metadata = PdfReader(printed).metadata or {}
    assert ("SEMH" in " ".join(str(v) for v in metadata.values())) is not family
    if shutil.which("pdftoppm"):
        assert render_page_one(printed, f"printed_{name}_page1").stat().st_size > 5_000
        render_page_one(saved, f"saved_{name}_page1")


def test_a_block_left_out_of_the_printer_is_caught(
    qtbot: QtBot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above can fail: drop one block from the printed copy only."""
    document = DOCUMENTS["psp_child"](store)
    saved = pdf.write_document(tmp_path / "saved.pdf", document)
    last_ladder = max(
        i
        for i, block in enumerate(blocks.flatten(document.blocks))
        if isinstance(block, blocks.Ladder)
    )
    fewer = tuple(b for i, b in enumerate(blocks.flatten(document.blocks)) if i != last_ladder)
    print_to_pdf(replace(document, blocks=fewer), tmp_path / "printed.pdf", monkeypatch)
    printed_body = body_words(document, page_words(tmp_path / "printed.pdf"))
    assert printed_body != body_words(document, page_words(saved))


def test_a_long_document_breaks_pages_without_losing_or_repeating_a_line(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines, table rows and ladders that meet a page boundary are printed once, in order."""
    parts: list[blocks.Block] = [blocks.Heading("A long plan", 1)]
    for n in range(1, 13):
        parts += [
            blocks.Heading(f"Section {n}"),
            blocks.Paragraph(" ".join(f"s{n}w{i}" for i in range(90))),
            # Pairs, not a table with a header: both renderers repeat a table's header row
            # after a page break, each at its own break, which is not what this test is about.
            blocks.KeyValues(tuple((f"r{n}.{i}", f"n{n}.{i}") for i in range(5))),
            blocks.Ladder(tuple(range(1, 11)), n % 10 + 1, 1, f"low{n}", f"high{n}"),
        ]
    document = blocks.Document(
        "Long", "family", "AB", dt.date(2026, 11, 23), tuple(parts), type_scale=1.6
    )
    printed = tmp_path / "printed.pdf"
    print_to_pdf(document, printed, monkeypatch)
    pages = page_words(printed)
    assert len(pages) > 5
    assert body_words(document, pages) == words(document.plain_text())
