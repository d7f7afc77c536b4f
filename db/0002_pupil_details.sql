-- Schema 2: details that MIS exports carry (sex, registration group) and indexes for the caseload.
ALTER TABLE pupils ADD COLUMN sex TEXT CHECK (sex IS NULL OR sex IN ('F', 'M', 'X'));
ALTER TABLE pupils ADD COLUMN reg_group TEXT;

CREATE INDEX pupils_register ON pupils (on_semh_register, archived_at);
CREATE INDEX audit_record ON audit (record_type, record_id);

-- Settings that belong to this database (not to the computer): e.g. the idle lock timeout.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
