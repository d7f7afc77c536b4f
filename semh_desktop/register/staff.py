"""Staff profiles: who is using the app, each signing in with their own passphrase.

Every audit row names the signed-in profile. A SENCO adds profiles (with a one-time
passphrase the person changes at first sign-in), resets forgotten passphrases and disables
profiles of people who have left; disabling removes the profile's key slot, so that person's
passphrase no longer opens the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from semh_desktop.core import keyslots
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import access, audit

ROLES = access.ROLE_LABELS


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
        return access.allows(self.role, "casework")


def _has_profiles(store: Store) -> bool:
    return store.conn.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is not None


def write_slot(store: Store, person: Staff, passphrase: str, *, must_change: bool) -> None:
    """Wrap the database key under this person's passphrase (in-memory stores have no file)."""
    if store.path is None:
        return
    slot = keyslots.make_slot(
        store.database_key(),
        passphrase,
        staff_id=person.id,
        name=person.name,
        role=person.role,
        must_change=must_change,
        created_at=store.clock.now().isoformat(timespec="seconds"),
    )

    def change(slots: keyslots.SlotFile) -> None:
        slots.put(slot)
        slots.throttle.pop(person.id, None)

    keyslots.update(store.path, change, create=True)


def _check_one_time(passphrase: str) -> None:
    # The same rule as a person's own passphrase (sign_in.check_new_passphrase), here to
    # avoid an import cycle.
    if len(passphrase.strip()) < 8:
        raise ValidationError(
            "Choose a one-time passphrase of at least 8 characters to give to the person.",
            field="passphrase",
        )


def add_staff(
    store: Store,
    name: str,
    role: str,
    passphrase: str | None = None,
    *,
    must_change: bool = True,
) -> Staff:
    """A new profile; with `passphrase`, a key slot (one-time unless `must_change` is False).

    Only a SENCO may add profiles, except the very first profile of a new database (its
    creator, before anyone can be signed in).
    """
    if _has_profiles(store):
        access.require(store, "staff", "add_staff")
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Enter the staff member's name.", field="name")
    if len(name) > 120:
        raise ValidationError("That name is too long (at most 120 characters).", field="name")
    if role not in ROLES:
        raise ValidationError(f"Choose a role: {', '.join(ROLES.values())}.", field="role")
    if passphrase is not None and must_change:
        _check_one_time(passphrase)
    if any(p.name.casefold() == name.casefold() for p in list_staff(store)):
        raise ValidationError(
            f"There is already a profile called {name}. Use a middle initial or a "
            "department to tell them apart.",
            field="name",
        )
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
        if passphrase is not None:
            # Last, so a slot is never written for a profile that was rolled back.
            write_slot(store, staff, passphrase, must_change=must_change)
    return staff


# Listed for the role tests like every decorated function (the check above is inline because
# of the first-profile exception).
access.GUARDED[f"{__name__}.add_staff"] = (add_staff, "staff")


@access.requires("staff")
def reset_passphrase(store: Store, staff_id: str, one_time: str) -> None:
    """Give a profile a new one-time passphrase (a forgotten one, or a profile without one)."""
    person = get_staff(store, staff_id)
    if not is_active(store, person.id):
        raise ValidationError(f"{person.name}'s profile is disabled; it cannot sign in.")
    _check_one_time(one_time)
    with store.atomic():
        audit.record(store, "change", "passphrase", person.id, "reset by a SENCO")
        write_slot(store, person, one_time, must_change=True)


@access.requires("staff")
def disable_staff(store: Store, staff_id: str) -> None:
    """Disable a profile (someone who has left): its key slot goes, its history stays."""
    person = get_staff(store, staff_id)
    if person.id == store.staff_id:
        raise ValidationError("You cannot disable your own profile while signed in with it.")
    if person.role == "senco" and sum(p.role == "senco" for p in list_staff(store)) <= 1:
        raise ValidationError(
            "This is the only SENCO profile; add another SENCO before disabling it."
        )
    with store.atomic():
        store.conn.execute(
            "UPDATE staff SET archived_at = ? WHERE id = ?",
            [store.clock.now().isoformat(timespec="seconds"), person.id],
        )
        audit.record(store, "archive", "staff", person.id)
        if store.path is not None:
            keyslots.update(store.path, lambda slots: slots.remove(person.id))


def is_active(store: Store, staff_id: str) -> bool:
    row = store.conn.execute("SELECT archived_at FROM staff WHERE id = ?", [staff_id]).fetchone()
    return row is not None and row[0] is None


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
    """The profile every following change is audited under (after its sign-in succeeded)."""
    store.staff_id = staff.id
    with store.atomic():  # so a full or read-only disk is named in plain words
        audit.record(store, "unlock", "staff", staff.id)
