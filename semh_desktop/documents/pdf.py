"""Shared PDF machinery: A4 pages marked Confidential with the pupil's initials and page numbers.

Every document the app produces is built from a list of reportlab flowables handed to
`write_pdf`; the command line and the window call the same functions, and `record_export`
audits each export or print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.paths import RESOURCES_DIR
from semh_desktop.core.store import Store
from semh_desktop.register import audit

PAGE_MARGIN = 18 * mm
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
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")))
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
    with store.atomic():
        audit.record(
            store, action, record_type, record_id, f"{what} ({Path(path).suffix.lstrip('.')})"
        )
