-- Schema 5: closing a case, the sustainability plan, follow-up after closure, questionnaires
-- and re-referral links (semh_desktop/closure.py, sustainability.py, questionnaires.py).

-- The closing meeting. A case is closed when status = 'closed'; closed_on is the meeting date.
ALTER TABLE cases ADD COLUMN closed_on TEXT;                       -- ISO yyyy-mm-dd
ALTER TABLE cases ADD COLUMN closure_reason TEXT
    CHECK (closure_reason IS NULL OR closure_reason IN
           ('stepped_down', 'stepped_up_csc', 'transferred', 'moved_away', 'disengaged', 'other'));
ALTER TABLE cases ADD COLUMN closure_reason_other TEXT;            -- the words when 'other'
ALTER TABLE cases ADD COLUMN closing_attendees TEXT;               -- who attended (free text)
-- Re-referral: the pupil's most recent earlier case that had closed on or before this case's
-- referral date; is_re_referral = 1 when that closure was at most 365 days before the referral
-- ("within 12 months": 364 days yes, 365 yes, 366 no). Kept up to date by the triggers below.
ALTER TABLE cases ADD COLUMN previous_case_id TEXT REFERENCES cases (id);
ALTER TABLE cases ADD COLUMN is_re_referral INTEGER NOT NULL DEFAULT 0;

-- Recompute every case of a pupil whenever one of them is added, closed or re-dated, so a case
-- entered after the fact (an older episode typed in from paper) still links correctly.
-- (recursive_triggers is off, so the UPDATE inside does not fire these triggers again.)
CREATE TRIGGER cases_link_on_insert AFTER INSERT ON cases
BEGIN
    UPDATE cases SET
        previous_case_id = (
            SELECT p.id FROM cases p
            WHERE p.pupil_id = cases.pupil_id AND p.id <> cases.id
              AND p.closed_on IS NOT NULL AND p.closed_on <= cases.referral_date
            ORDER BY p.closed_on DESC, p.referral_date DESC LIMIT 1),
        is_re_referral = coalesce((
            SELECT julianday(cases.referral_date) - julianday(max(p.closed_on)) <= 365
            FROM cases p
            WHERE p.pupil_id = cases.pupil_id AND p.id <> cases.id
              AND p.closed_on IS NOT NULL AND p.closed_on <= cases.referral_date), 0)
    WHERE pupil_id = NEW.pupil_id;
END;

CREATE TRIGGER cases_link_on_update AFTER UPDATE OF referral_date, closed_on, pupil_id ON cases
BEGIN
    UPDATE cases SET
        previous_case_id = (
            SELECT p.id FROM cases p
            WHERE p.pupil_id = cases.pupil_id AND p.id <> cases.id
              AND p.closed_on IS NOT NULL AND p.closed_on <= cases.referral_date
            ORDER BY p.closed_on DESC, p.referral_date DESC LIMIT 1),
        is_re_referral = coalesce((
            SELECT julianday(cases.referral_date) - julianday(max(p.closed_on)) <= 365
            FROM cases p
            WHERE p.pupil_id = cases.pupil_id AND p.id <> cases.id
              AND p.closed_on IS NOT NULL AND p.closed_on <= cases.referral_date), 0)
    WHERE pupil_id IN (NEW.pupil_id, OLD.pupil_id);
END;

CREATE INDEX cases_closed ON cases (closed_on);

-- The sustainability plan: what school will keep doing after closure.
CREATE TABLE sustainability_actions (
    id            TEXT PRIMARY KEY,                                -- UUID
    case_id       TEXT NOT NULL REFERENCES cases (id),
    position      INTEGER NOT NULL,
    action        TEXT NOT NULL,                                   -- what will continue
    who           TEXT NOT NULL,                                   -- who does it
    how_often     TEXT NOT NULL,                                   -- e.g. 'Every morning'
    until_date    TEXT,                                            -- ISO; NULL = no end date
    target_id     TEXT REFERENCES targets (id),                    -- the target it sustains
    end_reviewed_on TEXT,                                          -- the passed end date was looked at
    created_at    TEXT NOT NULL,
    created_by    TEXT REFERENCES staff (id),
    updated_at    TEXT NOT NULL,
    removed_at    TEXT                                             -- kept, hidden when removed
);
CREATE INDEX sustainability_actions_case ON sustainability_actions (case_id, position);

