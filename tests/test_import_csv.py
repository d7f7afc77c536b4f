"""CSV exports: decoding, separators, the column mapping, reading cells, and the fixture styles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import import csv_pupils
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.csv_pupils import guess_mapping, read_csv, suggested_mapping
from semh_desktop.exchange.mis_import.fields import read_value

from .import_helpers import ARBOR, BROMCOM, SIMS, import_file, preview_file, pupil_rows

# What every style stores for the six fictional pupils, where the style carries the field.
EXPECTED = {
    "P873412713001": dict(
        legal_surname="Halloran",
        legal_forename="Renée",
        date_of_birth="2013-10-02",
        sex="F",
        year_group=8,
        reg_group="8HN",
        sen_provision="K",
        primary_need="SEMH",
        pupil_premium=1,
        eal=0,
        ethnicity="White, Irish",
    ),
    "D873412713002": dict(
        legal_surname="O’Donnell",
        legal_forename="Chloë",
        preferred_forename="Clo",
        date_of_birth="2015-01-19",
        sex="F",
        year_group=7,
        reg_group="7RT",
        sen_provision="N",
        primary_need=None,
        pupil_premium=0,
        eal=0,
        ethnicity="White, British",
    ),
    "T873412713003": dict(
        legal_surname="Fenlowe",
        legal_forename="Tobias",
        preferred_forename="Toby",
        date_of_birth="2012-04-27",
        sex="M",
        year_group=10,
        reg_group="10MK",
        sen_provision="E",
        primary_need="ASD",
        pupil_premium=1,
        eal=0,
    ),
    "G873412713004": dict(
        legal_surname="Nwachukwu-Bell",
        legal_forename="Amara",
        date_of_birth="2013-01-30",
        sex="F",
        year_group=9,
        reg_group="9LS",
        sen_provision="K",
        primary_need="SLCN",
        pupil_premium=0,
        eal=1,
        ethnicity="Black, African",
    ),
    "W873412713005": dict(
        legal_surname="Mensah-Darby",
        legal_forename="Kofi",
        date_of_birth="2011-06-14",
        sex="M",
        year_group=11,
        reg_group="11PQ",
        sen_provision="N",
        pupil_premium=1,
        eal=0,
        ethnicity="Mixed, White and Black African",
    ),
    "K873412713006": dict(
        legal_surname="Haddad",
        legal_forename="Zaïd",
        date_of_birth="2014-12-03",
        sex="M",
        year_group=7,
        reg_group="7AB",
        sen_provision="K",
        primary_need="SEMH",
        pupil_premium=1,
        eal=1,
        ethnicity="Any other ethnic group",
    ),
}


def _assert_expected(store: Store, extra: dict[str, dict[str, object]] | None = None) -> None:
    rows = pupil_rows(store)
    assert set(rows) == set(EXPECTED)
    for upn, fields in EXPECTED.items():
        wanted = {**fields, **(extra or {}).get(upn, {})}
        assert {name: rows[upn][name] for name in wanted} == wanted, upn
        assert rows[upn]["on_semh_register"] == 0


def test_sims_style_cp1252_imports_expected_rows(store: Store) -> None:
    table = read_csv(SIMS.read_bytes(), SIMS.name)
    assert table.encoding == "Windows-1252"
    assert table.separator == ","
    result = import_file(store, SIMS)
    assert (result.created, result.updated, result.error_rows) == (6, 0, 0)
    # SIMS carries "Surname"/"Forename" beside the legal names: they are the preferred ones.
    _assert_expected(
        store, {"P873412713001": {"preferred_forename": "Renée", "preferred_surname": "Halloran"}}
    )


def test_arbor_style_utf8_bom_imports_expected_rows(store: Store) -> None:
    table = read_csv(ARBOR.read_bytes(), ARBOR.name)
    assert table.encoding == "UTF-8 with BOM"
    assert table.headers[0] == "First Name"  # the BOM is not part of the first header
    import_file(store, ARBOR)
    _assert_expected(
        store,
        {
            "T873412713003": {"social_care": "CLA"},
            "P873412713001": {"preferred_forename": None, "social_care": ""},
        },
    )


def test_bromcom_style_semicolons_imports_expected_rows(store: Store) -> None:
    table = read_csv(BROMCOM.read_bytes(), BROMCOM.name)
    assert (table.separator, table.encoding) == (";", "UTF-8")
    import_file(store, BROMCOM)
    # First Language "Igbo" / "Arabic" means EAL; the need type is written out in words.
    _assert_expected(store)


def test_guessed_mappings_for_the_three_styles() -> None:
    sims = read_csv(SIMS.read_bytes())
    assert dict(zip(sims.headers, guess_mapping(sims.headers), strict=True)) == {
        "Adno": "",
        "UPN": "upn",
        "Legal Surname": "legal_surname",
        "Legal Forename": "legal_forename",
        "Surname": "preferred_surname",
        "Forename": "preferred_forename",
        "DOB": "date_of_birth",
        "Gender": "sex",
        "Year": "year_group",
        "Reg Group": "reg_group",
        "SEN Status": "sen_provision",
        "Primary Need": "primary_need",
        "Pupil Premium": "pupil_premium",
        "EAL": "eal",
        "Ethnicity": "ethnicity",
    }
    assert guess_mapping(
        [
            "Last Name",
            "First Name",
            "Date of Birth",
            "Year Group",
            "Form",
            "FSM Ever 6",
            "CLA",
            "Student UPN",
            "D.O.B.",
        ]
    ) == (
        "legal_surname",
        "legal_forename",
        "",
        "year_group",
        "reg_group",
        "pupil_premium",
        "looked_after",
        "upn",
        "date_of_birth",
    )  # DOB outranks Date of Birth
    assert guess_mapping(["Surname", "Forename", "NC Year Actual", "Year"]) == (
        "legal_surname",
        "legal_forename",
        "year_group",
        "",
    )


@pytest.mark.parametrize(
    "text, year",
    [
        ("Year 8", 8),
        ("8", 8),
        ("Y8", 8),
        ("Yr 10", 10),
        ("R", 0),
        ("Reception", 0),
        ("Year R", 0),
        ("N1", -2),
        ("N2", -1),
        ("14", 14),
        ("0", 0),
    ],
)
def test_year_groups_as_schools_write_them(text: str, year: int) -> None:
    assert read_value("year_group", text) == year


@pytest.mark.parametrize("text", ["X", "15", "Year 15", "-1", "Y", "eight"])
def test_unknown_year_groups_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_value("year_group", text)
    assert caught.value.field == "year_group"


@pytest.mark.parametrize(
    "text",
    [
        "14/05/2013",
        "2013-05-14",
        "14-05-2013",
        "14.05.2013",
        "14/5/2013",
        "2013-05-14T00:00:00",
        "14/05/2013 00:00",
    ],
)
def test_dates_in_uk_and_iso_forms(text: str) -> None:
    assert read_value("date_of_birth", text) == dt.date(2013, 5, 14)


def test_impossible_and_unreadable_dates_say_which() -> None:
    with pytest.raises(ValidationError, match="not a real date"):
        read_value("date_of_birth", "31/02/2013")
    with pytest.raises(ValidationError, match="dd/mm/yyyy"):
        read_value("date_of_birth", "May 2013")


def test_booleans_codes_and_words() -> None:
    for text in ("Yes", "Y", "true", "T", "1"):
        assert read_value("pupil_premium", text) is True
    for text in ("No", "n", "False", "0"):
        assert read_value("pupil_premium", text) is False
    with pytest.raises(ValidationError):
        read_value("pupil_premium", "maybe")
    assert read_value("sen_provision", "E - Education, Health and Care Plan") == "E"
    assert read_value("sen_provision", "SEN Support") == "K"
    assert read_value("sen_provision", "S") == "E"  # an old statement is an EHC plan now
    assert read_value("primary_need", "Autism") == "ASD"
    assert read_value("primary_need", "Social, Emotional and Mental Health") == "SEMH"
    assert read_value("sex", "Female") == "F"
    assert read_value("first_language", "ENB") is False
    assert read_value("first_language", "Polish") is True
    assert read_value("first_language", "NOT") is None  # not obtained: says nothing


def test_decoding_utf8_without_bom_and_workbooks() -> None:
    text, encoding = csv_pupils.decode("UPN,Surname\nB801200005001,Nørgaard\n".encode())
    assert encoding == "UTF-8" and "Nørgaard" in text
    with pytest.raises(ValidationError, match="spreadsheet workbook"):
        csv_pupils.decode(b"PK\x03\x04rest-of-an-xlsx")
    text, encoding = csv_pupils.decode("UPN\tSurname\r\n".encode("utf-16"))
    assert encoding == "UTF-16" and csv_pupils.guess_separator(text) == "\t"


def test_separator_ignores_commas_inside_quotes() -> None:
    assert csv_pupils.guess_separator('"Surname, legal";UPN;DOB\n') == ";"
    assert csv_pupils.guess_separator("UPN\n") == ","


def test_mapping_is_remembered_on_import_not_on_preview(store: Store) -> None:
    table = read_csv(SIMS.read_bytes(), SIMS.name)
    corrected = list(guess_mapping(table.headers))
    corrected[table.headers.index("Surname")] = ""  # leave the preferred surname out
    preview = pupil_import.preview_import(store, table, mapping=corrected)
    assert not suggested_mapping(store, table.headers).remembered
    assert list(store.db.query("SELECT * FROM settings")) == []
    pupil_import.apply_import(store, preview)
    suggestion = suggested_mapping(store, table.headers)
    assert suggestion.remembered and suggestion.fields == tuple(corrected)
    assert pupil_rows(store)["P873412713001"]["preferred_surname"] is None
    # A file with other headers still gets a fresh guess.
    assert not suggested_mapping(store, ("UPN", "Surname")).remembered


def test_mapping_file_overrides_named_columns(tmp_path: Path) -> None:
    table = read_csv(SIMS.read_bytes())
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps({"Adno": "ignore", "surname": None, "Ethnicity": "EAL", "EAL": "ignore"}),
        encoding="utf-8",
    )
    fields = csv_pupils.load_mapping_file(mapping_file, table.headers, guess_mapping(table.headers))
    by_header = dict(zip(table.headers, fields, strict=True))
    assert by_header["Surname"] == "" and by_header["Ethnicity"] == "eal"
    assert by_header["UPN"] == "upn"  # not named: keeps the guess
    mapping_file.write_text(json.dumps({"Postcode": "upn"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="Postcode"):
        csv_pupils.load_mapping_file(mapping_file, table.headers, guess_mapping(table.headers))
    mapping_file.write_text(json.dumps({"UPN": "shoe size"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="shoe size"):
        csv_pupils.load_mapping_file(mapping_file, table.headers, guess_mapping(table.headers))


def test_mapping_must_be_usable(store: Store) -> None:
    table = read_csv(SIMS.read_bytes())
    doubled = list(guess_mapping(table.headers))
    doubled[0] = "upn"  # Adno and UPN both as UPN
    with pytest.raises(ValidationError, match="both set to UPN") as caught:
        pupil_import.preview_import(store, table, mapping=doubled)
    assert caught.value.field == "mapping"
    with pytest.raises(ValidationError, match="recognised"):
        pupil_import.preview_import(store, table, mapping=[""] * len(table.headers))


def test_preview_reads_but_never_writes(store: Store) -> None:
    before = store.conn.total_changes
    preview = preview_file(store, SIMS)
    assert len(preview.new) == 6
    assert store.conn.total_changes == before
