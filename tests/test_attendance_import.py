"""Importing suspensions and attendance from one CSV file for many pupils."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semh_desktop.attendance import attendance, suspensions
from semh_desktop.attendance.suspensions import SuspensionDetails
from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import.attendance import apply_import, read_import
from semh_desktop.register import audit, pupils
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

UPN_1 = make_upn(801, 2000, 20, 1)
UPN_2 = make_upn(801, 2000, 20, 2)
UNKNOWN = make_upn(801, 2000, 20, 3)


@pytest.fixture
def two_pupils(store: Store) -> dict[str, str]:
    first = pupils.add_pupil(store, sample_details(upn=UPN_1)).id
    second = pupils.add_pupil(store, sample_details(upn=UPN_2, legal_forename="Rhiannon")).id
    return {UPN_1: first, UPN_2: second}


def rows(store: Store, table: str) -> list[dict[str, object]]:
    return list(store.db.query(f"SELECT * FROM {table} ORDER BY rowid"))


SUSPENSIONS = f"""UPN,Start date,Days,Reason,Note
{UPN_1},02/11/2026,1,VA,Shouted at a teacher
{UPN_1},04/11/2026,0.5,Persistent or general disruptive behaviour,
{UNKNOWN},02/11/2026,1,VA,
{UPN_2},21/11/2026,1,VA,
{UPN_2},32/11/2026,1,VA,

