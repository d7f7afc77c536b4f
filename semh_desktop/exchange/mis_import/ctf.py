"""The DfE Common Transfer File (CTF): the XML a school sends when a pupil moves school.

Parsed safely with defusedxml (no DTD, no entities, so no external files and no entity bombs)
and by tag name with namespaces stripped, because CTF versions move and rename elements. Only
the `Pupil` element and its `BasicDetails` are searched for a pupil's own fields: contacts
elsewhere in a pupil carry `Surname` and `Forename` too.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from semh_desktop.core.errors import ValidationError
from semh_desktop.exchange.mis_import.fields import SourceRecord
from semh_desktop.register import upn

MAX_DEPTH = 64  # a real CTF nests about six deep; anything far deeper is not a CTF


@dataclass(frozen=True)
class CtfHeader:
    school_name: str = ""
    la: str = ""
    establishment: str = ""
    version: str = ""
    created: str = ""

    @property
    def la_warning(self) -> str | None:
        """An unknown local-authority code is worth a look, but does not stop the import."""
        if not self.la:
            return None
        if not (self.la.isdigit() and len(self.la) == 3):
            return f"The source school's local authority code '{self.la[:10]}' is not three digits."
        if upn.check(upn.make_upn(int(self.la), 0, 0, 0)).warning:
            return f"The source school's local authority code {self.la} is not one we know."
        return None

    def describe(self) -> str:
        parts = [self.school_name or "an unnamed school"]
        if self.la or self.establishment:
            parts.append(f"({self.la or '???'}/{self.establishment or '????'})")
        if self.version:
            parts.append(f"CTF version {self.version}")
        return " ".join(parts)


@dataclass(frozen=True)
class CtfFile:
    name: str
    header: CtfHeader
    pupils: tuple[SourceRecord, ...]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: ElementTree.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _children(element: ElementTree.Element, name: str) -> Iterable[ElementTree.Element]:
    return (child for child in element if _local(child.tag) == name)


def _child(element: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    if element is None:
        return None
    return next(iter(_children(element, name)), None)


def _descendants(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _parse(data: bytes) -> ElementTree.Element:
    """The root element, refusing DTDs, entities and absurd nesting before building much."""
    root: ElementTree.Element | None = None
    depth = 0
    try:
        for event, element in SafeElementTree.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                if depth > MAX_DEPTH:
                    raise ValidationError(
                        f"The XML nests more than {MAX_DEPTH} levels deep, so it is not a Common "
                        "Transfer File.",
                        field="file",
                    )
            else:
                depth -= 1
    except defusedxml.DefusedXmlException:
        raise ValidationError(
            "The file declares a DTD or entities, which a Common Transfer File never needs; "
            "it was not read, for safety.",
            field="file",
        ) from None
    except ElementTree.ParseError as exc:
        raise ValidationError(
            f"The file is not well-formed XML ({exc}); it may be cut short.", field="file"
        ) from None
    except (ValueError, UnicodeError, RecursionError):  # odd encodings declared in the prolog
        raise ValidationError("The file is not readable XML.", field="file") from None
    if root is None:
        raise ValidationError("The file is empty.", field="file")
    return root


def _header(root: ElementTree.Element) -> CtfHeader:
    header = _child(root, "Header")
    if header is None:
        return CtfHeader()
    source = _child(header, "SourceSchool")
    if source is None:
        source = header
    return CtfHeader(
        school_name=_text(_child(source, "SchoolName")),
        la=_text(_child(source, "LEA")) or _text(_child(source, "LA")),
        establishment=_text(_child(source, "Estab")),
        version=_text(_child(header, "CTFversion")),
        created=_text(_child(header, "DateTime")),
    )


def _own(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    """A child of the element, or of its BasicDetails (CTF versions differ in where they put it).

    Elements are compared with None explicitly: an element without children is falsy.
    """
    found = _child(element, name)
    if found is None:
        found = _child(_child(element, "BasicDetails"), name)
    return found


def _field(pupil: ElementTree.Element, name: str) -> str:
    return _text(_own(pupil, name))


def _first_language(pupil: ElementTree.Element) -> str:
    holder = _own(pupil, "Languages")
    if holder is None:
        return ""
    for entry in holder:
        kind = _text(_child(entry, "LanguageType")).upper()
        if kind in ("FIRST", "F", "FIR"):
            return _text(_child(entry, "Language"))
    return ""


def _sen(pupil: ElementTree.Element) -> dict[str, str]:
    """The latest SEN provision and the top-ranked need from SENhistory."""
    history = _own(pupil, "SENhistory")
    if history is None:
        return {}
    values: dict[str, str] = {}
    spells = []
    for order, spell in enumerate(_descendants(history, "SEN")):
        provision = _text(_child(spell, "SENprovision"))
        if provision:
            spells.append((_text(_child(spell, "StartDate")), order, provision))
    if spells:
        values["sen_provision"] = max(spells)[2]
    needs = []
    for order, need in enumerate(_descendants(history, "SENneed")):
        kind = _text(_child(need, "SENtype"))
        rank = _text(_child(need, "SENtypeRank"))
        if kind:
            needs.append((int(rank) if rank.isdigit() and len(rank) < 4 else 999, order, kind))
    if needs:
        values["primary_need"] = min(needs)[2]
    return values


def _pupil(element: ElementTree.Element, index: int) -> SourceRecord:
    values = {
        "upn": _field(element, "UPN"),
        "former_upn": _field(element, "FormerUPN"),
        "legal_surname": _field(element, "Surname"),
        "legal_forename": _field(element, "Forename"),
        "preferred_surname": _field(element, "PreferredSurname"),
        "preferred_forename": _field(element, "PreferredForename"),
        "date_of_birth": _field(element, "DOB"),
        "sex": _field(element, "Sex") or _field(element, "Gender"),
        "year_group": _field(element, "NCyearActual"),
        "ethnicity": _field(element, "Ethnicity"),
        "first_language": _first_language(element),
        **_sen(element),
    }
    return SourceRecord(f"pupil {index}", {k: v for k, v in values.items() if v}, index=index)


def read_ctf(data: bytes, name: str = "the file") -> CtfFile:
    root = _parse(data)
    if _local(root.tag) != "CTfile":
        raise ValidationError(
            f"This XML file is not a Common Transfer File (it starts with "
            f"<{_local(root.tag)[:40]}>, not <CTfile>).",
            field="file",
        )
    pupils: list[SourceRecord] = []
    for holder in _children(root, "CTFpupilData"):
        for element in _children(holder, "Pupil"):
            pupils.append(_pupil(element, len(pupils) + 1))
    return CtfFile(name, _header(root), tuple(pupils))
