"""One document model: each printed document is built once as a list of blocks.

The blocks are rendered twice, to PDF with reportlab (`documents.pdf.write_document`) and to the
printer by the window (`ui/common/document_output.py`, through a QTextDocument), so what is
printed says what is saved. All text is plain text: renderers escape it, nothing here is
markup, so a name such as "<b>Zoë</b>" prints as typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Audience = Literal["staff", "family"]


@dataclass(frozen=True)
class Heading:
    """Level 1 is the document's title, 2 a section, 3 a sub-section."""

    text: str
    level: Literal[1, 2, 3] = 2


@dataclass(frozen=True)
class Paragraph:
    """Body text; `lead` is a bold label printed before it ("I will: ...")."""

    text: str
    lead: str = ""
    small: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short lines, each printed after a bullet."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class KeyValues:
    """Label and value pairs in a two-column ruled table, labels in the narrow column."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A ruled table with a header row; `widths` are fractions of the text width."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.widths) != len(self.header) or any(
            len(row) != len(self.header) for row in self.rows
        ):
            raise ValueError("Every row of a table needs one cell per column.")


@dataclass(frozen=True)
class Ladder:
    """The child handout's scale as steps rising from `values[0]` to `values[-1]`.

    Today's step is filled dark and marked 'Today', the starting step grey and marked 'Start';
    the two ends are explained underneath (`low_words` on the left, `high_words` on the right).
    """

    values: tuple[int, ...]
    today: int | None
    start: int | None
    low_words: str
    high_words: str

    def mark(self, value: int, *, wide: bool = False) -> str:
        """The label beside one step: '' for most; 'Start and today' only where it fits."""
        if value == self.start and value == self.today:
            return "Start and today" if wide else "Today"
        if value == self.today:
            return "Today"
        if value == self.start:
            return "Start"
        return ""


@dataclass(frozen=True)
class Signatures:
    """An 'agreed by' grid: one row per role with empty Name, Signature and Date to sign."""

    roles: tuple[str, ...]
    columns: tuple[str, ...] = ("", "Name", "Signature", "Date")


@dataclass(frozen=True)
class Spacer:
    """Vertical space, in millimetres (not scaled with the type)."""

    mm: float


@dataclass(frozen=True)
class Group:
    """Blocks kept on one page when they fit (a target with its scores, a heading and list)."""

    blocks: tuple[Block, ...]


Block = Heading | Paragraph | Bullets | KeyValues | Table | Ladder | Signatures | Spacer | Group


@dataclass(frozen=True)
class Document:
    """A whole printed document: its blocks and what every page carries.

    Staff documents are marked Confidential and name the app in the footer and metadata;
    family documents (the child's handout, the family's plan) go home in school bags and
    carry neither. `type_scale` enlarges every size for large-type family versions.
    """

    title: str
    audience: Audience
    pupil_initials: str
    produced_on: dt.date
    blocks: tuple[Block, ...]
    type_scale: float = 1.0

    @property
    def confidential(self) -> bool:
        return self.audience == "staff"

    def header(self) -> tuple[str, str]:
        """The top line of every page: left and right."""
        left = f"CONFIDENTIAL · {self.pupil_initials}" if self.confidential else self.pupil_initials
        return left, self.title

    def footer(self, page: int) -> tuple[str, str]:
        """The bottom line of page `page`: left and right."""
        # Family-facing documents go home in school bags: they must not name an SEMH tool.
        maker = " by SEMH Desktop" if self.confidential else ""
        return f"Produced {_date(self.produced_on)}{maker}", f"Page {page}"

    def author(self) -> str:
        return "SEMH Desktop" if self.confidential else ""

    def plain_text(self) -> str:
        """Every word the body prints, in reading order (tests, and a check before printing)."""
        return "\n".join(words(self.blocks))


def _date(value: dt.date) -> str:
    # core.dates.format_date, without importing it here: this module stays dependency-free.
    return value.strftime("%d/%m/%Y")


def flatten(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """The blocks with groups opened, in order (renderers that cannot keep blocks together)."""
    for block in blocks:
        if isinstance(block, Group):
            yield from flatten(block.blocks)
        else:
            yield block


def words(blocks: tuple[Block, ...]) -> Iterator[str]:
    """The text of each block in the order both renderers print it."""
    for block in flatten(blocks):
        if isinstance(block, Heading):
            yield block.text
        elif isinstance(block, Paragraph):
            yield f"{block.lead}: {block.text}" if block.lead else block.text
        elif isinstance(block, Bullets):
            yield from (f"• {item}" for item in block.items)
        elif isinstance(block, KeyValues):
            yield from (f"{key} {value}" for key, value in block.pairs)
        elif isinstance(block, Table):
            yield from (" ".join(row) for row in (block.header, *block.rows))
        elif isinstance(block, Ladder):
            yield " ".join(f"{v} {block.mark(v)}".strip() for v in block.values)
            yield f"{block.low_words} {block.high_words}"
        elif isinstance(block, Signatures):
            yield " ".join(block.columns).strip()
            yield from block.roles
