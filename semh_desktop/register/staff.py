"""Staff profiles: who is using the app, chosen at unlock, named in every audit row."""

from __future__ import annotations

from dataclasses import dataclass

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit

ROLES = {"senco": "SENCO", "pastoral": "Pastoral staff", "read_only": "Read-only"}


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    role: str

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def can_edit(self) -> bool:
        return self.role != "read_only"


def add_staff(store: Store, name: str, role: str) -> Staff:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Enter the staff member's name.", field="name")
    if role not in ROLES:
        raise ValidationError(f"Choose a role: {', '.join(ROLES.values())}.", field="role")
    staff = Staff(new_id(), name, role)
    with store.atomic():
        store.db.table("staff").insert(
            {
                "id": staff.id,
                "name": name,
                "role": role,
                "created_at": store.clock.now().isoformat(timespec="seconds"),
            }
        )
        audit.record(store, "create", "staff", staff.id)
    return staff


def list_staff(store: Store) -> list[Staff]:
    rows = store.db.query(
        "SELECT id, name, role FROM staff WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE"
    )
    return [Staff(**row) for row in rows]


def get_staff(store: Store, staff_id: str) -> Staff:
    rows = list(store.db.query("SELECT id, name, role FROM staff WHERE id = ?", [staff_id]))
    if not rows:
        raise NotFound("That staff profile does not exist.")
    return Staff(**rows[0])


def find_staff(store: Store, name: str) -> Staff:
    wanted = " ".join(name.split()).casefold()
    for staff in list_staff(store):
        if staff.name.casefold() == wanted:
            return staff
    raise NotFound(f"There is no staff profile called '{name}'.")


def act_as(store: Store, staff: Staff) -> None:
    """Choose the profile that every following change is audited under."""
    store.staff_id = staff.id
    audit.record(store, "unlock", "staff", staff.id)
