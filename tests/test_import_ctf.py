"""The DfE Common Transfer File: header, pupils by tag name, SEN history, versions, safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.ctf import read_ctf

from .import_helpers import CTF, CTF_OLD, import_file, preview_file, pupil_rows


def test_header_and_pupils_are_read_by_tag_name() -> None:
    ctf = read_ctf(CTF.read_bytes(), CTF.name)
    assert (
        ctf.header.school_name,
        ctf.header.la,
        ctf.header.establishment,
        ctf.header.version,
    ) == ("Wrenfield Primary School (fictional)", "873", "2046", "24.0")
    assert ctf.header.la_warning is None
    first = dict(ctf.pupils[0].values)
    assert first == {
        "upn": "U873204619001",
        "legal_surname": "Penrose-Adeyemi",
        "legal_forename": "Tallulah",
        "preferred_surname": "Penrose",
        "preferred_forename": "Lula",
        "date_of_birth": "2015-03-12",
        "sex": "F",
        "year_group": "7",
        "ethnicity": "MWBA",
        "first_language": "ENG",
        "sen_provision": "E",  # the latest SEN spell, not the first
        "primary_need": "SEMH",  # rank 1, though listed second
    }  # and the parent's Surname/Forename in Contacts did not leak in
    assert ctf.pupils[1].values["former_upn"] == "E87320461900A"
    assert [p.where for p in ctf.pupils] == ["pupil 1", "pupil 2", "pupil 3", "pupil 4"]


def test_ctf_imports_expected_rows_and_reports_bad_pupils(store: Store) -> None:
    preview = preview_file(store, CTF)
    assert [(p.index, p.upn, p.field) for p in preview.errors] == [
        (4, "A873204619005", "date_of_birth")
    ]  # 29/02/2015 does not exist
    assert "not a real date" in preview.errors[0].reason
    pupil_import.apply_import(store, preview)
    rows = pupil_rows(store)
    assert set(rows) == {"U873204619001", "H873204619002", "X873204619003"}
    lula = rows["U873204619001"]
    assert {
        k: lula[k]
        for k in (
            "legal_surname",
            "legal_forename",
            "preferred_surname",
            "preferred_forename",
            "date_of_birth",
            "sex",
            "year_group",
            "sen_provision",
            "primary_need",
            "eal",
            "ethnicity",
            "on_semh_register",
        )
    } == {
        "legal_surname": "Penrose-Adeyemi",
        "legal_forename": "Tallulah",
        "preferred_surname": "Penrose",
        "preferred_forename": "Lula",
        "date_of_birth": "2015-03-12",
        "sex": "F",
        "year_group": 7,
        "sen_provision": "E",
        "primary_need": "SEMH",
        "eal": 0,
        "ethnicity": "MWBA",
        "on_semh_register": 0,
    }
    assert rows["H873204619002"]["eal"] == 1  # first language Yoruba
    assert (rows["X873204619003"]["sen_provision"], rows["X873204619003"]["primary_need"]) == (
        "K",
        "SPLD",
    )
    again = preview_file(store, CTF)
    assert (len(again.new), len(again.updated), len(again.unchanged)) == (0, 0, 3)


def test_older_namespaced_ctf_with_gender_and_an_unknown_la(store: Store) -> None:
    preview = preview_file(store, CTF_OLD)
    assert [w.field for w in preview.warnings] == ["la"]
    assert "999 is not one we know" in preview.warnings[0].reason
    import_file(store, CTF_OLD)
    row = pupil_rows(store)["L873204619004"]
    assert (
        row["legal_forename"],
        row["sex"],
        row["year_group"],
        row["sen_provision"],
        row["primary_need"],
    ) == ("Anaïs", "F", 6, "K", None)


def _refused(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        pupil_import.read_source(data, "hostile.xml")
    return caught.value


def test_billion_laughs_is_refused_without_expanding() -> None:
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY l0 "ha">{entities}]>'
        "<CTfile><CTFpupilData><Pupil><Surname>&l9;</Surname></Pupil></CTFpupilData></CTfile>"
    )
    assert "DTD or entities" in _refused(bomb.encode()).message


def test_external_entity_to_a_local_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<CTfile><CTFpupilData><Pupil><UPN>&x;</UPN></Pupil></CTFpupilData></CTfile>"
    )
    error = _refused(xxe.encode())
    assert "TOP-SECRET" not in error.message


def test_deep_nesting_truncation_and_other_xml_are_refused() -> None:
    deep = "<CTfile>" + "<a>" * 5000 + "</a>" * 5000 + "</CTfile>"
    assert "nests more than" in _refused(deep.encode()).message
    assert "not well-formed" in _refused(CTF.read_bytes()[:700]).message
    assert "not a Common Transfer File" in _refused(b"<html><body/></html>").message
    assert "not well-formed" in _refused(b"<").message