-- Signposting for the family: services they can turn to after closure.
CREATE TABLE signposting (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    position    INTEGER NOT NULL,
    service     TEXT NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',                          -- phone, website, address
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT REFERENCES staff (id),
    updated_at  TEXT NOT NULL,
    removed_at  TEXT
);
CREATE INDEX signposting_case ON signposting (case_id, position);

-- The post-closure follow-up meetings (two, by default 3 and 6 weeks after closure), each
-- preceded by an observation of the pupil. held_on is set when the meeting is recorded;
-- from then on the row is history.
CREATE TABLE follow_ups (
    id               TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL REFERENCES cases (id),
    number           INTEGER NOT NULL CHECK (number >= 1),         -- 1, 2
    scheduled_on     TEXT NOT NULL,                                -- the meeting (movable)
    observation_on   TEXT NOT NULL,                                -- the observation, before it
    observed_on      TEXT,                                         -- when it actually happened
    observation_note TEXT,
    held_on          TEXT,                                         -- NULL = not held yet
    outcome          TEXT,                                         -- short outcome of the meeting
    completed_at     TEXT,
    completed_by     TEXT REFERENCES staff (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (observation_on <= scheduled_on),
    UNIQUE (case_id, number)
);
CREATE INDEX follow_ups_due ON follow_ups (held_on, scheduled_on);

-- At a follow-up: is each sustainability action still happening?
CREATE TABLE follow_up_action_checks (
    id           TEXT PRIMARY KEY,
    follow_up_id TEXT NOT NULL REFERENCES follow_ups (id),
    action_id    TEXT NOT NULL REFERENCES sustainability_actions (id),
    status       TEXT NOT NULL CHECK (status IN ('yes', 'partly', 'no')),
    note         TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    UNIQUE (follow_up_id, action_id)
);
CREATE INDEX follow_up_action_checks_action ON follow_up_action_checks (action_id);

-- Questionnaires at closure: one from school and one from the parent/carer per case (the
-- parent's may be typed in later from paper). Items are copied with their wording, so editing
-- the school's item list never changes answers already given. score NULL = left blank.
CREATE TABLE questionnaires (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    respondent   TEXT NOT NULL CHECK (respondent IN ('school', 'parent')),
    completed_on TEXT NOT NULL,                                    -- ISO date on the form
    partnership  TEXT CHECK (partnership IS NULL OR partnership IN ('improved', 'same', 'worse')),
    entered_at   TEXT NOT NULL,
    entered_by   TEXT REFERENCES staff (id),
    UNIQUE (case_id, respondent)
);
CREATE TABLE questionnaire_answers (
    id               TEXT PRIMARY KEY,
    questionnaire_id TEXT NOT NULL REFERENCES questionnaires (id),
    position         INTEGER NOT NULL,
    item_text        TEXT NOT NULL,
    score            INTEGER CHECK (score BETWEEN 1 AND 5),
    UNIQUE (questionnaire_id, position)
);

-- What was recorded at a follow-up and in a questionnaire is history.
CREATE TRIGGER follow_ups_held_no_update BEFORE UPDATE ON follow_ups
WHEN OLD.held_on IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'A follow-up meeting already recorded cannot be changed.');
END;
CREATE TRIGGER follow_up_action_checks_no_update BEFORE UPDATE ON follow_up_action_checks
BEGIN
    SELECT RAISE(ABORT, 'What was recorded at a follow-up meeting cannot be changed.');
END;
CREATE TRIGGER questionnaires_no_update BEFORE UPDATE ON questionnaires
BEGIN
    SELECT RAISE(ABORT, 'A questionnaire already entered cannot be changed.');
END;
CREATE TRIGGER questionnaire_answers_no_update BEFORE UPDATE ON questionnaire_answers
BEGIN
    SELECT RAISE(ABORT, 'A questionnaire already entered cannot be changed.');
END;
