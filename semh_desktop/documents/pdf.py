"""Shared PDF machinery: A4 pages marked Confidential with the pupil's initials and page numbers.

Documents built as blocks (`documents.blocks.Document`) are written by `write_document`,
which turns each block into reportlab flowables; the window prints the same blocks through
Qt. Older documents hand a list of flowables to `write_pdf` directly. The command line and
the window call the same functions, and `record_export` audits each export or print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.paths import RESOURCES_DIR
from semh_desktop.core.store import Store
from semh_desktop.documents import blocks as b
from semh_desktop.register import access, audit
from semh_desktop.register.access import checks_inline, requires

PAGE_MARGIN = 18 * mm
INK = colors.black
TODAY_FILL = colors.HexColor("#222222")
START_FILL = colors.HexColor("#BBBBBB")
HEADER_FILL = colors.HexColor("#E8E8E8")
HEADING_ROOM = 40 * mm  # a heading needs this much page left, or it starts the next page
_FONT = "Helvetica"
_FONT_BOLD = "Helvetica-Bold"


def _register_fonts() -> tuple[str, str]:
    """Use DejaVu Sans when shipped (accents such as ŷ, ę, ć need it); Helvetica otherwise."""
    regular = RESOURCES_DIR / "fonts" / "DejaVuSans.ttf"
    bold = RESOURCES_DIR / "fonts" / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily(
                "DejaVuSans",
                normal="DejaVuSans",
                bold="DejaVuSans-Bold",
                italic="DejaVuSans",
                boldItalic="DejaVuSans-Bold",
            )
        return "DejaVuSans", "DejaVuSans-Bold"
    return _FONT, _FONT_BOLD


def styles(scale: float = 1.0) -> dict[str, ParagraphStyle]:
    """Paragraph styles; `scale` > 1 for large-type handouts."""
    regular, bold = _register_fonts()
    base = getSampleStyleSheet()
    size = 10 * scale
    return {
        "title": ParagraphStyle(
            "title",
            parent=base["Title"],
            fontName=bold,
            fontSize=18 * scale,
            leading=22 * scale,
            alignment=TA_LEFT,
            spaceAfter=6 * scale,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName=bold,
            fontSize=13 * scale,
            leading=16 * scale,
            spaceBefore=10 * scale,
            spaceAfter=4 * scale,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base["Heading3"],
            fontName=bold,
            fontSize=11 * scale,
            leading=14 * scale,
            spaceBefore=6 * scale,
            spaceAfter=2 * scale,
        ),
        "body": ParagraphStyle(
            "body", parent=base["BodyText"], fontName=regular, fontSize=size, leading=size * 1.3
        ),
        "small": ParagraphStyle(
            "small",
            parent=base["BodyText"],
            fontName=regular,
            fontSize=8 * scale,
            leading=10 * scale,
            textColor=colors.black,
        ),
        "cell": ParagraphStyle(
            "cell",
            parent=base["BodyText"],
            fontName=regular,
            fontSize=9 * scale,
            leading=11.5 * scale,
        ),
        "cell_bold": ParagraphStyle(
            "cell_bold",
            parent=base["BodyText"],
            fontName=bold,
            fontSize=9 * scale,
            leading=11.5 * scale,
        ),
    }


def escape(text: str) -> str:
    """Paragraph text is mini-HTML: user text must not be read as markup."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
    )


def table(
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    header: bool = True,
    scale: float = 1.0,
) -> Table:
    """A plain ruled table (black and white printers) with wrapped, escaped cells."""
    st = styles(scale)
    cells = [
        [
            Paragraph(escape(str(v)), st["cell_bold"] if header and r == 0 else st["cell"])
            for v in row
        ]
        for r, row in enumerate(rows)
    ]
    result = Table(cells, colWidths=list(widths), repeatRows=1 if header else 0)
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    result.setStyle(TableStyle(commands))
    return result


def key_values(pairs: Sequence[tuple[str, str]], *, scale: float = 1.0) -> Table:
    width = A4[0] - 2 * PAGE_MARGIN
    return table([list(p) for p in pairs], [width * 0.3, width * 0.7], header=False, scale=scale)


