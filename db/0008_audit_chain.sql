-- Schema 8: the audit trail becomes tamper-evident.
-- Each migration runs inside one transaction opened by the app: no BEGIN/COMMIT here.
--
-- `pupil_id` names the pupil whose record an entry concerns (for "who has seen this record");
-- `mac` is the entry's seal: an HMAC over the previous entry's seal and this entry's content,
-- keyed from the database key (semh_desktop/register/audit.py). Entries written before this
-- schema have no seal yet; the app seals them, in order, the first time it writes or checks.
ALTER TABLE audit ADD COLUMN pupil_id TEXT;
ALTER TABLE audit ADD COLUMN mac TEXT;

-- The trail refuses updates: lift that for the backfill only, then put it back as it was.
DROP TRIGGER audit_no_update;
UPDATE audit SET pupil_id = record_id WHERE record_type = 'pupil';
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'The audit trail cannot be changed.');
END;

-- INSERT OR REPLACE deletes the row it replaces without firing the delete trigger (SQLite
-- runs no delete triggers for REPLACE unless recursive_triggers is on): refuse any insert
-- that would collide with an existing entry, by number or by id.
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq OR id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'The audit trail cannot be changed.');
END;

CREATE INDEX audit_pupil ON audit (pupil_id, seq);
