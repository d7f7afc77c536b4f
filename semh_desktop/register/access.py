"""Who may do what: each role's permissions, checked in the domain before anything is written.

Read-only profiles look; pastoral staff do casework (and print, export and import it); the
SENCO also manages staff, templates, retention and erasure. Every public write, import, export
and print function is decorated with `@requires(permission)`, so the command line and the
window get the same refusal in the same words, and the refusal itself is audited.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from semh_desktop.core.errors import NotAllowed
from semh_desktop.core.store import Store
from semh_desktop.register import audit

P = ParamSpec("P")
T = TypeVar("T")

# What each permission lets a person do, in the words a refusal uses.
PERMISSIONS: dict[str, str] = {
    "view": "look at records",
    "casework": "change pupils' records",
    "print": "print documents",
    "export": "export records",
    "import": "import pupils or records",
    "staff": "manage staff profiles",
    "templates": "change the graduated-response templates",
    "settings": "change the school's settings",
    "retention": "change the retention rules",
    "erasure": "erase records",
    "backup": "make or restore backups of the whole database",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read_only": frozenset({"view"}),
    "pastoral": frozenset({"view", "casework", "print", "export", "import"}),
    "senco": frozenset(PERMISSIONS),
}

ROLE_LABELS = {"senco": "SENCO", "pastoral": "Pastoral staff", "read_only": "Read-only"}

# Functions decorated with @requires, by qualified name: the role tests walk every one.
GUARDED: dict[str, tuple[Callable[..., object], str]] = {}


def allows(role: str | None, permission: str) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def acting_role(store: Store) -> str | None:
    """The signed-in profile's role, read afresh (a disabled profile has none)."""
    if store.staff_id is None:
        return None
    row = store.conn.execute(
        "SELECT role FROM staff WHERE id = ? AND archived_at IS NULL", [store.staff_id]
    ).fetchone()
    return str(row[0]) if row else None


def refusal_message(role: str | None, permission: str) -> str:
    doing = PERMISSIONS.get(permission, permission)
    if role is None:
        return f"Nobody is signed in with a current staff profile, so you cannot {doing}."
    label = ROLE_LABELS.get(role, role)
    if role == "read_only":
        return (
            f"Your profile is {label}: you can look at records but cannot {doing}. "
            "Nothing was changed. Ask your SENCO if you need to."
        )
    return f"Your profile ({label}) cannot {doing}; only a SENCO can. Nothing was changed."


def require(store: Store, permission: str, what: str = "") -> None:
    """Refuse (and audit the refusal) unless the signed-in profile may do this."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    role = acting_role(store)
    if allows(role, permission):
        return
    _audit_refusal(store, permission, what)
    raise NotAllowed(refusal_message(role, permission))


def _audit_refusal(store: Store, permission: str, what: str) -> None:
    def write() -> None:
        with store.atomic():
            audit.record(store, "refused", permission, None, what)

    if store.conn.in_transaction:
        # The caller's transaction is about to roll back: write the row after it has.
        store.after_rollback.append(write)
    else:
        write()


def requires(permission: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a domain function whose first argument is the store: check before it runs."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            store = args[0] if args else kwargs.get("store")
            if not isinstance(store, Store):
                raise TypeError(f"{function.__qualname__} needs the store as its first argument")
            require(store, permission, function.__name__)
            return function(*args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        GUARDED[f"{function.__module__}.{function.__qualname__}"] = (guarded, permission)
        return guarded

    return decorate


def checks_inline(permission: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """List a function that calls `require` itself, first thing, like a decorated one.

    For a function whose permission depends on an argument (an export that may be a print);
    the role tests walk it like every decorated function.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def register(function: Callable[P, T]) -> Callable[P, T]:
        function.required_permission = permission  # type: ignore[attr-defined]
        GUARDED[f"{function.__module__}.{function.__qualname__}"] = (function, permission)
        return function

    return register


def output_permission(action: object) -> str:
    """The permission a document written with audit action `action` needs."""
    return "print" if action == "print" else "export"
