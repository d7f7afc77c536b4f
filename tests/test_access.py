"""Roles hold in the domain: every write, import, export and print refuses a profile whose
role does not allow it, before anything is stored or written, and audits the refusal.

Three nets, so that a new writer cannot slip past unguarded:
- the walk calls every guarded function (`access.GUARDED`) as a read-only profile with
  dummy arguments and expects the refusal, one "refused" audit row and nothing else stored;
- the same walk as pastoral staff and as a SENCO checks the line between the roles;
- the source check reads every domain module and finds the public functions that write
  (audit rows of a writing action, inserts, upserts, INSERT/UPDATE/DELETE SQL) without a
  check: a writer added tomorrow without `@requires` fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import semh_desktop
from semh_desktop.core.errors import NotAllowed
from semh_desktop.core.store import Store
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.register import access, audit, pupils, staff

from .conftest import sample_details

DOMAIN = Path(semh_desktop.__file__).parent


def _import_every_module() -> None:
    """Every decorated function registers when its module is imported: import them all."""
    for module in pkgutil.walk_packages(semh_desktop.__path__, "semh_desktop."):
        if module.name.endswith("__main__"):
            continue  # running it is the command line, not a definition
        importlib.import_module(module.name)


_import_every_module()

# The guarded functions at the time of writing: 67. A floor well below, so that losing the
# registry (an import that stopped registering, a decorator dropped wholesale) fails.
GUARDED_FLOOR = 60

# The permissions pastoral staff lack, as the README states them.
SENCO_ONLY = {"staff", "templates", "settings", "retention", "erasure", "backup"}


def _as(store: Store, name: str, role: str) -> staff.Staff:
    """Add a profile (as the SENCO the fixture signed in) and act as it from now on."""
    person = staff.add_staff(store, name, role)
    store.staff_id = person.id
    return person


def _dummy_call(function: Callable[..., object], store: Store) -> None:
    """Call with the store and None for every other parameter (keyword-only ones too)."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for parameter in parameters:
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            args.append(None)
        elif parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = None
    function(store, *args, **kwargs)


def _row_counts(store: Store) -> dict[str, int]:
    names = [
        row[0]
        for row in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        name: store.conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names
    }


class _Rollback(Exception):
    pass


def _call_and_roll_back(function: Callable[..., object], store: Store) -> BaseException | None:
    """Call it inside a transaction that is always rolled back; what it raised, if anything."""
    try:
        with store.atomic():
            try:
                _dummy_call(function, store)
            except Exception as exc:
                raise _Rollback from exc
            raise _Rollback
    except _Rollback as rolled:
        return rolled.__cause__
    return None


GUARDED = sorted(access.GUARDED.items())


def test_the_registry_holds_every_kind_of_guarded_function() -> None:
    assert len(GUARDED) >= GUARDED_FLOOR
    permissions = {permission for _, (_, permission) in GUARDED}
    assert {
        "casework",
        "import",
        "export",
        "print",
        "templates",
        "settings",
        "staff",
    } <= permissions


def test_pastoral_staff_lack_exactly_the_senco_only_permissions() -> None:
    refused = {p for p in access.PERMISSIONS if not access.allows("pastoral", p)}
    assert refused == SENCO_ONLY
    assert not any(access.allows("read_only", p) for p in access.PERMISSIONS if p != "view")


@pytest.mark.parametrize(("name", "entry"), GUARDED, ids=[name for name, _ in GUARDED])
def test_a_read_only_profile_is_refused_and_nothing_but_the_refusal_is_stored(
    store: Store, name: str, entry: tuple[Callable[..., object], str]
) -> None:
    function, permission = entry
    _as(store, "Reader", "read_only")
    before = _row_counts(store)
    entries = len(audit.entries(store))

    with pytest.raises(NotAllowed) as refused:
        _dummy_call(function, store)

    assert refused.value.message == access.refusal_message("read_only", permission)
    after = _row_counts(store)
    assert after["audit"] == before["audit"] + 1
    assert {t: n for t, n in after.items() if t != "audit"} == {
        t: n for t, n in before.items() if t != "audit"
    }
    [row] = audit.entries(store)[entries:]
    assert (row.action, row.record_type, row.detail) == ("refused", permission, function.__name__)
    assert row.staff_id == store.staff_id


