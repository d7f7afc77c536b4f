-- Schema 7: sync state for encrypted handover bundles between installations.
-- Each migration runs inside one transaction opened by the app: no BEGIN/COMMIT here.
--
-- Every version of a pupil-linked record that this installation has exchanged with another
-- (sent in a bundle, or received and applied or declined) is remembered by its content hash.
-- On import this tells which side changed a record since the two last agreed on it: an incoming
-- version we have already exchanged is not news (keep ours); a local version the sender has
-- already seen (the bundle lists the versions the sender knows) means only they changed it
-- (take theirs); otherwise both changed it and the person importing chooses.
-- Local-only: this table is never itself put into a bundle.
CREATE TABLE handover_sync (
    table_name   TEXT NOT NULL,
    record_id    TEXT NOT NULL,   -- the row's TEXT id in this database
    content_hash TEXT NOT NULL,   -- sha256 of the row's canonical content (see handover.py)
    peer         TEXT NOT NULL,   -- installation id it came from; '' when we sent it
    synced_at    TEXT NOT NULL,
    PRIMARY KEY (table_name, record_id, content_hash)
);
