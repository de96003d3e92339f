-- A result's identity is its recording, not the call_id of its metadata:
-- two recordings whose meta carry the same call_id (a recorder that
-- restarted its numbering, a re-exported call) are two calls, both stored
-- and both counted. results, findings, reviews and verdicts are keyed by
-- the recording's key; call_id stays as the label people know the call by.
--
-- Before this version a recording had at most one result per scorecard
-- version (SaveResult replaced a result of the same recording under another
-- call id), so re-keying loses nothing; should an older database hold two
-- rows of one recording and version anyway, the newer is kept (the older's
-- findings go with it, by the foreign key's cascade).

DELETE FROM results o USING results n
    WHERE n.recording = o.recording AND n.scorecard_id = o.scorecard_id AND n.scorecard_version = o.scorecard_version
        AND (n.inspected_at > o.inspected_at OR (n.inspected_at = o.inspected_at AND n.call_id > o.call_id));

ALTER TABLE findings ADD COLUMN recording TEXT NOT NULL DEFAULT '';
UPDATE findings f SET recording = r.recording FROM results r
    WHERE r.call_id = f.call_id AND r.scorecard_id = f.scorecard_id AND r.scorecard_version = f.scorecard_version;
ALTER TABLE findings DROP CONSTRAINT findings_call_id_scorecard_id_scorecard_version_fkey;
ALTER TABLE findings DROP CONSTRAINT findings_pkey;
ALTER TABLE findings DROP COLUMN call_id;
ALTER TABLE findings ALTER COLUMN recording DROP DEFAULT;

ALTER TABLE results DROP CONSTRAINT results_pkey;
ALTER TABLE results ADD PRIMARY KEY (recording, scorecard_id, scorecard_version);
ALTER TABLE findings ADD PRIMARY KEY (recording, scorecard_id, scorecard_version, seq);
ALTER TABLE findings ADD FOREIGN KEY (recording, scorecard_id, scorecard_version)
    REFERENCES results (recording, scorecard_id, scorecard_version) ON DELETE CASCADE;
-- The primary key now serves the lookups by recording.
DROP INDEX results_by_recording;
CREATE INDEX results_by_call ON results (call_id);

-- Reviews and verdicts follow the recording too. Each takes the recording
-- of its call's newest result; one whose call has no result (none is
-- expected) keeps its call id as the key, so that no row is lost.
ALTER TABLE reviews ADD COLUMN recording TEXT NOT NULL DEFAULT '';
UPDATE reviews o SET recording = COALESCE((SELECT r.recording FROM results r WHERE r.call_id = o.call_id
    ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), o.call_id);
ALTER TABLE reviews ALTER COLUMN recording DROP DEFAULT;
ALTER TABLE reviews DROP CONSTRAINT reviews_pkey;
ALTER TABLE reviews ADD PRIMARY KEY (recording, rule, start_ms);

ALTER TABLE verdicts ADD COLUMN recording TEXT NOT NULL DEFAULT '';
UPDATE verdicts o SET recording = COALESCE((SELECT r.recording FROM results r WHERE r.call_id = o.call_id
    ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), o.call_id);
ALTER TABLE verdicts ALTER COLUMN recording DROP DEFAULT;
ALTER TABLE verdicts DROP CONSTRAINT verdicts_pkey;
ALTER TABLE verdicts ADD PRIMARY KEY (recording);

-- The audit trail names the recording beside the call id.
ALTER TABLE audit ADD COLUMN recording TEXT NOT NULL DEFAULT '';
UPDATE audit a SET recording = COALESCE((SELECT r.recording FROM results r WHERE r.call_id = a.call_id
    ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), '') WHERE a.call_id <> '';
