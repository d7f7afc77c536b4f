-- Schema 4: cases (episodes of support) with their plan (PSP or family plan), the network
-- around the child, targets / family goals with versioned wording, case aims, scoring points
-- (baseline, mid-point, final, extra reviews), agreed scores and independent scores.
-- Scores and target wording are appended, never updated: the latest row counts, all are kept.
-- Closure (date, reason, sustainability plan) is added by a later migration.

CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,                      -- UUID
    pupil_id            TEXT NOT NULL REFERENCES pupils (id),
    referral_date       TEXT NOT NULL,                         -- ISO yyyy-mm-dd
    referral_route      TEXT NOT NULL DEFAULT 'school'
                            CHECK (referral_route IN ('school', 'hub', 'parent', 'self', 'other')),
    referred_by         TEXT NOT NULL,                         -- who referred (name / role)
    reason              TEXT NOT NULL,
    consent_date        TEXT,                                  -- parent consent; NULL = not yet
    consent_by          TEXT,                                  -- who gave consent
    worker_id           TEXT REFERENCES staff (id),            -- the worker holding the case
    plan_type           TEXT NOT NULL CHECK (plan_type IN ('psp', 'family')),
    start_date          TEXT NOT NULL,                         -- plan start (contracting meeting)
    length_weeks        INTEGER NOT NULL CHECK (length_weeks BETWEEN 1 AND 52),
    mid_review_moved_to   TEXT,                                -- NULL = computed from start/length
    final_review_moved_to TEXT,                                -- NULL = computed from start/length
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at          TEXT NOT NULL,
    created_by          TEXT REFERENCES staff (id),
    updated_at          TEXT NOT NULL
);
CREATE INDEX cases_pupil ON cases (pupil_id, referral_date);
-- One open episode of support per pupil at a time.
CREATE UNIQUE INDEX cases_one_open ON cases (pupil_id) WHERE status = 'open';

-- The network around the child: parents/carers, class teacher, worker, other professionals.
CREATE TABLE case_network (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    role        TEXT NOT NULL,                                 -- e.g. 'Parent/carer', 'Class teacher'
    name        TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',                      -- e.g. how they help
    position    INTEGER NOT NULL,
    added_at    TEXT NOT NULL,
    removed_at  TEXT                                           -- kept, hidden when removed
);
CREATE INDEX case_network_case ON case_network (case_id);

-- Targets (PSP: learning / behaviour_wellbeing, at most three) and family-plan goals.
CREATE TABLE targets (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    position    INTEGER NOT NULL,                              -- 1, 2, 3 in the plan
    kind        TEXT NOT NULL CHECK (kind IN ('learning', 'behaviour_wellbeing', 'family_goal')),
    created_at  TEXT NOT NULL,
    created_by  TEXT REFERENCES staff (id),
    UNIQUE (case_id, position)
);

-- Every wording of a target; the highest version is the current one.
CREATE TABLE target_versions (
    id              TEXT PRIMARY KEY,
    target_id       TEXT NOT NULL REFERENCES targets (id),
    version         INTEGER NOT NULL,
    target_text     TEXT NOT NULL,                             -- in child-centred words
    school_actions  TEXT NOT NULL DEFAULT '',                  -- what school will do
    family_actions  TEXT NOT NULL DEFAULT '',                  -- what the family will do
    pupil_actions   TEXT NOT NULL DEFAULT '',                  -- what the pupil will do
    strengths       TEXT NOT NULL DEFAULT '',                  -- strengths and motivators
    rewards         TEXT NOT NULL DEFAULT '',
    responsible     TEXT NOT NULL DEFAULT '',                  -- who is responsible
    review_id       TEXT REFERENCES case_reviews (id),         -- set when adjusted at a review
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT REFERENCES staff (id),
    UNIQUE (target_id, version)
);

