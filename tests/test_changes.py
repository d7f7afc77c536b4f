"""`changes.run`: every write hands back what it changed (record kinds, pupils), and only that."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from semh_desktop.attendance import suspensions
from semh_desktop.attendance.suspensions import SuspensionDetails
from semh_desktop.core import changes
from semh_desktop.core.changes import Changes
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.graduated import templates
from semh_desktop.plans import scaling, targets
from semh_desktop.plans.scaling import BASELINE
from semh_desktop.register import pupils, staff

from .conftest import sample_details
from .import_helpers import SIMS, import_file, pupil_rows
from .psp_fixtures import make_case, wording


def count(store: Store, table: str) -> int:
    return int(next(iter(store.db.query(f"SELECT count(*) AS n FROM {table}")))["n"])


def test_the_value_combines_and_answers_questions() -> None:
    one = Changes.of("case", pupil_ids=["p1"])
    both = one | Changes.of("target", pupil_ids=["p2", None])
    assert both == Changes(frozenset({"case", "target"}), frozenset({"p1", "p2"}))
    assert both.touches("target", "pupil") and not both.touches("pupil")
    assert both.concerns("p2") and not both.concerns("p3")
    assert Changes(everyone=True).concerns("p3")
    assert not Changes() and bool(Changes.of("staff"))


def test_adding_a_pupil_names_the_pupil(store: Store) -> None:
    written = changes.run(store, lambda: pupils.add_pupil(store, sample_details()))
    assert written.changes == Changes.of("pupil", pupil_ids=[written.value.id])
    assert pupils.get_pupil(store, written.value.id).upn == "B801200005001"


def test_opening_a_case_adding_a_target_and_scoring_it(store: Store) -> None:
    case = changes.run(store, lambda: make_case(store))
    assert case.changes == Changes.of("pupil", "case", pupil_ids=[case.value.pupil_id])

    target = changes.run(
        store,
        lambda: targets.add_target(
            store, case.value.id, "behaviour_wellbeing", wording("I stay in class")
        ),
    )
    assert target.changes == Changes.of("target", pupil_ids=[case.value.pupil_id])

    score = changes.run(
        store,
        lambda: scaling.record_score(
            store,
            case.value.id,
            BASELINE,
            4,
            target_id=target.value.id,
            held_on=dt.date(2026, 10, 5),
        ),
    )
    assert score.changes == Changes.of("case_review", "score", pupil_ids=[case.value.pupil_id])
    assert count(store, "scores") == 1


def test_recording_a_suspension_names_only_that_pupil(store: Store) -> None:
    first = pupils.add_pupil(store, sample_details())
    pupils.add_pupil(store, sample_details(upn="A123456789012", legal_surname="Other"))
    written = changes.run(
        store,
        lambda: suspensions.record_suspension(
            store, first.id, SuspensionDetails(dt.date(2026, 11, 16), 2, "disruption")
        ),
    )
    assert written.changes == Changes.of("suspension", pupil_ids=[first.id])
    assert [s.id for s in suspensions.suspensions_for_pupil(store, first.id)] == [written.value.id]


def test_a_pupil_import_changes_everyone(store: Store) -> None:
    written = changes.run(store, lambda: import_file(store, SIMS))
    assert written.changes.everyone and written.changes.touches("pupil")
    assert set(written.value.pupil_ids) <= written.changes.pupil_ids
    assert len(pupil_rows(store)) == written.value.created > 0


def test_a_new_template_version_changes_everyone(store: Store) -> None:
    current = templates.current_template(store)  # installs the default outside any run
    renamed = dataclasses.replace(current.template, name=current.template.name + " (edited)")
    written = changes.run(store, lambda: templates.save_edited_template(store, renamed))
    assert written.changes == Changes(frozenset({"gr_template"}), everyone=True)


def test_opening_printing_and_unlocking_change_nothing(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    opened = changes.run(store, lambda: pupils.open_pupil(store, pupil.id))
    unlocked = changes.run(
        store, lambda: staff.act_as(store, staff.get_staff(store, store.staff_id or ""))
    )
    assert not opened.changes and not unlocked.changes


def test_nothing_is_kept_when_the_write_fails(store: Store) -> None:
    before = count(store, "pupils")

    def add_then_fail() -> None:
        pupils.add_pupil(store, sample_details())
        raise ValidationError("refused")

    with pytest.raises(ValidationError):
        changes.run(store, add_then_fail)
    assert count(store, "pupils") == before  # rolled back
    # The failed run's notes do not leak into the next run.
    after = changes.run(store, lambda: staff.add_staff(store, "Ms Ahmed", "pastoral"))
    assert after.changes == Changes.of("staff")


def test_nested_runs_report_to_both(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    inner: list[Changes] = []

    def outer_work() -> None:
        inner.append(
            changes.run(
                store,
                lambda: suspensions.record_suspension(
                    store, pupil.id, SuspensionDetails(dt.date(2026, 11, 16), 1, "disruption")
                ),
            ).changes
        )
        pupils.archive_pupil(store, pupil.id)

    outer = changes.run(store, outer_work)
    assert inner == [Changes.of("suspension", pupil_ids=[pupil.id])]
    assert outer.changes == Changes.of("suspension", "pupil", pupil_ids=[pupil.id])


def test_a_failed_inner_run_caught_by_the_outer_one_adds_nothing(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())

    def archive_then_fail() -> None:
        pupils.archive_pupil(store, pupil.id)
        raise ValidationError("refused")

    def outer_work() -> None:
        with pytest.raises(ValidationError):
            changes.run(store, archive_then_fail)
        suspensions.record_suspension(
            store, pupil.id, SuspensionDetails(dt.date(2026, 11, 16), 1, "disruption")
        )

    outer = changes.run(store, outer_work)
    assert outer.changes == Changes.of("suspension", pupil_ids=[pupil.id])
    assert pupils.get_pupil(store, pupil.id).archived_at is None  # the inner write was undone


def test_writes_outside_a_run_are_not_collected(store: Store) -> None:
    pupils.add_pupil(store, sample_details())  # the command line writes like this
    written = changes.run(store, lambda: None)
    assert not written.changes and written.value is None
