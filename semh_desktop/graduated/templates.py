"""Graduated-response templates: the phases and checklist items a school works through.

A template is a JSON file (documented in README.md, "Graduated-response templates"). Each
authority words its checklist differently, so a school can import another authority's file,
edit the items in the app and export its own to share. The database keeps every version: an
edit or an import adds a version and never rewrites one, because checklist answers stay pinned
to the version they were given against. The newest version stored is the school's template;
a database with none yet gets the default shipped in resources/templates.

A file is checked as a whole before anything is stored; a bad file is refused with a message
naming the line (JSON syntax) or the field (for example `phases[2].items[4].id: missing`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.paths import RESOURCES_DIR
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit
from semh_desktop.register.access import requires

FORMAT_VERSION = 1
DEFAULT_TEMPLATE_PATH = RESOURCES_DIR / "templates" / "graduated_response_default.json"
MAX_FILE_BYTES = 1_000_000
MAX_PHASES = 12
MAX_ITEMS_PER_PHASE = 60
MAX_NAME = 120
MAX_TEXT = 500
MAX_GUIDANCE = 2000
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SOURCES = {
    "default": "Default template",
    "import": "Imported from a file",
    "edit": "Edited in the app",
}

_TOP_FIELDS = ("format_version", "name", "authority", "phases")
_PHASE_FIELDS = ("id", "name", "description", "items")
_ITEM_FIELDS = ("id", "text", "guidance", "evidence_required")


class TemplateError(ValidationError):
    """A template file or edit that breaks the format; `problems` lists every fault found."""

    def __init__(self, problems: list[str]) -> None:
        first = problems[0]
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(
            f"The template was not accepted: {first}{suffix}. Nothing was changed.",
            field=first.split(":", 1)[0],
        )
        self.problems = problems


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    guidance: str = ""
    evidence_required: bool = False


@dataclass(frozen=True)
class Phase:
    id: str
    name: str
    description: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Template:
    name: str
    phases: tuple[Phase, ...]
    authority: str = ""

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def item(self, item_id: str) -> ChecklistItem | None:
        for phase in self.phases:
            for item in phase.items:
                if item.id == item_id:
                    return item
        return None

    def phase_of_item(self, item_id: str) -> Phase | None:
        return next((p for p in self.phases if any(i.id == item_id for i in p.items)), None)

    def phase_index(self, phase_id: str) -> int:
        return next((n for n, p in enumerate(self.phases) if p.id == phase_id), -1)

    @property
    def item_count(self) -> int:
        return sum(len(p.items) for p in self.phases)


@dataclass(frozen=True)
class TemplateVersion:
    """One stored version of a template (answers point at `id`)."""

    id: str
    template_id: str
    version: int
    template: Template
    source: str
    created_at: str

    @property
    def label(self) -> str:
        return f"{self.template.name}, version {self.version}"


# --- the file format ---------------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Checker:
    """Walks a parsed file and collects every problem with its field path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def fields(self, path: str, value: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in value:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, f"unknown field (expected one of {', '.join(allowed)})")

    def text(self, path: str, value: Any, *, limit: int, required: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be text, not {_kind(value)}")
            return ""
        cleaned = " ".join(value.split())
        if required and not cleaned:
            self.fail(path, "must not be empty")
        if len(cleaned) > limit:
            self.fail(path, f"is too long ({len(cleaned)} characters; at most {limit})")
        return cleaned

    def identifier(self, path: str, value: Any) -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be text, not {_kind(value)}")
            return ""
        if not ID_PATTERN.match(value):
            self.fail(
                path,
                "must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit",
            )
        return value

    def item(self, path: str, value: Any) -> ChecklistItem | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, not {_kind(value)}")
            return None
        self.fields(path, value, _ITEM_FIELDS)
        item_id = self.identifier(f"{path}.id", value["id"]) if "id" in value else ""
        if "id" not in value:
            self.fail(f"{path}.id", "missing")
        if "text" not in value:
            self.fail(f"{path}.text", "missing")
        text = self.text(f"{path}.text", value["text"], limit=MAX_TEXT) if "text" in value else ""
        guidance = self.text(
            f"{path}.guidance", value.get("guidance", ""), limit=MAX_GUIDANCE, required=False
        )
        evidence = value.get("evidence_required", False)
        if not isinstance(evidence, bool):
            self.fail(f"{path}.evidence_required", f"must be true or false, not {_kind(evidence)}")
            evidence = False
        return ChecklistItem(item_id, text, guidance, evidence)

    def phase(self, path: str, value: Any) -> Phase | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, not {_kind(value)}")
            return None
        self.fields(path, value, _PHASE_FIELDS)
        for key in ("id", "name", "items"):
            if key not in value:
                self.fail(f"{path}.{key}", "missing")
        phase_id = self.identifier(f"{path}.id", value["id"]) if "id" in value else ""
        name = self.text(f"{path}.name", value["name"], limit=MAX_NAME) if "name" in value else ""
        description = self.text(
            f"{path}.description", value.get("description", ""), limit=MAX_GUIDANCE, required=False
        )
        items: list[ChecklistItem] = []
        raw_items = value.get("items", [])
        if not isinstance(raw_items, list):
            self.fail(f"{path}.items", f"must be a list, not {_kind(raw_items)}")
        elif "items" in value and not raw_items:
            self.fail(f"{path}.items", "must list at least one checklist item")
        elif len(raw_items) > MAX_ITEMS_PER_PHASE:
            self.fail(
                f"{path}.items",
                f"has {len(raw_items)} items; at most {MAX_ITEMS_PER_PHASE} per phase",
            )
        else:
            for n, raw in enumerate(raw_items):
                item = self.item(f"{path}.items[{n}]", raw)
                if item is not None:
                    items.append(item)
        return Phase(phase_id, name, description, tuple(items))

    def template(self, value: Any) -> Template:
        if not isinstance(value, dict):
            self.fail("(top level)", f"must be an object with name and phases, not {_kind(value)}")
            return Template("", ())
        self.fields("", value, _TOP_FIELDS)
        for key in ("format_version", "name", "phases"):
            if key not in value:
                self.fail(key, "missing")
        version = value.get("format_version", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            self.fail(
                "format_version", f"must be the number {FORMAT_VERSION}, not {_kind(version)}"
            )
        elif version != FORMAT_VERSION:
            self.fail(
                "format_version",
                f"is {version}, but this version of SEMH Desktop reads format {FORMAT_VERSION}",
            )
        name = self.text("name", value["name"], limit=MAX_NAME) if "name" in value else ""
        authority = self.text(
            "authority", value.get("authority", ""), limit=MAX_NAME, required=False
        )
        phases: list[Phase] = []
        raw_phases = value.get("phases", [])
        if not isinstance(raw_phases, list):
            self.fail("phases", f"must be a list, not {_kind(raw_phases)}")
        elif "phases" in value and not raw_phases:
            self.fail("phases", "must list at least one phase")
        elif len(raw_phases) > MAX_PHASES:
            self.fail("phases", f"has {len(raw_phases)} phases; at most {MAX_PHASES}")
        else:
            for n, raw in enumerate(raw_phases):
                phase = self.phase(f"phases[{n}]", raw)
                if phase is not None:
                    phases.append(phase)
        self.unique_ids(phases)
        return Template(name, tuple(phases), authority)

    def unique_ids(self, phases: list[Phase]) -> None:
        phase_seen: dict[str, int] = {}
        item_seen: dict[str, str] = {}
        for n, phase in enumerate(phases):
            if phase.id and phase.id in phase_seen:
                self.fail(
                    f"phases[{n}].id",
                    f"'{phase.id}' is already used by phases[{phase_seen[phase.id]}]",
                )
            phase_seen.setdefault(phase.id, n)
            for m, item in enumerate(phase.items):
                where = f"phases[{n}].items[{m}]"
                if item.id and item.id in item_seen:
                    self.fail(f"{where}.id", f"'{item.id}' is already used by {item_seen[item.id]}")
                item_seen.setdefault(item.id, where)


def check_template(template: Template) -> Template:
    """Apply the file rules to a template built in the app (the editor), via its JSON form."""
    return parse_template(template_to_json(template))


def parse_template(content: str | bytes) -> Template:
    """Read a template file's content; raise TemplateError naming the line or field at fault."""
    if isinstance(content, bytes):
        raw = content
        if len(raw) > MAX_FILE_BYTES:
            raise TemplateError(
                [f"(file): is {len(raw):,} bytes; a template is at most {MAX_FILE_BYTES:,}"]
            )
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise TemplateError(
                [f"line {line}: the file is not UTF-8 text (byte {exc.start + 1})"]
            ) from None
    content = content.removeprefix("\ufeff")
    if not content.strip():
        raise TemplateError(["(file): the file is empty"])

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed in a template")

    try:
        value = json.loads(content, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            [f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise TemplateError([f"(file): not valid JSON ({detail})"]) from None
    checker = _Checker()
    template = checker.template(value)
    if checker.problems:
        raise TemplateError(checker.problems)
    return template


def template_to_dict(template: Template) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "name": template.name,
        "authority": template.authority,
        "phases": [
            {
                "id": phase.id,
                "name": phase.name,
                "description": phase.description,
                "items": [
                    {
                        "id": item.id,
                        "text": item.text,
                        "guidance": item.guidance,
                        "evidence_required": item.evidence_required,
                    }
                    for item in phase.items
                ],
            }
            for phase in template.phases
        ],
    }


def template_to_json(template: Template) -> str:
    """The canonical file form: fixed key order, two-space indent, UTF-8, final newline."""
    return json.dumps(template_to_dict(template), indent=2, ensure_ascii=False) + "\n"


def read_template_file(path: Path) -> Template:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TemplateError(
                [f"(file): is {size:,} bytes; a template is at most {MAX_FILE_BYTES:,}"]
            )
        content = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"The template file could not be read: {exc.strerror or exc}.", field="file"
        ) from None
    return parse_template(content)


def default_template() -> Template:
    return read_template_file(DEFAULT_TEMPLATE_PATH)


# --- stored versions -----------------------------------------------------------------------

# Stored versions never change (a trigger refuses updates), so parsed ones can be kept.
_parsed: dict[str, Template] = {}


def _version_from_row(row: dict[str, Any]) -> TemplateVersion:
    template = _parsed.get(row["id"])
    if template is None:
        template = parse_template(row["content"])
        _parsed[row["id"]] = template
    return TemplateVersion(
        row["id"], row["template_id"], row["version"], template, row["source"], row["created_at"]
    )


_VERSION_COLUMNS = "id, template_id, version, content, source, created_at"


def _latest(store: Store) -> TemplateVersion | None:
    rows = list(
        store.db.query(
            f"SELECT {_VERSION_COLUMNS} FROM gr_template_versions ORDER BY seq DESC LIMIT 1"
        )
    )
    return _version_from_row(rows[0]) if rows else None


def _insert_version(
    store: Store, template_id: str, version: int, template: Template, source: str
) -> TemplateVersion:
    version_id = new_id()
    row: dict[str, Any] = {
        "id": version_id,
        "template_id": template_id,
        "version": version,
        "content": template_to_json(template),
        "source": source,
        "created_at": store.clock.now().isoformat(timespec="seconds"),
        "created_by": store.staff_id,
    }
    store.db.table("gr_template_versions").insert(row)
    _parsed[version_id] = template
    return _version_from_row(row)


def _new_template(store: Store, template: Template, source: str) -> TemplateVersion:
    template_id = new_id()
    store.db.table("gr_templates").insert(
        {
            "id": template_id,
            "name": template.name,
            "created_at": store.clock.now().isoformat(timespec="seconds"),
        }
    )
    return _insert_version(store, template_id, 1, template, source)


def current_template(store: Store) -> TemplateVersion:
    """The school's template (the newest version stored); installs the default on first use."""
    found = _latest(store)
    if found is not None:
        return found
    template = default_template()
    with store.atomic():
        installed = _new_template(store, template, "default")
        audit.record(
            store,
            "create",
            "gr_template",
            installed.template_id,
            f"default template installed: {len(template.phases)} phases, "
            f"{template.item_count} items",
        )
    return installed


def get_version(store: Store, version_id: str) -> TemplateVersion:
    rows = list(
        store.db.query(
            f"SELECT {_VERSION_COLUMNS} FROM gr_template_versions WHERE id = ?", [version_id]
        )
    )
    if not rows:
        raise NotFound("That template version is not in this database.")
    return _version_from_row(rows[0])


def versions(store: Store) -> list[TemplateVersion]:
    """Every stored version, oldest first (the last one is the school's template)."""
    rows = store.db.query(f"SELECT {_VERSION_COLUMNS} FROM gr_template_versions ORDER BY seq")
    return [_version_from_row(row) for row in rows]


@requires("templates")
def save_edited_template(store: Store, template: Template) -> TemplateVersion:
    """Store the school's edited template as a new version (nothing stored if unchanged)."""
    checked = check_template(template)
    current = current_template(store)
    if template_to_json(checked) == template_to_json(current.template):
        return current
    # A new template changes every pupil's checklist: everyone's screens re-read.
    with store.atomic():
        saved = _insert_version(store, current.template_id, current.version + 1, checked, "edit")
        audit.record(
            store,
            "change",
            "gr_template",
            current.template_id,
            f"version {saved.version}: {len(checked.phases)} phases, {checked.item_count} items",
            everyone=True,
        )
    return saved


@requires("templates")
def import_template(store: Store, path: Path) -> TemplateVersion:
    """Adopt another authority's template from a file; a bad file changes nothing."""
    template = read_template_file(path)
    current_template(store)  # the default stays on record as an earlier template
    # A new template changes every pupil's checklist: everyone's screens re-read.
    with store.atomic():
        installed = _new_template(store, template, "import")
        audit.record(
            store,
            "import",
            "gr_template",
            installed.template_id,
            f"{len(template.phases)} phases, {template.item_count} items (json)",
            everyone=True,
        )
    return installed


@requires("export")
def export_template(store: Store, path: Path) -> Path:
    """Write the school's template to a file to share with another school."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise ValidationError("The template file must end in .json.", field="out")
    current = current_template(store)
    try:
        path.write_text(template_to_json(current.template), encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            f"The template could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    with store.atomic():
        audit.record(
            store, "export", "gr_template", current.template_id, f"version {current.version} (json)"
        )
    return path
