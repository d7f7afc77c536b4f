-- Schema 6: suspensions, permanent exclusions, attendance snapshots and the impact areas a
-- family plan achieved. Rows entered in error are withdrawn (kept, with who and why), never
-- deleted; measures read only rows that are not withdrawn.

-- A suspension (fixed-term exclusion). Its length is held in half school days so that a
-- lunchtime suspension (half a day) is exact: 1 = a lunchtime, 2 = one day, 3 = a day and a half.
CREATE TABLE suspensions (
    id              TEXT PRIMARY KEY,                              -- UUID
    pupil_id        TEXT NOT NULL REFERENCES pupils (id),
    start_date      TEXT NOT NULL,                                 -- ISO yyyy-mm-dd, a weekday
    half_days       INTEGER NOT NULL CHECK (half_days BETWEEN 1 AND 90),
    reason          TEXT NOT NULL CHECK (reason IN (
                        'assault_pupil', 'assault_adult', 'verbal_pupil', 'verbal_adult',
                        'weapon', 'bullying', 'racist', 'sexuality_gender', 'disability',
                        'sexual_misconduct', 'drugs_alcohol', 'damage', 'theft',
                        'disruption', 'online', 'other')),
    note            TEXT NOT NULL DEFAULT '',
    import_batch    TEXT,                                          -- set when read from a CSV
    created_at      TEXT NOT NULL,
    created_by      TEXT REFERENCES staff (id),
    withdrawn_at    TEXT,                                          -- entered in error: kept, not counted
    withdrawn_by    TEXT REFERENCES staff (id),
    withdrawn_reason TEXT
);
CREATE INDEX suspensions_pupil ON suspensions (pupil_id, start_date);

-- A permanent exclusion; its outcome (pending, upheld, rescinded) is a list of decisions,
-- appended, the latest counting (governors, then perhaps a review panel).
CREATE TABLE permanent_exclusions (
    id              TEXT PRIMARY KEY,
    pupil_id        TEXT NOT NULL REFERENCES pupils (id),
    exclusion_date  TEXT NOT NULL,
    reason          TEXT NOT NULL CHECK (reason IN (
                        'assault_pupil', 'assault_adult', 'verbal_pupil', 'verbal_adult',
                        'weapon', 'bullying', 'racist', 'sexuality_gender', 'disability',
                        'sexual_misconduct', 'drugs_alcohol', 'damage', 'theft',
                        'disruption', 'online', 'other')),
    note            TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      TEXT REFERENCES staff (id),
    withdrawn_at    TEXT,
    withdrawn_by    TEXT REFERENCES staff (id),
    withdrawn_reason TEXT
);
CREATE INDEX permanent_exclusions_pupil ON permanent_exclusions (pupil_id, exclusion_date);

CREATE TABLE exclusion_decisions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,             -- entry order: the latest counts
    id              TEXT NOT NULL UNIQUE,
    exclusion_id    TEXT NOT NULL REFERENCES permanent_exclusions (id),
    outcome         TEXT NOT NULL CHECK (outcome IN ('pending', 'upheld', 'rescinded')),
    decided_on      TEXT,                                          -- NULL while pending
    note            TEXT NOT NULL DEFAULT '',
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT REFERENCES staff (id)
);
CREATE INDEX exclusion_decisions_exclusion ON exclusion_decisions (exclusion_id);
CREATE TRIGGER exclusion_decisions_no_update BEFORE UPDATE ON exclusion_decisions
BEGIN
    SELECT RAISE(ABORT, 'An exclusion decision is history; record a new decision instead.');
END;

-- Attendance as the MIS reports it on a date: % of possible sessions attended (usually year
-- to date), optionally with the session counts it came from.
CREATE TABLE attendance_snapshots (
    id                TEXT PRIMARY KEY,
    pupil_id          TEXT NOT NULL REFERENCES pupils (id),
    as_of             TEXT NOT NULL,                               -- ISO date of the figure
    percent           REAL NOT NULL CHECK (percent BETWEEN 0 AND 100),
    sessions_possible INTEGER CHECK (sessions_possible IS NULL OR sessions_possible > 0),
    sessions_attended INTEGER CHECK (sessions_attended IS NULL OR sessions_attended >= 0),
    note              TEXT NOT NULL DEFAULT '',
    import_batch      TEXT,
    created_at        TEXT NOT NULL,
    created_by        TEXT REFERENCES staff (id),
    withdrawn_at      TEXT,
    withdrawn_by      TEXT REFERENCES staff (id),
    withdrawn_reason  TEXT,
    CHECK ((sessions_possible IS NULL) = (sessions_attended IS NULL)),
    CHECK (sessions_attended IS NULL OR sessions_attended <= sessions_possible)
);
-- One figure per pupil per date (a second one is refused; withdraw the first to correct it).
CREATE UNIQUE INDEX attendance_one_per_day ON attendance_snapshots (pupil_id, as_of)
    WHERE withdrawn_at IS NULL;

-- Family-plan impact areas: how far (0-100 %, whole numbers) the family reached each area.
-- Appended; the latest row per case and area counts. Reports band the % in tens.
CREATE TABLE impact_areas (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    area            TEXT NOT NULL,                                 -- key from impact.IMPACT_AREAS
    percent         INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    note            TEXT NOT NULL DEFAULT '',
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT REFERENCES staff (id)
);
CREATE INDEX impact_areas_case ON impact_areas (case_id, area);
CREATE TRIGGER impact_areas_no_update BEFORE UPDATE ON impact_areas
BEGIN
    SELECT RAISE(ABORT, 'Impact areas are history; record a new figure instead.');
END;
