-- Schema 1: staff profiles, the pupil register and the append-only audit trail.
-- Each migration runs inside one transaction opened by the app: no BEGIN/COMMIT here.
PRAGMA application_id = 1397050696;  -- 'SEMH'

CREATE TABLE staff (
    id          TEXT PRIMARY KEY,              -- UUID
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('senco', 'pastoral', 'read_only')),
    created_at  TEXT NOT NULL,
    archived_at TEXT
);

CREATE TABLE pupils (
    id                 TEXT PRIMARY KEY,       -- UUID, stable across exports and merges
    upn                TEXT NOT NULL UNIQUE,
    legal_forename     TEXT NOT NULL,
    legal_surname      TEXT NOT NULL,
    preferred_forename TEXT,
    preferred_surname  TEXT,
    date_of_birth      TEXT NOT NULL,          -- ISO yyyy-mm-dd
    year_group         INTEGER NOT NULL CHECK (year_group BETWEEN -2 AND 14),  -- 0 = Reception
    sen_provision      TEXT NOT NULL DEFAULT 'N' CHECK (sen_provision IN ('N', 'K', 'E')),
    primary_need       TEXT CHECK (primary_need IS NULL OR primary_need IN
                           ('SPLD', 'MLD', 'SLD', 'PMLD', 'SEMH', 'SLCN', 'HI', 'VI', 'MSI',
                            'PD', 'ASD', 'OTH', 'NSA')),
    pupil_premium      INTEGER NOT NULL DEFAULT 0,
    social_care        TEXT NOT NULL DEFAULT '' CHECK (social_care IN ('', 'CIN', 'CP', 'CLA')),
    young_carer        INTEGER NOT NULL DEFAULT 0,
    eal                INTEGER NOT NULL DEFAULT 0,
    at_risk_pex        INTEGER NOT NULL DEFAULT 0,
    ethnicity          TEXT,
    on_semh_register   INTEGER NOT NULL DEFAULT 0,
    archived_at        TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,          -- UUID
    at          TEXT NOT NULL,
    staff_id    TEXT REFERENCES staff (id),
    action      TEXT NOT NULL,                 -- create, change, archive, open, export, print, ...
    record_type TEXT NOT NULL,
    record_id   TEXT,
    detail      TEXT NOT NULL DEFAULT ''       -- field names and counts, never values
);

-- The audit trail is append-only, whatever code or tool writes to the file.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'The audit trail cannot be changed.');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'The audit trail cannot be changed.');
END;
