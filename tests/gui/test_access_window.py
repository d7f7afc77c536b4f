"""In the window, a role's refusal comes from the domain in the same words as on the command
line, nothing is stored, and the actions a profile may not use are disabled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from semh_desktop.core.store import Store
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.register import access, audit, pupils, staff
from tests.conftest import sample_details
from ui.common.operations import run_write
from ui.shell.main_window import MainWindow

READER = "Visiting outreach worker"  # the demo school's read-only profile
PASTORAL = "Daniel Whitlock"


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def warning(parent: object, title: str, text: str, *args: object) -> object:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


def _window_as(school: Store, make_window: Callable[..., MainWindow], name: str) -> MainWindow:
    school.staff_id = staff.find_staff(school, name).id
    return make_window(school)


def _pupil_count(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM pupils").fetchone()[0])


def test_a_read_only_write_is_refused_in_the_domains_words(
    school: Store, make_window: Callable[..., MainWindow], warnings: list[str]
) -> None:
    window = _window_as(school, make_window, READER)
    before = _pupil_count(school)

    made = run_write(window, school, lambda: pupils.add_pupil(school, sample_details()))

    assert made is None
    assert warnings == [access.refusal_message("read_only", "casework")]
    assert "Read-only" in warnings[0]
    assert _pupil_count(school) == before
    last = audit.entries(school)[-1]
    assert (last.action, last.record_type, last.detail, last.staff_id) == (
        "refused",
        "casework",
        "add_pupil",
        school.staff_id,
    )


def test_pastoral_staff_are_refused_a_template_import(
    school: Store, make_window: Callable[..., MainWindow], warnings: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "template.json"
    default = gr_templates.default_template()
    path.write_text(
        gr_templates.template_to_json(default).replace(default.name, "Elsewhere", 1),
        encoding="utf-8",
    )
    window = _window_as(school, make_window, PASTORAL)
    versions = len(gr_templates.versions(school))

    assert run_write(window, school, lambda: gr_templates.import_template(school, path)) is None

    assert warnings == [access.refusal_message("pastoral", "templates")]
    assert len(gr_templates.versions(school)) == versions


def _enabled_by_rule(window: MainWindow) -> dict[str, tuple[bool, bool, str | None]]:
    """Each rule-governed action: (enabled, needs edit, permission), with a pupil open."""
    window.table.selectRow(0)
    assert window.current_pupil is not None
    return {
        action.text(): (action.isEnabled(), rule.needs_edit, rule.permission)
        for action, rule in window._rules.items()
        if rule.needs_edit or rule.permission
    }


def test_a_read_only_profile_has_no_action_that_changes_anything(
    school: Store, make_window: Callable[..., MainWindow]
) -> None:
    window = _window_as(school, make_window, READER)
    governed = _enabled_by_rule(window)
    assert any(needs_edit for _, needs_edit, _ in governed.values())
    assert {text for text, (enabled, _, _) in governed.items() if enabled} == set()
    assert not window.new_pupil_action.isEnabled()
    assert not window.edit_action.isEnabled()
    assert not window.staff_action.isEnabled()
    assert window.lock_action.isEnabled()  # and looking, locking and leaving stay


def test_pastoral_staff_edit_pupils_but_do_not_manage_staff(
    school: Store, make_window: Callable[..., MainWindow]
) -> None:
    window = _window_as(school, make_window, PASTORAL)
    governed = _enabled_by_rule(window)
    refused = [
        text for text, (_, _, p) in governed.items() if p and not access.allows("pastoral", p)
    ]
    assert refused  # at least Staff profiles…
    assert not [text for text in refused if governed[text][0]]
    assert window.new_pupil_action.isEnabled()
    assert window.edit_action.isEnabled()
    assert not window.staff_action.isEnabled()


def test_a_senco_has_the_staff_profiles_action(window: MainWindow) -> None:
    assert window.staff_action.isEnabled()
    assert window.new_pupil_action.isEnabled()
