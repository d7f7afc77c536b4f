"""Printing and saving documents from the window.

A document is built once by the domain as blocks (`semh_desktop.documents.blocks`). Saving as
PDF writes them with reportlab; printing lays the same blocks out in a QTextDocument and paints
it page by page onto the QPrinter, with the PDF's page furniture (Confidential, initials,
title, date, page number) drawn at the same places. Why Qt and not the PDF itself: only
PySide6-Essentials is installed (no QtPdf), and a rasterised PDF would print blurred on
some printers and carry no text; laying out the blocks keeps printed text crisp, selectable
in a printed-to-PDF file, and checkable word by word against the saved PDF
(tests/gui/test_printing.py). Text goes in through QTextCursor.insertText, so a name is never
read as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPageSize,
    QPainter,
    QPen,
    QPolygonF,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextImageFormat,
    QTextLength,
    QTextTableCellFormat,
    QTextTableFormat,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from semh_desktop.core.paths import RESOURCES_DIR
from semh_desktop.documents import blocks as b
from ui.common import drafts

# The page as the PDF has it (semh_desktop/documents/pdf.py): 18 mm margins, reportlab's frame
# padding of 6 pt inside them, furniture lines 10 mm from the top and bottom edges.
MARGIN_MM = 18.0
FRAME_PADDING_PT = 6.0
FURNITURE_MM = 10.0
LADDER_LOW_MM, LADDER_HIGH_MM = 12.0, 34.0
HEADER_FILL = QColor("#E8E8E8")
TODAY_FILL = QColor("#222222")
START_FILL = QColor("#BBBBBB")


@cache
def font_family() -> str:
    """DejaVu Sans, as in the PDF (accents such as ŷ, ę, ć need it), when it is shipped."""
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        path = RESOURCES_DIR / "fonts" / name
        if path.exists():
            QFontDatabase.addApplicationFont(str(path))
    return "DejaVu Sans" if "DejaVu Sans" in QFontDatabase.families() else QFont().family()


def _font(points: float, *, bold: bool = False) -> QFont:
    font = QFont(font_family())
    font.setPointSizeF(points)
    font.setBold(bold)
    # No 'fi'/'ffi' ligatures: reportlab sets none, and the printed words must match the PDF's.
    # (Not QFont.setFeature: in PySide6 6.12 it corrupts a reference count and crashes later.)
    font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
    return font


@dataclass(frozen=True)
class _Page:
    """Device-pixel geometry of one A4 page on this printer."""

    width: float
    height: float
    px_per_pt: float

    @property
    def px_per_mm(self) -> float:
        return self.px_per_pt * 72 / 25.4

    def content(self) -> QRectF:
        inset = MARGIN_MM * self.px_per_mm + FRAME_PADDING_PT * self.px_per_pt
        return QRectF(inset, inset, self.width - 2 * inset, self.height - 2 * inset)


class _Builder:
    """Lays the blocks out in a QTextDocument measured in the printer's device pixels."""

    def __init__(self, document: b.Document, printer: QPrinter, page: _Page) -> None:
        self.scale = document.type_scale
        # Formats (margins, padding, borders, line heights) are given in 96-dpi pixels and the
        # layout scales them to the printer; only the page size is in the printer's pixels.
        self.pt = 96 / 72
        self.mm = 96 / 25.4
        self.text = QTextDocument()
        self.text.documentLayout().setPaintDevice(printer)
        self.text.setDocumentMargin(0)
        self.text.setDefaultFont(_font(10 * self.scale))
        content = page.content()
        # Whole pixels: Qt keeps page heights in 1/64 px, and the bands painted per page
        # (paint_document) must start exactly where Qt's pages do.
        self.text.setPageSize(QSizeF(content.width(), math.floor(content.height())))
        self.cursor = QTextCursor(self.text)
        self.first = True
        self.ladders: list[tuple[QTextBlock, b.Ladder]] = []
        self.headings: set[int] = set()  # block numbers, kept on the page of what follows

    # formats ---------------------------------------------------------------------------------

    def char(self, points: float, *, bold: bool = False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setFont(_font(points * self.scale, bold=bold))
        return fmt

    def block_format(self, *, before: float = 0, after: float = 0) -> QTextBlockFormat:
        # The font's own line spacing, not a proportional one: Qt's pagination measures lines
        # without it and would let a line straddle the foot of a page.
        fmt = QTextBlockFormat()
        fmt.setTopMargin(before * self.scale * self.pt)
        fmt.setBottomMargin(after * self.scale * self.pt)
        return fmt

    def new_block(self, fmt: QTextBlockFormat, char: QTextCharFormat) -> None:
        """Start a paragraph (the document's first one already exists)."""
        if self.first:
            self.cursor.setBlockFormat(fmt)
            self.cursor.setBlockCharFormat(char)
            self.first = False
        else:
            self.cursor.insertBlock(fmt, char)

    # blocks ----------------------------------------------------------------------------------

    def add(self, block: b.Block) -> None:  # one arm per kind of block
        if isinstance(block, b.Heading):
            self.heading(block)
        elif isinstance(block, b.Paragraph):
            self.paragraph(block.text, lead=block.lead, small=block.small)
        elif isinstance(block, b.Bullets):
            for item in block.items:
                self.paragraph(f"• {item}")
        elif isinstance(block, b.KeyValues):
            self.table([list(pair) for pair in block.pairs], (0.3, 0.7), header=False)
        elif isinstance(block, b.Table):
            self.table([list(block.header), *map(list, block.rows)], block.widths, header=True)
        elif isinstance(block, b.Ladder):
            self.ladder(block)
        elif isinstance(block, b.Signatures):
            self.signatures(block)
        elif isinstance(block, b.Spacer):
            self.space(block.mm * self.mm)

    def heading(self, block: b.Heading) -> None:
        size, before, after = {1: (18, 0, 6), 2: (13, 10, 4), 3: (11, 6, 2)}[block.level]
        char = self.char(size, bold=True)
        self.new_block(self.block_format(before=before, after=after), char)
        self.headings.add(self.cursor.block().blockNumber())
        self.cursor.insertText(block.text, char)

    def paragraph(self, text: str, *, lead: str = "", small: bool = False) -> None:
        size = 8 if small else 10
        char = self.char(size)
        self.new_block(self.block_format(after=4 if not small else 0), char)
        if lead:
            self.cursor.insertText(f"{lead}:", self.char(size, bold=True))
            self.cursor.insertText(" ", char)
        self.cursor.insertText(text, char)

    def space(self, height: float) -> QTextBlock:
        """An empty block whose top margin is the space.

        A margin, unlike a fixed line height, is laid out and measured alike.
        """
        fmt = QTextBlockFormat()
        fmt.setTopMargin(height)
        self.new_block(fmt, self.char(0.5))
        return self.cursor.block()

    def _table_format(
        self, widths: tuple[float, ...], border: float, colour: QColor
    ) -> QTextTableFormat:
        fmt = QTextTableFormat()
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        fmt.setColumnWidthConstraints(
            [QTextLength(QTextLength.Type.PercentageLength, w * 100) for w in widths]
        )
        fmt.setCellSpacing(0)
        fmt.setCellPadding(3 * self.pt)
        fmt.setBorder(border * self.pt)
        fmt.setBorderBrush(QBrush(colour))
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        fmt.setBorderCollapse(True)
        fmt.setBottomMargin(4 * self.scale * self.pt)
        return fmt

    def ruled(
        self, fmt: QTextTableCellFormat, width: float, colour: QColor
    ) -> QTextTableCellFormat:
        """A cell with its own rules: with collapsed borders Qt draws the cells' rules."""
        fmt.setBorder(width * self.pt)
        fmt.setBorderBrush(QBrush(colour))
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        return fmt

    def table(self, rows: list[list[str]], widths: tuple[float, ...], *, header: bool) -> None:
        self.new_block(self.block_format(), self.char(1))
        fmt = self._table_format(widths, 0.4, QColor("grey"))
        if header:
            fmt.setHeaderRowCount(1)
        table = self.cursor.insertTable(len(rows), len(widths), fmt)
        for r, row in enumerate(rows):
            bold = header and r == 0
            for c, value in enumerate(row):
                cell = table.cellAt(r, c)
                cell_format = self.ruled(cell.format().toTableCellFormat(), 0.4, QColor("grey"))
                if bold:
                    cell_format.setBackground(HEADER_FILL)
                cell.setFormat(cell_format)
                cursor = cell.firstCursorPosition()
                cursor.setBlockFormat(self.block_format())
                cursor.insertText(value, self.char(9, bold=bold))
        self.cursor.movePosition(QTextCursor.MoveOperation.End)
        self.first = False

    def signatures(self, block: b.Signatures) -> None:
        self.new_block(self.block_format(), self.char(1))
        fmt = self._table_format((0.18, 0.32, 0.32, 0.18), 0.5, QColor("black"))
        table = self.cursor.insertTable(len(block.roles) + 1, len(block.columns), fmt)
        for c, title in enumerate(block.columns):
            cell = table.cellAt(0, c)
            cell_format = self.ruled(cell.format().toTableCellFormat(), 0.5, QColor("black"))
            cell_format.setBackground(HEADER_FILL)
            cell.setFormat(cell_format)
            cell.firstCursorPosition().insertText(title, self.char(9, bold=True))
        # Rows 12 mm high, as in the PDF: room to sign.
        padding = (12 * self.mm - 9 * self.scale * 1.25 * self.pt) / 2
        for r, role in enumerate(block.roles, start=1):
            for c in range(len(block.columns)):
                cell = table.cellAt(r, c)
                cell_format = self.ruled(cell.format().toTableCellFormat(), 0.5, QColor("black"))
                cell_format.setTopPadding(padding)
                cell_format.setBottomPadding(padding)
                cell.setFormat(cell_format)
            table.cellAt(r, 0).firstCursorPosition().insertText(role, self.char(9))
        self.cursor.movePosition(QTextCursor.MoveOperation.End)

    def ladder(self, block: b.Ladder) -> None:
        """Room for the ladder (painted by `_paint_ladder`), then its key."""
        # An invisible image holds the ladder's room: Qt moves a line (and so the whole
        # ladder) to the next page when it does not fit, which it would not do for a margin.
        self.new_block(self.block_format(), self.char(0.5))
        room = QTextImageFormat()
        room.setName(_blank_image(self.text))
        room.setWidth(1)  # the ladder spans the block, whose width is the page's
        room.setHeight(_ladder_height(block, self.scale, self.pt))
        self.cursor.insertImage(room)
        self.ladders.append((self.cursor.block(), block))
        self.new_block(self.block_format(), self.char(0.5))
        key = self._table_format((0.5, 0.5), 0, QColor("white"))
        key.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_None)
        key.setCellPadding(0)
        key.setTopMargin(3 * self.pt)
        table = self.cursor.insertTable(1, 2, key)
        for column, words in enumerate((block.low_words, block.high_words)):
            cursor = table.cellAt(0, column).firstCursorPosition()
            align = QTextBlockFormat()
            align.setAlignment(
                Qt.AlignmentFlag.AlignRight if column else Qt.AlignmentFlag.AlignLeft
            )
            cursor.setBlockFormat(align)
            cursor.insertText(words, self.char(8))
        self.cursor.movePosition(QTextCursor.MoveOperation.End)


