"""Graduated-response templates: the default, file round trips, refusals that change nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semh_desktop.cli import main as cli
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.keystore import Passphrase
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.templates import (
    DEFAULT_TEMPLATE_PATH,
    ChecklistItem,
    TemplateError,
    default_template,
    parse_template,
    template_to_dict,
    template_to_json,
)
from semh_desktop.register import audit
from semh_desktop.register.database import open_database

from .gr_fixtures import dump_tables, small_template


def test_default_template_loads_with_four_phases_of_8_to_12_items():
    template = default_template()
    assert [p.name for p in template.phases] == [
        "Universal",
        "Targeted / SEN support",
        "Targeted plus / external advice",
        "Specialist",
    ]
    for phase in template.phases:
        assert 8 <= len(phase.items) <= 12, phase.name
        assert phase.description
    ids = [item.id for phase in template.phases for item in phase.items]
    assert len(ids) == len(set(ids))


def test_default_template_covers_what_the_domain_lists():
    words = " ".join(item.text.casefold() for p in default_template().phases for item in p.items)
    for topic in (
        "key adult",
        "reward",
        "emotion coaching",
        "calm space",
        "parents",
        "assess-plan-do-review",
        "boxall",
        "sdq",
        "pastoral support plan",
        "attendance",
        "suspensions",
        "educational psychologist",
        "camhs",
        "early help",
        "outreach",
        "partnership panel",
        "alternative provision",
        "ehc) needs assessment",
        "visual supports",
        "changes to routine",
    ):
        assert topic in words, topic


def test_default_file_is_in_canonical_form():
    # So exporting the default reproduces the shipped file byte for byte.
    shipped = DEFAULT_TEMPLATE_PATH.read_bytes()
    assert template_to_json(default_template()).encode("utf-8") == shipped


def test_first_use_installs_the_default_once_and_audits_it(store):
    assert store.db["gr_template_versions"].count == 0
    first = gr_templates.current_template(store)
    again = gr_templates.current_template(store)
    assert first.id == again.id and first.version == 1 and first.source == "default"
    assert store.db["gr_template_versions"].count == 1
    rows = [e for e in audit.entries(store) if e.record_type == "gr_template"]
    assert [(e.action, e.record_id) for e in rows] == [("create", first.template_id)]
    assert "4 phases" in rows[0].detail


def test_export_then_import_round_trips_byte_for_byte(store, tmp_path):
    exported = gr_templates.export_template(store, tmp_path / "ours.json")
    original = exported.read_bytes()
    assert json.loads(original) == template_to_dict(default_template())

    other = small_template("Another authority's template")
    theirs = tmp_path / "theirs.json"
    theirs.write_text(template_to_json(other), encoding="utf-8")
    installed = gr_templates.import_template(store, theirs)
    assert installed.template == other and installed.source == "import"
    assert gr_templates.current_template(store).id == installed.id
    again = gr_templates.export_template(store, tmp_path / "again.json")
    assert again.read_bytes() == theirs.read_bytes()
    assert json.loads(again.read_bytes()) == json.loads(theirs.read_bytes())

    # Re-importing our own export gives back exactly the default's content.
    back = gr_templates.import_template(store, exported)
    assert template_to_json(back.template).encode("utf-8") == original
    actions = [
        (e.action, e.record_type) for e in audit.entries(store) if e.record_type == "gr_template"
    ]
    assert actions.count(("export", "gr_template")) == 2
    assert actions.count(("import", "gr_template")) == 2


def test_import_accepts_a_hand_written_file_with_optional_fields_left_out(store, tmp_path):
    path = tmp_path / "short.json"
    path.write_text(
        json.dumps(
            {
                "format_version": 1,
                "name": "Short",
                "phases": [
                    {"id": "p1", "name": "Only phase", "items": [{"id": "a", "text": "Do a"}]}
                ],
            }
        ),
        encoding="utf-8",
    )
    installed = gr_templates.import_template(store, path)
    assert installed.template.phases[0].items == (ChecklistItem("a", "Do a", "", False),)
    assert installed.template.authority == ""


def test_editing_stores_a_new_version_and_never_rewrites_the_old(store):
    first = gr_templates.current_template(store)
    before = first.template
    phase = before.phases[0]
    edited_items = (ChecklistItem(phase.items[0].id, "Reworded item", "", True), *phase.items[1:])
    edited = type(before)(
        before.name,
        (type(phase)(phase.id, phase.name, phase.description, edited_items), *before.phases[1:]),
        before.authority,
    )
    second = gr_templates.save_edited_template(store, edited)
    assert (second.template_id, second.version, second.source) == (first.template_id, 2, "edit")
    assert gr_templates.get_version(store, first.id).template == before
    assert gr_templates.save_edited_template(store, edited).id == second.id  # unchanged: no-op
    assert [v.version for v in gr_templates.versions(store)] == [1, 2]
    with pytest.raises(Exception, match="cannot be changed"):
        store.conn.execute("UPDATE gr_template_versions SET content = '{}'")


# --- refusals ----------------------------------------------------------------------------------

VALID = template_to_dict(small_template())


def problems_of(value: Any) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        parse_template(json.dumps(value))
    return caught.value.problems


def test_json_syntax_errors_name_the_line():
    text = template_to_json(small_template())
    broken = text.replace('"name": "Phase two",', '"name": "Phase two"', 1)
    with pytest.raises(TemplateError) as caught:
        parse_template(broken)
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if '"Phase two"' in row)
    assert f"line {line + 1}, column" in caught.value.message
    assert "Nothing was changed" in caught.value.message


def test_a_missing_item_id_names_the_field_path():
    value = copy.deepcopy(VALID)
    del value["phases"][2]["items"][1]["id"]
    assert problems_of(value) == ["phases[2].items[1].id: missing"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda v: v.update(phases=[]), "phases: must list at least one phase"),
        (lambda v: v.pop("phases"), "phases: missing"),
        (lambda v: v.pop("name"), "name: missing"),
        (lambda v: v.update(format_version=2), "format_version: is 2"),
        (lambda v: v.update(format_version="1"), "format_version: must be the number 1, not text"),
        (lambda v: v.update(phases={"a": 1}), "phases: must be a list, not an object"),
        (lambda v: v["phases"][0].update(items=[]), "phases[0].items: must list at least one"),
        (lambda v: v["phases"][1].update(name=7), "phases[1].name: must be text, not a number"),
        (lambda v: v["phases"][1].update(name="  "), "phases[1].name: must not be empty"),
        (
            lambda v: v["phases"][0]["items"][0].update(evidence_required="yes"),
            "phases[0].items[0].evidence_required: must be true or false, not text",
        ),
        (
            lambda v: v["phases"][0]["items"][2].update(id="two-1"),
            "phases[1].items[0].id: 'two-1' is already used by phases[0].items[2]",
        ),
        (
            lambda v: v["phases"][3].update(id="one"),
            "phases[3].id: 'one' is already used by phases[0]",
        ),
        (
            lambda v: v["phases"][0]["items"][0].update(id="has space"),
            "phases[0].items[0].id: must be",
        ),
        (
            lambda v: v["phases"][0]["items"][0].update(evidence_requried=True),
            "phases[0].items[0].evidence_requried: unknown field",
        ),
        (lambda v: v["phases"].append("a phase"), "phases[4]: must be an object, not text"),
    ],
)
def test_each_kind_of_fault_is_named(mutate, expected):
    value = copy.deepcopy(VALID)
    mutate(value)
    found = problems_of(value)
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_non_json_and_non_utf8_files_are_refused():
    for content, expected in (
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[" * 50_000, "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"format_version": NaN}', "not valid JSON"),
    ):
        with pytest.raises(TemplateError, match=expected):
            parse_template(content)


def test_a_refused_import_changes_nothing_and_says_where(store, tmp_path):
    gr_templates.current_template(store)
    before = dump_tables(store)
    value = copy.deepcopy(VALID)
    value["phases"][2]["items"][1]["id"] = 12
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"phases\[2\]\.items\[1\]\.id: must be text"):
        gr_templates.import_template(store, path)
    assert dump_tables(store) == before


# --- hypothesis: malformed files never crash and never change stored data -----------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for n, child in enumerate(value):
            found += _paths(child, (*prefix, n))
    return found


REQUIRED = {"format_version", "name", "phases", "id", "items", "text"}
TYPED = {
    "format_version": int,
    "name": str,
    "authority": str,
    "phases": list,
    "id": str,
    "description": str,
    "items": list,
    "text": str,
    "guidance": str,
    "evidence_required": bool,
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _wrong_type(expected: type) -> st.SearchStrategy[Any]:
    def wrong(value: Any) -> bool:
        if expected is int:
            return isinstance(value, bool) or not isinstance(value, int)
        if expected is bool:
            return not isinstance(value, bool)
        return not isinstance(value, expected)

    return json_values.filter(wrong)


@st.composite
def malformed_template(draw: st.DrawFn) -> bytes:
    """A valid template broken in one way that must always be refused."""
    kind = draw(
        st.sampled_from(
            ["drop", "retype", "duplicate", "empty", "truncate", "bytes", "json", "extra"]
        )
    )
    value = copy.deepcopy(VALID)
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "truncate":
        text = template_to_json(small_template()).encode()
        return text[: draw(st.integers(0, len(text) - 2))]
    paths = [p for p in _paths(value) if p and isinstance(p[-1], str)]
    if kind == "drop":
        path = draw(st.sampled_from([p for p in paths if p[-1] in REQUIRED]))
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
    elif kind == "retype":
        path = draw(st.sampled_from(paths))
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = draw(_wrong_type(TYPED[path[-1]]))
    elif kind == "duplicate":
        items = [(n, m) for n, p in enumerate(value["phases"]) for m in range(len(p["items"]))]
        (a, b), (c, d) = draw(st.lists(st.sampled_from(items), min_size=2, max_size=2, unique=True))
        value["phases"][c]["items"][d]["id"] = value["phases"][a]["items"][b]["id"]
    elif kind == "empty":
        target = draw(st.sampled_from(["phases", *[n for n in range(len(value["phases"]))]]))
        if target == "phases":
            value["phases"] = []
        else:
            value["phases"][target]["items"] = []
    else:  # an unknown field somewhere
        path = draw(st.sampled_from([p[:-1] for p in paths]))
        parent = value
        for step in path:
            parent = parent[step]
        parent[draw(st.sampled_from(["colour", "evidence_requried", "Name"]))] = 1
    return json.dumps(value, indent=draw(st.sampled_from([None, 2]))).encode()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=malformed_template())
def test_malformed_templates_are_refused_and_change_nothing(store, tmp_path, content):
    gr_templates.current_template(store)
    before = dump_tables(store)
    path = tmp_path / "template.json"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        gr_templates.import_template(store, path)
    assert caught.value.message.startswith("The template was not accepted: ")
    assert dump_tables(store) == before


# --- the command line ----------------------------------------------------------------------------


def test_template_commands_export_and_import(encrypted_store, tmp_path, monkeypatch, capsys):
    db = encrypted_store.path
    encrypted_store.close()
    monkeypatch.setenv("PW", "correct horse")
    out = tmp_path / "ours.json"
    assert (
        cli.main(["template-export", "--db", str(db), "--passphrase-env", "PW", "--out", str(out)])
        == 0
    )
    assert out.read_bytes() == DEFAULT_TEMPLATE_PATH.read_bytes()
    theirs = tmp_path / "theirs.json"
    theirs.write_text(template_to_json(small_template("Borough checklist")), encoding="utf-8")
    assert (
        cli.main(["template-import", "--db", str(db), "--passphrase-env", "PW", str(theirs)]) == 0
    )
    assert "Imported 'Borough checklist': 4 phases, 12 checklist items" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": 1,\n "name": "x",\n "phases": [}', encoding="utf-8")
    assert (
        cli.main(["template-import", "--db", str(db), "--passphrase-env", "PW", str(broken)]) == 1
    )
    assert "line 3, column" in capsys.readouterr().err
    store = open_database(Path(db), passphrase=Passphrase("correct horse"))
    try:
        assert gr_templates.current_template(store).template.name == "Borough checklist"
        assert len(gr_templates.versions(store)) == 2
    finally:
        store.close()