@pytest.mark.parametrize(("name", "entry"), GUARDED, ids=[name for name, _ in GUARDED])
def test_pastoral_staff_pass_the_check_for_casework_and_are_refused_senco_work(
    store: Store, name: str, entry: tuple[Callable[..., object], str]
) -> None:
    function, permission = entry
    _as(store, "Pastoral Worker", "pastoral")
    entries = len(audit.entries(store))

    if permission in SENCO_ONLY:
        with pytest.raises(NotAllowed) as refused:
            _dummy_call(function, store)
        assert "only a SENCO can" in refused.value.message
        [row] = audit.entries(store)[entries:]
        assert (row.action, row.record_type) == ("refused", permission)
    else:
        assert access.allows("pastoral", permission)
        # The dummy arguments fail further in (or not at all); the check itself let it by.
        raised = _call_and_roll_back(function, store)
        assert not isinstance(raised, NotAllowed), raised
        assert [e for e in audit.entries(store)[entries:] if e.action == "refused"] == []


@pytest.mark.parametrize(("name", "entry"), GUARDED, ids=[name for name, _ in GUARDED])
def test_a_senco_passes_every_check(
    store: Store, name: str, entry: tuple[Callable[..., object], str]
) -> None:
    function, _ = entry
    entries = len(audit.entries(store))
    raised = _call_and_roll_back(function, store)
    assert not isinstance(raised, NotAllowed), raised
    assert [e for e in audit.entries(store)[entries:] if e.action == "refused"] == []


def test_nobody_signed_in_is_refused(store: Store) -> None:
    store.staff_id = None
    with pytest.raises(NotAllowed, match="Nobody is signed in"):
        pupils.add_pupil(store, sample_details())
    assert pupils.caseload(store, whole_register=True) == []


def test_a_disabled_profile_is_refused(store: Store) -> None:
    pastoral = staff.add_staff(store, "Leaver", "pastoral")
    staff.disable_staff(store, pastoral.id)
    store.staff_id = pastoral.id
    with pytest.raises(NotAllowed):
        pupils.add_pupil(store, sample_details())


def test_a_refusal_inside_an_outer_transaction_keeps_its_audit_row(store: Store) -> None:
    senco_id = store.staff_id
    reader = staff.add_staff(store, "Reader", "read_only")
    with pytest.raises(NotAllowed), store.atomic():
        pupils.add_pupil(store, sample_details())  # the SENCO's: rolled back with the rest
        store.staff_id = reader.id
        pupils.add_pupil(store, sample_details())
    store.staff_id = senco_id
    assert pupils.caseload(store, whole_register=True) == []
    assert not [e for e in audit.entries(store) if e.record_type == "pupil"]
    last = audit.entries(store)[-1]
    assert (last.action, last.record_type, last.detail, last.staff_id) == (
        "refused",
        "casework",
        "add_pupil",
        reader.id,
    )


def test_pastoral_staff_do_casework_but_not_template_changes(store: Store) -> None:
    worker = _as(store, "Pastoral Worker", "pastoral")
    pupil = pupils.add_pupil(store, sample_details())
    assert pupils.get_pupil(store, pupil.id).details.legal_surname == "O'Neill"
    created = [e for e in audit.entries(store) if e.action == "create" and e.record_id == pupil.id]
    assert [e.staff_id for e in created] == [worker.id]

    before = len(gr_templates.versions(store))
    edited = gr_templates.default_template()
    edited = gr_templates.parse_template(
        gr_templates.template_to_json(edited).replace(edited.name, "Our own", 1)
    )
    with pytest.raises(NotAllowed, match="graduated-response templates"):
        gr_templates.save_edited_template(store, edited)
    assert len(gr_templates.versions(store)) == before


def test_a_senco_changes_templates_and_settings(store: Store) -> None:
    edited = gr_templates.default_template()
    edited = gr_templates.parse_template(
        gr_templates.template_to_json(edited).replace(edited.name, "Our own", 1)
    )
    saved = gr_templates.save_edited_template(store, edited)
    assert gr_templates.current_template(store).id == saved.id
    from semh_desktop.closure import questionnaires

    assert questionnaires.set_item_list(store, "school", ["One item"]) == ["One item"]
    assert questionnaires.item_list(store, "school") == ["One item"]


def test_no_file_is_written_for_a_refused_export(store: Store, tmp_path: Path) -> None:
    _as(store, "Reader", "read_only")
    out = tmp_path / "template.json"
    with pytest.raises(NotAllowed):
        gr_templates.export_template(store, out)
    assert not out.exists()


# --- the source check -------------------------------------------------------------------------