_BLANK = "semh:blank"


def _blank_image(text: QTextDocument) -> str:
    """A transparent pixel, stretched over the room kept for something painted by hand."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    text.addResource(QTextDocument.ResourceType.ImageResource.value, QUrl(_BLANK), image)
    return _BLANK


def _ladder_lift(block: b.Ladder, scale: float) -> float:
    """Neighbouring 'Start' and 'Today' labels would touch: 'Today' goes up a line (points)."""
    start, today = block.start, block.today
    return 11 * scale if start is not None and today is not None and abs(start - today) == 1 else 0


def _ladder_height(block: b.Ladder, scale: float, pt: float) -> float:
    top_room = 11 * scale + 6 + 6 + _ladder_lift(block, scale)
    return (LADDER_HIGH_MM * 72 / 25.4 + top_room + 2) * pt


def _paint_ladder(
    painter: QPainter, block: b.Ladder, rect: QRectF, scale: float, pt: float
) -> None:
    """The ladder as the PDF draws it (pdf.ladder), step by step in the same order."""
    mm = pt * 72 / 25.4
    values = block.values
    step_w = rect.width() / len(values)
    ground = rect.bottom()
    # Qt sizes the room kept for the ladder by its own rules for images, so the steps take
    # the height they were given under the labels' room, in the PDF's proportions.
    lift = _ladder_lift(block, scale) * pt
    high_h = rect.height() - (11 * scale + 6 + 6 + 2) * pt - lift
    low_h = high_h * LADDER_LOW_MM / LADDER_HIGH_MM
    number_font = _font(11 * scale, bold=True)
    mark_font = _font(9 * scale, bold=True)
    arrow_h = 6 * pt
    painter.save()
    for index, value in enumerate(values):
        x = rect.left() + index * step_w
        h = low_h + (high_h - low_h) * index / max(1, len(values) - 1)
        fill, ink = QColor("white"), QColor("black")
        if value == block.today:
            fill, ink = TODAY_FILL, QColor("white")
        elif value == block.start:
            fill = START_FILL
        painter.setPen(QPen(QColor("black"), 1.2 * pt))
        painter.setBrush(fill)
        painter.drawRect(QRectF(x, ground - h, step_w, h))
        centre = x + step_w / 2
        _centred_text(
            painter, number_font, ink, centre, ground - h + (11 * scale + 3) * pt, str(value)
        )
        mark = block.mark(value, wide=step_w > 40 * mm)
        if mark:
            base = ground - h - 3 * pt
            painter.setPen(QPen(QColor("black"), 0.5 * pt))
            painter.setBrush(QColor("black"))
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(centre - 5 * pt, base),
                        QPointF(centre + 5 * pt, base),
                        QPointF(centre, base - arrow_h),
                    ]
                )
            )
            raised = lift if mark == "Today" else 0
            baseline = ground - h - arrow_h - 5 * pt - raised
            _centred_text(painter, mark_font, QColor("black"), centre, baseline, mark)
    painter.restore()


def _centred_text(
    painter: QPainter, font: QFont, ink: QColor, centre: float, baseline: float, text: str
) -> None:
    painter.setFont(font)
    painter.setPen(ink)
    width = QFontMetricsF(font, painter.device()).horizontalAdvance(text)
    painter.drawText(QPointF(centre - width / 2, baseline), text)


def _paint_furniture(painter: QPainter, document: b.Document, page: _Page, number: int) -> None:
    """Header and footer in the PDF's order: top left, top right, bottom left, bottom right."""
    font = _font(8)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    metrics = QFontMetricsF(font, painter.device())
    left = MARGIN_MM * page.px_per_mm
    right = page.width - left
    top = FURNITURE_MM * page.px_per_mm + metrics.ascent()
    bottom = page.height - FURNITURE_MM * page.px_per_mm
    for (first, second), y in ((document.header(), top), (document.footer(number), bottom)):
        painter.drawText(QPointF(left, y), first)
        painter.drawText(QPointF(right - metrics.horizontalAdvance(second), y), second)