def content_width() -> float:
    return float(A4[0] - 2 * PAGE_MARGIN)


def write_pdf(
    path: Path,
    story: list[Flowable],
    *,
    title: str,
    initials: str,
    produced_on: dt.date,
    confidential: bool = True,
) -> Path:
    """Write an A4 PDF whose every page carries 'Confidential', the initials and 'Page n of m'."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise ValidationError("The output file must end in .pdf.", field="out")
    regular, _ = _register_fonts()

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        top = A4[1] - 10 * mm
        label = f"CONFIDENTIAL · {initials}" if confidential else initials
        canvas.drawString(PAGE_MARGIN, top, label)
        canvas.drawRightString(A4[0] - PAGE_MARGIN, top, title)
        # Family-facing handouts go home in school bags: they must not name an SEMH tool.
        maker = " by SEMH Desktop" if confidential else ""
        canvas.drawString(PAGE_MARGIN, 10 * mm, f"Produced {format_date(produced_on)}{maker}")
        canvas.drawRightString(A4[0] - PAGE_MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
        title=title,
        author="SEMH Desktop" if confidential else "",
        subject="Confidential" if confidential else "",
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return path


@checks_inline("export")
def record_export(
    store: Store,
    record_type: str,
    record_id: str | None,
    what: str,
    path: Path,
    *,
    action: str = "export",
) -> None:
    """Audit an export or print: which document, of which record, in which file format."""
    # A print needs "print", anything else "export": the action decides, so no decorator.
    access.require(store, access.output_permission(action), "record_export")
    with store.atomic():
        audit.record(
            store, action, record_type, record_id, f"{what} ({Path(path).suffix.lstrip('.')})"
        )


@requires("print")
def record_print(store: Store, pupil_id: str, what: str) -> None:
    """Audit a pupil's document sent to a printer from the window."""
    record_export(store, "pupil", pupil_id, what, Path("printer.print"), action="print")


# --- documents built as blocks ---------------------------------------------------------------


def write_document(path: Path, document: b.Document) -> Path:
    """Write a block document as an A4 PDF with the usual page furniture."""
    return write_pdf(
        path,
        flowables(document.blocks, scale=document.type_scale),
        title=document.title,
        initials=document.pupil_initials,
        produced_on=document.produced_on,
        confidential=document.confidential,
    )


def flowables(items: Sequence[b.Block], *, scale: float = 1.0) -> list[Flowable]:
    """The blocks as reportlab flowables; a heading never ends a page.

    A group is kept on one page with any headings that lead into it; KeepTogether is never
    nested (reportlab then breaks pages early), so a group's blocks are laid out flat inside
    its one KeepTogether. A heading before anything else (a long table, say) starts a new page
    only when less than `HEADING_ROOM` is left, rather than pushing the whole table over.
    """
    story: list[Flowable] = []
    pending: list[Flowable] = []  # headings waiting for the block they introduce
    for block in items:
        if isinstance(block, b.Group):
            inner = [f for part in block.blocks for f in _flowables(part, scale)]
            story.append(KeepTogether([*pending, *inner]))
            pending = []
            continue
        made = _flowables(block, scale)
        if isinstance(block, b.Heading):
            pending += made
        elif pending:
            story += [CondPageBreak(HEADING_ROOM * scale), *pending, *made]
            pending = []
        else:
            story += made
    return story + pending