# Public writers that stay unguarded, each for a reason: they run before anyone is signed in,
# are a person's own sign-in, or are a first-use set-up that reading needs.
ALLOWED_UNGUARDED = {
    # Makes the database and its first SENCO: nobody can be signed in yet.
    "semh_desktop.register.database.create_database": "creates the database",
    # A person changing their own passphrase at sign-in, whatever their role.
    "semh_desktop.register.sign_in.change_own_passphrase": "one's own passphrase",
    # Converting an older database to key slots while opening it, before anyone acts.
    "semh_desktop.register.sign_in.convert": "part of opening an older database",
    # Installs the default template on first read: every role reads the checklist.
    "semh_desktop.graduated.templates.current_template": "first-use set-up for reading",
    # The database's own id, made on first use by a (guarded) export.
    "semh_desktop.exchange.handover.schema.installation_id": "first-use set-up",
    # The pseudonym secret, made on first use; a file name needs it (a read).
    "semh_desktop.exchange.outreach_summary.pseudonym": "first-use set-up for reading",
}

WRITING_ACTIONS = {"create", "change", "archive", "import", "print", "export"}
WRITING_SQL = ("INSERT", "UPDATE", "DELETE", "REPLACE")
TABLE_WRITES = {"insert", "insert_all", "upsert", "upsert_all"}
CHECKS = {"requires", "checks_inline"}
Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _Module:
    name: str
    tree: ast.Module
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)  # module-level string constants
    modules: dict[str, str] = field(default_factory=dict)  # alias -> module name
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (module, name)


def _parse(name: str, source: str, known: set[str]) -> _Module:
    module = _Module(name, ast.parse(source))
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            module.classes[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    module.strings[target.id] = node.value.value
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    module.modules[alias.asname or alias.name] = full
                else:
                    module.imported[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.modules[alias.asname] = alias.name
    return module


def _sql_text(node: ast.expr, module: _Module) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return first.value if isinstance(first, ast.Constant) else ""
    if isinstance(node, ast.Name):
        return module.strings.get(node.id, "")
    return ""


def _writes_directly(node: ast.AST, module: _Module) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        method, receiver = call.func.attr, call.func.value
        if method == "record" and isinstance(receiver, ast.Name) and receiver.id == "audit":
            action = call.args[1] if len(call.args) > 1 else None
            if not isinstance(action, ast.Constant) or action.value in WRITING_ACTIONS:
                return True  # a writing action, or one decided at run time
        # A table's insert (db.table("x").insert, db["x"].insert), not a list's.
        table = (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Attribute)
            and receiver.func.attr == "table"
        ) or isinstance(receiver, ast.Subscript)
        if method in TABLE_WRITES and table:
            return True
        sql = _sql_text(call.args[0], module) if call.args else ""
        if method in ("execute", "executemany") and sql.lstrip().upper().startswith(WRITING_SQL):
            return True
    return False


def _is_checked(function: Function) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in CHECKS:
            return True
    # An inline check (staff.add_staff: the first profile of a new database is exempt).
    return any(
        isinstance(call, ast.Call)
        and (
            (isinstance(call.func, ast.Attribute) and call.func.attr == "require")
            or (isinstance(call.func, ast.Name) and call.func.id == "require")
        )
        for call in ast.walk(function)
    )


# Calls into these are judged by what they are asked to do, not followed: an audit row is a
# write only for a writing action, and the storage layer is every writer's (and reader's) base.
NOT_CALLEES = ("semh_desktop.register.audit", "semh_desktop.core.")


class _Writers:
    """Which public functions write: directly, through the module's private helpers and
    classes, or by calling another module's writer (a first-use set-up on the allow-list
    is not counted as a write for its callers)."""

    def __init__(self, modules: dict[str, _Module], allowed: set[str]) -> None:
        self.modules = modules
        self.allowed = allowed
        self.memo: dict[str, bool] = {}

    def _callees(self, node: ast.AST, module: _Module) -> Iterator[tuple[str, str]]:
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Name):
                if func.id in module.functions or func.id in module.classes:
                    yield module.name, func.id
                elif func.id in module.imported:
                    yield module.imported[func.id]
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in module.modules
            ):
                yield module.modules[func.value.id], func.attr

    def writes(self, module_name: str, name: str, *, depth: int = 0) -> bool:
        key = f"{module_name}.{name}"
        if key in self.memo:
            return self.memo[key]
        module = self.modules.get(module_name)
        node: ast.AST | None = None
        if module is not None:
            node = module.functions.get(name) or module.classes.get(name)
        if module_name.startswith(NOT_CALLEES) or key in self.allowed or depth > 50:
            return False
        if module is None or node is None:
            return False
        self.memo[key] = False  # while in progress: a recursive call adds nothing
        found = _writes_directly(node, module) or any(
            self.writes(m, n, depth=depth + 1) for m, n in self._callees(node, module)
        )
        self.memo[key] = found
        return found