def paint_document(document: b.Document, printer: QPrinter) -> None:
    """Print the blocks: what the preview shows and what the Print button sends."""
    printer.setFullPage(True)  # we place the margins and furniture ourselves, as the PDF does
    paper = printer.paperRect(QPrinter.Unit.DevicePixel)
    page = _Page(paper.width(), paper.height(), printer.resolution() / 72)
    built = _Builder(document, printer, page)
    built.text.setUndoRedoEnabled(False)
    built.cursor.beginEditBlock()  # one layout at the end, not one per cell
    for block in b.flatten(document.blocks):
        built.add(block)
    built.cursor.endEditBlock()
    text, layout = built.text, built.text.documentLayout()
    _keep_paragraphs_whole(text, built.headings)
    content = page.content()
    height = text.pageSize().height()
    painter = QPainter(printer)
    try:
        for number in range(text.pageCount()):
            if number:
                printer.newPage()
            _paint_furniture(painter, document, page, number + 1)
            top = number * height
            painter.save()
            painter.translate(content.left(), content.top() - top)
            width = content.width()
            painter.setClipRect(QRectF(0, top, width, height))
            # Paint the page's body in bands split at its ladders, so the words reach the page
            # in reading order, as in the PDF. Qt draws every line whose box meets the band, and
            # a line's box can reach a little past the foot of its page: so a page's first band
            # starts `overlap` below its top edge (a line that begins there is far taller),
            # and each band stops a pixel short of what follows it.
            overlap = 3 * page.px_per_pt
            band_top = top + overlap
            for room, ladder in built.ladders:
                rect = layout.blockBoundingRect(room)
                if not top <= rect.top() < top + height:
                    continue
                _paint_band(painter, layout, QRectF(0, band_top, width, rect.top() - 1 - band_top))
                _paint_ladder(painter, ladder, rect, document.type_scale, page.px_per_pt)
                band_top = rect.bottom() + 1
            _paint_band(
                painter, layout, QRectF(0, band_top, width, top + height - overlap - band_top)
            )
            painter.restore()
    finally:
        painter.end()