-- Case aims: about the system around the child, scored 1-10 at baseline and final.
CREATE TABLE case_aims (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    position    INTEGER NOT NULL,
    aim         TEXT NOT NULL,
    suggested   TEXT,                                          -- key of a suggested aim, if chosen
    created_at  TEXT NOT NULL,
    created_by  TEXT REFERENCES staff (id),
    UNIQUE (case_id, position)
);

-- Scoring points of a case: baseline, mid-point, final, and extra reviews numbered 1, 2, ...
CREATE TABLE case_reviews (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    point       TEXT NOT NULL CHECK (point IN ('baseline', 'mid', 'final', 'extra')),
    number      INTEGER NOT NULL DEFAULT 0,                    -- 0, or N for extra review N
    held_on     TEXT NOT NULL,                                 -- the meeting date
    notes       TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by TEXT REFERENCES staff (id),
    CHECK ((point = 'extra') = (number > 0)),
    UNIQUE (case_id, point, number)
);

-- People present at a scoring point (they may score independently).
CREATE TABLE review_people (
    id          TEXT PRIMARY KEY,
    review_id   TEXT NOT NULL REFERENCES case_reviews (id),
    role        TEXT NOT NULL,                                 -- pupil, parent_carer, class_teacher, worker, ...
    name        TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL
);
CREATE INDEX review_people_review ON review_people (review_id);

-- Agreed scores: the only scores that count in measures. Appended; the latest per item and
-- scoring point counts (highest seq).
CREATE TABLE scores (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,             -- entry order: the latest counts
    id          TEXT NOT NULL UNIQUE,                          -- UUID
    review_id   TEXT NOT NULL REFERENCES case_reviews (id),
    target_id   TEXT REFERENCES targets (id),
    aim_id      TEXT REFERENCES case_aims (id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),  -- the plan type narrows it
    note        TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by TEXT REFERENCES staff (id),
    CHECK ((target_id IS NULL) <> (aim_id IS NULL))
);
CREATE INDEX scores_target ON scores (target_id);
CREATE INDEX scores_aim ON scores (aim_id);
CREATE INDEX scores_review ON scores (review_id);

-- Each person's own score, given before the agreed score. Kept, never counted in measures.
CREATE TABLE independent_scores (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,                          -- UUID
    person_id   TEXT NOT NULL REFERENCES review_people (id),
    target_id   TEXT REFERENCES targets (id),
    aim_id      TEXT REFERENCES case_aims (id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    recorded_at TEXT NOT NULL,
    CHECK ((target_id IS NULL) <> (aim_id IS NULL))
);
CREATE INDEX independent_scores_person ON independent_scores (person_id);

-- Scores and wordings are history: appended, never changed or removed.
CREATE TRIGGER scores_no_update BEFORE UPDATE ON scores
BEGIN
    SELECT RAISE(ABORT, 'Scores are history and cannot be changed; record a new score instead.');
END;
CREATE TRIGGER scores_no_delete BEFORE DELETE ON scores
BEGIN
    SELECT RAISE(ABORT, 'Scores are history and cannot be removed.');
END;
CREATE TRIGGER independent_scores_no_update BEFORE UPDATE ON independent_scores
BEGIN
    SELECT RAISE(ABORT, 'Scores are history and cannot be changed; record a new score instead.');
END;
CREATE TRIGGER target_versions_no_update BEFORE UPDATE ON target_versions
BEGIN
    SELECT RAISE(ABORT, 'A target''s earlier wording is history and cannot be changed.');
END;

-- The agreed score that counts for each target / aim at each scoring point (latest entered).
CREATE VIEW current_scores AS
SELECT s.target_id, s.aim_id, r.case_id, r.id AS review_id, r.point, r.number, r.held_on,
       s.score
FROM scores s
JOIN case_reviews r ON r.id = s.review_id
WHERE s.seq = (
    SELECT max(s2.seq) FROM scores s2
    WHERE s2.review_id = s.review_id
      AND s2.target_id IS s.target_id AND s2.aim_id IS s.aim_id
);