def unguarded_writers(sources: dict[str, str], allowed: set[str] = frozenset()) -> set[str]:
    """The public top-level functions (module.name) that write without a role check."""
    known = set(sources)
    modules = {name: _parse(name, source, known) for name, source in sources.items()}
    writers = _Writers(modules, set(allowed))
    found = set()
    for module in modules.values():
        for name, function in module.functions.items():
            key = f"{module.name}.{name}"
            if name.startswith("_") or key in allowed or _is_checked(function):
                continue
            if writers.writes(module.name, name):
                found.add(key)
    return found


def _domain_sources() -> dict[str, str]:
    sources = {}
    for path in sorted(DOMAIN.rglob("*.py")):
        relative = path.relative_to(DOMAIN.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        sources[name] = path.read_text(encoding="utf-8")
    return sources


# Not checked: the audit trail itself (audit.record is every writer's last step), the storage
# layer under the domain, the command line (argparse over guarded functions) and the demo
# (it builds a fictional school through guarded functions, as a SENCO).
NOT_CHECKED = (
    "semh_desktop.register.audit",
    "semh_desktop.core.",
    "semh_desktop.cli.",
    "semh_desktop.demo.",
)


def test_every_public_writer_in_the_domain_checks_the_role() -> None:
    sources = _domain_sources()
    found = unguarded_writers(sources, set(ALLOWED_UNGUARDED))
    reported = sorted(f for f in found if not f.startswith(NOT_CHECKED))
    assert reported == [], (
        "These functions write without checking the signed-in role: decorate them with "
        "@requires(permission) (semh_desktop/register/access.py), or add them to "
        "ALLOWED_UNGUARDED with the reason."
    )


def test_every_inline_check_calls_require() -> None:
    # checks_inline only lists a function; the check itself must be in its body.
    for name, (function, _) in GUARDED:
        if getattr(function, "__wrapped__", None) is None:
            source = inspect.getsource(function)
            assert "require(" in source, name


def test_the_source_check_reports_an_undecorated_writer() -> None:
    sources = {
        "semh_desktop.fake.things": """
from semh_desktop.register import audit
from semh_desktop.register.access import requires
SQL = "DELETE FROM things WHERE id = ?"

def add_thing(store, name):
    store.db.table("things").insert({"name": name})

@requires("casework")
def add_guarded(store, name):
    store.db.table("things").insert({"name": name})

def rename_thing(store, thing_id):
    _rename(store, thing_id)

def _rename(store, thing_id):
    store.conn.execute("UPDATE things SET name = ? WHERE id = ?", ["x", thing_id])

def drop_thing(store, thing_id):
    store.conn.execute(SQL, [thing_id])

def note_change(store, thing_id):
    audit.record(store, "change", "thing", thing_id)

def open_thing(store, thing_id):
    audit.record(store, "open", "thing", thing_id)
    return store.conn.execute("SELECT * FROM things WHERE id = ?", [thing_id]).fetchone()

def labels(items):
    items.insert(0, "first")
    return items

class _Writer:
    def run(self, store):
        store.conn.executemany(f"INSERT INTO things VALUES (?)", [])

def merge(store):
    _Writer().run(store)
""",
        "semh_desktop.fake.caller": """
from semh_desktop.fake import things
from semh_desktop.fake.things import open_thing

def via_other_module(store):
    things.add_thing(store, "x")

def only_reads(store):
    return open_thing(store, "x")
""",
    }
    assert unguarded_writers(sources) == {
        "semh_desktop.fake.things.add_thing",
        "semh_desktop.fake.things.rename_thing",
        "semh_desktop.fake.things.drop_thing",
        "semh_desktop.fake.things.note_change",
        "semh_desktop.fake.things.merge",
        "semh_desktop.fake.caller.via_other_module",
    }
    assert unguarded_writers(sources, {"semh_desktop.fake.things.add_thing"}) == {
        "semh_desktop.fake.things.rename_thing",
        "semh_desktop.fake.things.drop_thing",
        "semh_desktop.fake.things.note_change",
        "semh_desktop.fake.things.merge",
    }