def _keep_paragraphs_whole(text: QTextDocument, headings: set[int]) -> None:
    """Start a new page at each paragraph split between pages and each heading ending one.

    Painting a page from a clip, Qt also draws the line just above the clip when it belongs
    to the same paragraph: a split paragraph would print that line at the foot of one page and
    again, hidden but still in the text, above the next. (Reportlab splits paragraphs; only
    where the pages break differs.) A paragraph taller than a page is left to split.
    """
    layout, height = text.documentLayout(), text.pageSize().height()

    def page_of(block: QTextBlock, line: int = 0) -> float:
        return (layout.blockBoundingRect(block).top() + block.layout().lineAt(line).y()) // height

    block = text.begin()
    while block.isValid():
        lines = block.layout().lineCount()
        split = (
            lines > 1
            and QTextCursor(block).currentTable() is None
            and layout.blockBoundingRect(block).height() < height
            and page_of(block) != page_of(block, lines - 1)
        )
        following = block.next()
        orphan = (
            block.blockNumber() in headings
            and following.isValid()
            and following.layout().lineCount() > 0
            and page_of(following) > page_of(block)
        )
        if split or orphan:
            # A paragraph moves with the heading just before it.
            moved = (
                block.previous() if split and block.previous().blockNumber() in headings else block
            )
            fmt = moved.blockFormat()
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            QTextCursor(moved).setBlockFormat(fmt)  # the pages after it are laid out again
        block = following


def _paint_band(painter: QPainter, layout: QAbstractTextDocumentLayout, band: QRectF) -> None:
    if band.height() <= 0:
        return
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = band
    layout.draw(painter, context)


def a4_printer(title: str, document: b.Document | None = None) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(title)
    # Printed to a file, a family version names no SEMH tool in its metadata either.
    printer.setCreator(document.author() if document is not None else "")
    return printer


def print_with_preview(parent: QWidget | None, document: b.Document, title: str) -> bool:
    """Show the print preview; True if the user printed (the caller audits it)."""
    printer = a4_printer(title, document)
    preview = QPrintPreviewDialog(printer, parent)
    preview.setWindowTitle(f"Print preview — {title}")
    preview.paintRequested.connect(lambda target: paint_document(document, target))
    try:
        return drafts.run_modal(preview) == QDialog.DialogCode.Accepted
    finally:
        preview.deleteLater()


def ask_pdf_path(parent: QWidget | None, title: str, suggested: str) -> Path | None:
    """Ask where to save a PDF; None if cancelled. '.pdf' is added when left off."""
    chosen, _filter = QFileDialog.getSaveFileName(parent, title, suggested, "PDF files (*.pdf)")
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")
