"""The pupil register, UPN rules, staff profiles and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semh_desktop.core.errors import ValidationError
from semh_desktop.register import audit, pupils, staff, upn
from semh_desktop.register.upn import make_upn

from .conftest import sample_details


def test_upn_check_letter_from_the_domain_example():
    assert upn.check("B801200005001").upn == "B801200005001"
    assert upn.check(" b801 2000 05001 ").upn == "B801200005001"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("A801200005001", "check letter does not match"),
        ("B80120000500", "13 characters"),
        ("I801200005001", "starts with its check letter"),
        ("B8012000X5001", "digits"),
        ("", "Enter the pupil's UPN"),
    ],
)
def test_bad_upns_are_refused_in_plain_words(text, reason):
    with pytest.raises(ValidationError, match=reason):
        upn.check(text)


def test_unknown_la_code_is_a_warning_not_a_refusal():
    made = make_upn(999, 1234, 25, 7)
    checked = upn.check(made)
    assert checked.upn == made
    assert checked.warning and "999" in checked.warning


def test_temporary_upn_ending_in_a_letter_is_accepted():
    body = "80120000500A"
    checked = upn.check(upn.check_letter(body) + body)
    assert checked.temporary


@given(st.integers(0, 999), st.integers(0, 9999), st.integers(0, 99), st.integers(0, 999))
def test_generated_upns_always_validate(la, school, year, serial):
    upn.check(make_upn(la, school, year, serial))


def test_add_pupil_stores_the_row_and_an_audit_entry(store):
    pupil = pupils.add_pupil(store, sample_details())
    stored = pupils.find_by_upn(store, "B801200005001")
    assert stored.id == pupil.id and len(pupil.id) == 36
    assert stored.display_name == "Zoë O'Neill"
    assert stored.details.legal_forename == "Siân"
    assert stored.flags() == ["Pupil Premium"]
    (entry,) = [e for e in audit.entries(store) if e.record_type == "pupil"]
    assert (entry.action, entry.record_id, entry.staff_id) == ("create", pupil.id, store.staff_id)


def test_invalid_pupil_stores_nothing(store):
    with pytest.raises(ValidationError) as caught:
        pupils.add_pupil(store, sample_details(upn="A801200005001"))
    assert caught.value.field == "upn"
    assert store.db["pupils"].count == 0
    assert not [e for e in audit.entries(store) if e.record_type == "pupil"]


def test_validation_reports_every_field_at_once(store):
    result = pupils.validate(store, sample_details(upn="", legal_surname=" ", date_of_birth=None))
    assert set(result.errors) == {"upn", "legal_surname", "date_of_birth"}


def test_duplicate_upn_refused(store):
    pupils.add_pupil(store, sample_details())
    with pytest.raises(ValidationError, match="already has this UPN"):
        pupils.add_pupil(store, sample_details(legal_forename="Other"))


def test_date_of_birth_must_be_plausible(store):
    result = pupils.validate(store, sample_details(date_of_birth=dt.date(2026, 1, 1)))
    assert "date_of_birth" in result.errors


def test_update_audits_the_changed_field_names_not_values(store):
    pupil = pupils.add_pupil(store, sample_details())
    changed = pupils.update_pupil(store, pupil.id, sample_details(year_group=9, eal=True))
    assert changed.details.year_group == 9 and changed.details.eal
    last = audit.entries(store, pupil.id)[-1]
    assert (last.action, last.detail) == ("change", "fields: eal, year_group")
    assert "9" not in last.detail
    # Saving the same details again is not a change.
    pupils.update_pupil(store, pupil.id, sample_details(year_group=9, eal=True))
    assert len(audit.entries(store, pupil.id)) == 2


def test_archive_hides_from_the_caseload_but_keeps_the_record(store):
    pupil = pupils.add_pupil(store, sample_details())
    assert [row.pupil_id for row in pupils.caseload(store)] == [pupil.id]
    pupils.archive_pupil(store, pupil.id)
    assert pupils.caseload(store) == []
    assert pupils.caseload(store, include_archived=True)[0].archived
    assert pupils.get_pupil(store, pupil.id).archived_at
    assert audit.entries(store, pupil.id)[-1].action == "archive"


def test_opening_a_pupil_is_audited(store):
    pupil = pupils.add_pupil(store, sample_details())
    pupils.open_pupil(store, pupil.id)
    assert audit.entries(store, pupil.id)[-1].action == "open"


def test_caseload_register_versus_whole_school(store):
    pupils.add_pupil(store, sample_details())
    pupils.add_pupil(store, sample_details(upn=make_upn(801, 2000, 5, 2), on_semh_register=False))
    assert len(pupils.caseload(store)) == 1
    assert len(pupils.caseload(store, whole_register=True)) == 2


def test_year_groups_parse_as_schools_write_them():
    assert [pupils.parse_year_group(t) for t in ("R", "Year 8", "y11", " 7 ")] == [0, 8, 11, 7]
    with pytest.raises(ValidationError):
        pupils.parse_year_group("Year 15")


def test_staff_profiles_and_roles(store):
    pastoral = staff.add_staff(store, "  Dan   Whitlock ", "pastoral")
    assert pastoral.name == "Dan Whitlock" and pastoral.can_edit
    assert not staff.add_staff(store, "Visitor", "read_only").can_edit
    with pytest.raises(ValidationError, match="role"):
        staff.add_staff(store, "X", "head")
    assert staff.find_staff(store, "dan whitlock").id == pastoral.id
