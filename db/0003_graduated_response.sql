-- Schema 3: the graduated response. Checklist templates (each edit or import is a new version),
-- each pupil's phase and every change of phase, checklist answers pinned to the template version
-- they were given against, and assess-plan-do-review (APDR) cycles.
-- History is appended: the triggers refuse to rewrite a stored row (deletion stays possible
-- for retention reviews).

CREATE TABLE gr_templates (
    id         TEXT PRIMARY KEY,                 -- UUID
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE gr_template_versions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- the newest row is the school's template
    id          TEXT NOT NULL UNIQUE,              -- UUID
    template_id TEXT NOT NULL REFERENCES gr_templates (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    content     TEXT NOT NULL,                     -- the template as canonical JSON
    source      TEXT NOT NULL CHECK (source IN ('default', 'import', 'edit')),
    created_at  TEXT NOT NULL,
    created_by  TEXT REFERENCES staff (id),
    UNIQUE (template_id, version)
);

CREATE TABLE gr_phase_changes (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,      -- UUID
    pupil_id            TEXT NOT NULL REFERENCES pupils (id),
    template_version_id TEXT NOT NULL REFERENCES gr_template_versions (id),
    from_phase_id       TEXT,                      -- NULL for the first phase recorded
    from_phase_name     TEXT,
    to_phase_id         TEXT NOT NULL,
    to_phase_name       TEXT NOT NULL,
    changed_on          TEXT NOT NULL,             -- ISO date the decision took effect
    reason              TEXT NOT NULL CHECK (trim(reason) <> ''),
    decided_by          TEXT NOT NULL CHECK (decided_by IN
                            ('senco', 'partnership_panel', 'outreach_team',
                             'educational_psychologist', 'other')),
    decided_by_detail   TEXT NOT NULL DEFAULT '',  -- who, when 'other' (or a panel's name)
    recorded_by         TEXT REFERENCES staff (id),
    recorded_at         TEXT NOT NULL
);
CREATE INDEX gr_phase_changes_pupil ON gr_phase_changes (pupil_id, changed_on, seq);

CREATE TABLE gr_item_answers (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,      -- UUID
    pupil_id            TEXT NOT NULL REFERENCES pupils (id),
    template_version_id TEXT NOT NULL REFERENCES gr_template_versions (id),
    phase_id            TEXT NOT NULL,
    item_id             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('done', 'not_yet', 'not_applicable')),
    answered_on         TEXT,                      -- ISO date
    staff_name          TEXT NOT NULL DEFAULT '',  -- who did it (may be someone without a profile)
    evidence            TEXT NOT NULL DEFAULT '',
    recorded_by         TEXT REFERENCES staff (id),
    recorded_at         TEXT NOT NULL
);
CREATE INDEX gr_item_answers_pupil ON gr_item_answers (pupil_id, item_id, seq);

CREATE TABLE apdr_cycles (
    id         TEXT PRIMARY KEY,                 -- UUID
    pupil_id   TEXT NOT NULL REFERENCES pupils (id),
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES staff (id)
);
CREATE INDEX apdr_cycles_pupil ON apdr_cycles (pupil_id);

-- Each save of a cycle is a new revision; the newest revision is the cycle as it stands.
CREATE TABLE apdr_cycle_revisions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,           -- UUID
    cycle_id     TEXT NOT NULL REFERENCES apdr_cycles (id),
    assess_on    TEXT,                           -- ISO dates; later stages may still be empty
    plan_on      TEXT,
    do_on        TEXT,
    review_on    TEXT,
    assess_notes TEXT NOT NULL DEFAULT '',
    plan_notes   TEXT NOT NULL DEFAULT '',
    do_notes     TEXT NOT NULL DEFAULT '',
    review_notes TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL DEFAULT '',       -- agreed at review
    recorded_by  TEXT REFERENCES staff (id),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX apdr_cycle_revisions_cycle ON apdr_cycle_revisions (cycle_id, seq);

CREATE TRIGGER gr_template_versions_no_update BEFORE UPDATE ON gr_template_versions
BEGIN
    SELECT RAISE(ABORT, 'A template version cannot be changed; save a new version instead.');
END;
CREATE TRIGGER gr_phase_changes_no_update BEFORE UPDATE ON gr_phase_changes
BEGIN
    SELECT RAISE(ABORT, 'Phase history cannot be changed; record a new phase change instead.');
END;
CREATE TRIGGER gr_item_answers_no_update BEFORE UPDATE ON gr_item_answers
BEGIN
    SELECT RAISE(ABORT, 'Checklist history cannot be changed; record a new answer instead.');
END;
CREATE TRIGGER apdr_cycle_revisions_no_update BEFORE UPDATE ON apdr_cycle_revisions
BEGIN
    SELECT RAISE(ABORT, 'APDR history cannot be changed; save a new revision instead.');
END;