{UPN_2},03/11/2026,1.25,VA,
{UPN_2},09/11/2026,2,Being unkind,
{UPN_1},04/11/2026,1,damage,"overlaps the lunchtime
on the line before"
{UPN_2},10/11/2026,3 days,theft,
{UPN_2},11/11/2026,1,theft,overlaps the one above
""".encode()


def test_every_bad_row_is_reported_with_its_line(store: Store, two_pupils: dict[str, str]) -> None:
    before = len(audit.entries(store))
    preview = read_import(store, SUSPENSIONS, file_name="suspensions.csv")
    assert preview.kind == "suspensions"
    assert [(r.line, r.upn) for r in preview.rows] == [(2, UPN_1), (3, UPN_1), (12, UPN_2)]
    assert preview.rows[1].suspension == SuspensionDetails(
        dt.date(2026, 11, 4), 1, "disruption", ""
    )
    errors = {e.line: e.message for e in preview.errors}
    assert sorted(errors) == [4, 5, 6, 8, 9, 10, 13]  # line 7 is blank; 10-11 is one record
    assert "No pupil with UPN" in errors[4]
    assert "Saturday" in errors[5]
    assert "not a date" in errors[6]
    assert "whole or half school days" in errors[8]
    assert "not a reason category" in errors[9]
    assert "overlaps" in errors[10]  # with line 3 of the same file
    assert "overlaps" in errors[13]  # with line 12
    assert preview.errors[0].text.startswith("Line 4: ")
    assert preview.summary() == "3 valid suspensions for 2 pupils; 7 rows with problems."
    # Reading writes nothing, not even an audit row.
    assert rows(store, "suspensions") == []
    assert len(audit.entries(store)) == before


def test_accepting_stores_the_valid_rows_in_one_audited_batch(
    store: Store, two_pupils: dict[str, str]
) -> None:
    preview = read_import(store, SUSPENSIONS)
    result = apply_import(store, preview)
    assert (result.imported, result.skipped, result.pupils) == (3, 7, 2)
    stored = rows(store, "suspensions")
    assert [(r["pupil_id"], r["start_date"], r["half_days"], r["reason"]) for r in stored] == [
        (two_pupils[UPN_1], "2026-11-02", 2, "verbal_adult"),
        (two_pupils[UPN_1], "2026-11-04", 1, "disruption"),
        (two_pupils[UPN_2], "2026-11-10", 6, "theft"),
    ]
    assert {r["import_batch"] for r in stored} == {result.batch_id}
    batch = [e for e in audit.entries(store) if e.action == "import"]
    assert [(e.record_type, e.record_id, e.detail) for e in batch] == [
        ("suspension_csv", result.batch_id, "rows imported: 3; rows refused: 7; pupils: 2")
    ]
    created = [e for e in audit.entries(store) if e.record_type == "suspension"]
    assert sorted(e.record_id for e in created) == sorted(str(r["id"]) for r in stored)


def test_refusing_leaves_the_store_as_it_was(store: Store, two_pupils: dict[str, str]) -> None:
    read_import(store, SUSPENSIONS)  # previewed, then the person presses Cancel
    assert rows(store, "suspensions") == []
    assert not [e for e in audit.entries(store) if e.action == "import"]


def test_nothing_is_imported_if_the_store_changed_since_the_preview(
    store: Store, two_pupils: dict[str, str]
) -> None:
    preview = read_import(store, SUSPENSIONS)
    suspensions.record_suspension(
        store, two_pupils[UPN_2], SuspensionDetails(dt.date(2026, 11, 12), 2, "other")
    )  # now line 12 (10-12/11) overlaps
    with pytest.raises(ValidationError, match="Line 12 no longer fits"):
        apply_import(store, preview)
    assert len(rows(store, "suspensions")) == 1  # only the one typed in
    assert not [e for e in audit.entries(store) if e.action == "import"]


def test_the_45_day_rule_applies_across_the_file(store: Store, two_pupils: dict[str, str]) -> None:
    lines = ["UPN,Start,Length,Category"]
    # Nine week-long suspensions in autumn 2025 (45 days), then one more day: refused.
    for week in range(9):
        day = dt.date(2025, 9, 8) + dt.timedelta(weeks=2 * week)
        lines.append(f"{UPN_1},{day.isoformat()},5,DB")
    lines.append(f"{UPN_1},2026-03-02,1,DB")
    preview = read_import(store, "\n".join(lines).encode())
    assert len(preview.rows) == 9
    assert [e.line for e in preview.errors] == [11]
    assert "at most 45" in preview.errors[0].message


ATTENDANCE = f"""upn;date;attendance %;sessions possible;sessions attended
{UPN_1};20/11/2026;93.5;;
{UPN_2};20/11/2026;;120;107
{UPN_2};20/11/2026;90;;
{UPN_1};13/11/2026;95;120;100
{UPN_1};24/11/2026;95;;
{UPN_1};06/11/2026;;;
""".replace(";", ",").encode("cp1252")


def test_attendance_file(store: Store, two_pupils: dict[str, str]) -> None:
    attendance.record_attendance(
        store,
        two_pupils[UPN_1],
        attendance.AttendanceDetails(as_of=dt.date(2026, 11, 13), percent=80),
    )
    preview = read_import(store, ATTENDANCE)
    assert preview.kind == "attendance"
    assert [
        (r.line, r.attendance.resolved_percent() if r.attendance else None) for r in preview.rows
    ] == [(2, 93.5), (3, 89.2)]
    errors = {e.line: e.message for e in preview.errors}
    assert "already an attendance figure" in errors[4]  # the same pupil and day as line 3
    assert "already an attendance figure" in errors[5] and "83.3%" in errors[5]
    assert "future" in errors[6]
    assert "Enter the %" in errors[7]
    result = apply_import(store, preview)
    assert result.imported == 2
    stored = rows(store, "attendance_snapshots")
    assert [(r["as_of"], r["percent"], r["import_batch"]) for r in stored] == [
        ("2026-11-13", 80.0, None),
        ("2026-11-20", 93.5, result.batch_id),
        ("2026-11-20", 89.2, result.batch_id),
    ]
    assert [e.record_type for e in audit.entries(store) if e.action == "import"] == [
        "attendance_csv"
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"name,age\nx,1\n", "first row must name the columns"),
        (b"UPN,Start date,Days\nA,B,C\n", "no column for: Reason"),
        (b"UPN,Date\n", "first row must name the columns"),
        (b"UPN,Days,Reason,Attendance %\n", "first row must name the columns"),
        (b"\x00\x01\x02", "binary"),
        (b'UPN,Date,Attendance %\n"unclosed', None),
    ],
)
def test_whole_file_problems(store: Store, data: bytes, words: str | None) -> None:
    if words is None:
        preview = read_import(store, data)  # a cut-short last line is just a bad row
        assert preview.rows == [] and len(preview.errors) == 1
        return
    with pytest.raises(ValidationError, match=words):
        read_import(store, data)


def test_apply_needs_valid_rows(store: Store, two_pupils: dict[str, str]) -> None:
    preview = read_import(store, f"UPN,Date,Attendance\n{UNKNOWN},01/11/2026,90\n".encode())
    with pytest.raises(ValidationError, match="no valid rows"):
        apply_import(store, preview)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(store: Store, data: bytes) -> None:
    try:
        preview = read_import(store, data)
    except SemhError:
        return
    assert preview.rows == []  # nobody in this store: nothing can be valid


HEADERS = [
    b"UPN,Start date,Days,Reason,Note\n",
    b"UPN,Date,Attendance %\n",
    b"upn,date,sessions possible,sessions attended\n",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(HEADERS),
    body=st.binary(max_size=300),
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)
def test_arbitrary_rows_under_a_good_header_never_crash(
    store: Store, header: bytes, body: bytes, text: str
) -> None:
    for data in (
        header + body,
        header + text.encode("utf-8"),
        header + f"{UPN_1},{text}\n".encode(),
    ):
        try:
            preview = read_import(store, data)
        except SemhError:
            continue
        assert all(error.line >= 2 for error in preview.errors)