def _flowables(block: b.Block, scale: float) -> list[Flowable]:
    st = styles(scale)
    width = content_width()
    if isinstance(block, b.Heading):
        style = {1: "title", 2: "h2", 3: "h3"}[block.level]
        return [Paragraph(escape(block.text), st[style])]
    if isinstance(block, b.Paragraph):
        text = escape(block.text)
        if block.lead:
            text = f"<b>{escape(block.lead)}:</b> {text}"
        return [Paragraph(text, st["small" if block.small else "body"])]
    if isinstance(block, b.Bullets):
        return [Paragraph(escape(f"• {item}"), st["body"]) for item in block.items]
    if isinstance(block, b.KeyValues):
        return [key_values(block.pairs, scale=scale), Spacer(1, 2 * scale)]
    if isinstance(block, b.Table):
        rows = [block.header, *block.rows]
        return [table(rows, [width * w for w in block.widths], scale=scale), Spacer(1, 2 * scale)]
    if isinstance(block, b.Ladder):
        return [ladder(block, width, font_scale=scale), _ladder_key(block, width, scale)]
    if isinstance(block, b.Signatures):
        return [_signatures(block, width, scale)]
    if isinstance(block, b.Spacer):
        return [Spacer(1, block.mm * mm)]
    return [f for part in block.blocks for f in _flowables(part, scale)]  # a group inside one


def _signatures(block: b.Signatures, width: float, scale: float) -> Table:
    st = styles(scale)
    rows: list[list[Any]] = [[Paragraph(escape(h), st["cell_bold"]) for h in block.columns]]
    for role in block.roles:
        rows.append([Paragraph(escape(role), st["cell"])] + [""] * (len(block.columns) - 1))
    result = Table(
        rows,
        colWidths=[width * 0.18, width * 0.32, width * 0.32, width * 0.18],
        rowHeights=[None] + [12 * mm] * len(block.roles),
    )
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, INK),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ]
        )
    )
    return result


def _ladder_key(block: b.Ladder, width: float, scale: float) -> Table:
    small = styles(scale)["small"]
    right = ParagraphStyle(f"{small.name}_right", parent=small, alignment=TA_RIGHT)
    return Table(
        [[Paragraph(escape(block.low_words), small), Paragraph(escape(block.high_words), right)]],
        colWidths=[width / 2, width / 2],
        style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)],
    )


# The ladder's geometry, shared with the printed version (ui/common/document_output.py).
LADDER_LOW_MM, LADDER_HIGH_MM = 12.0, 34.0


def ladder(block: b.Ladder, width: float, *, font_scale: float = 1.0) -> Drawing:
    """The scale drawn as steps rising from the lowest score to the highest.

    Today's step is filled dark and labelled 'Today', the starting step grey and labelled
    'Start', so the ladder reads in black and white.
    """
    values = block.values
    bold = styles()["cell_bold"].fontName
    step_w = width / len(values)
    label_h = 11 * font_scale
    arrow_h = 6
    start, today = block.start, block.today
    # Neighbouring 'Start' and 'Today' labels would touch: lift 'Today' by a line.
    lift = label_h if start is not None and today is not None and abs(start - today) == 1 else 0
    top_room = label_h + arrow_h + 6 + lift
    low_h, high_h = LADDER_LOW_MM * mm, LADDER_HIGH_MM * mm
    drawing = Drawing(width, high_h + top_room + 2)
    number_size = 11 * font_scale
    for index, value in enumerate(values):
        x = index * step_w
        h = low_h + (high_h - low_h) * index / max(1, len(values) - 1)
        fill = colors.white
        text_colour = INK
        if value == today:
            fill, text_colour = TODAY_FILL, colors.white
        elif value == start:
            fill = START_FILL
        drawing.add(Rect(x, 0, step_w, h, fillColor=fill, strokeColor=INK, strokeWidth=1.2))
        drawing.add(
            String(
                x + step_w / 2,
                h - number_size - 3,
                str(value),
                fontName=bold,
                fontSize=number_size,
                fillColor=text_colour,
                textAnchor="middle",
            )
        )
        mark = block.mark(value, wide=step_w > 40 * mm)
        if mark:
            centre = x + step_w / 2
            drawing.add(
                Polygon(
                    [centre - 5, h + 3, centre + 5, h + 3, centre, h + 3 + arrow_h],
                    fillColor=INK,
                    strokeColor=INK,
                )
            )
            raised = lift if mark == "Today" else 0
            drawing.add(
                String(
                    centre,
                    h + arrow_h + 5 + raised,
                    mark,
                    fontName=bold,
                    fontSize=9 * font_scale,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    return drawing
