-- A result's identity is its recording, not the call_id of its metadata:
-- two recordings whose meta carry the same call_id (a recorder that
-- restarted its numbering, a re-exported call) are two calls, both stored
-- and both counted. results, findings, reviews and verdicts are keyed by
-- the recording's key; call_id stays as the label people know the call by.
--
-- Before this version a recording had at most one result per scorecard
-- version (SaveResult replaced a result of the same recording under another
-- call id), so re-keying loses nothing; should an older database hold two
-- rows of one recording and version anyway, the newer is kept.
--
-- SQLite cannot change a primary key: the two tables are rebuilt.

ALTER TABLE findings RENAME TO findings_old;
ALTER TABLE results RENAME TO results_old;

CREATE TABLE results (
    recording         TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    call_id           TEXT NOT NULL,
    status            TEXT NOT NULL,
    error             TEXT NOT NULL DEFAULT '',
    truncated         INTEGER NOT NULL DEFAULT 0,
    agent_id          TEXT NOT NULL DEFAULT '',
    agent_name        TEXT NOT NULL DEFAULT '',
    team              TEXT NOT NULL DEFAULT '',
    queue             TEXT NOT NULL DEFAULT '',
    call_date         TEXT NOT NULL DEFAULT '',
    started_at        TEXT NOT NULL DEFAULT '',
    duration_s        DOUBLE PRECISION NOT NULL DEFAULT 0,
    score             DOUBLE PRECISION NOT NULL DEFAULT 0,
    passed            INTEGER NOT NULL DEFAULT 0,
    veto              INTEGER NOT NULL DEFAULT 0,
    review            INTEGER NOT NULL DEFAULT 0,
    batch_id          TEXT NOT NULL DEFAULT '',
    inspected_at      TEXT NOT NULL,
    result_json       TEXT NOT NULL,
    PRIMARY KEY (recording, scorecard_id, scorecard_version)
);

INSERT INTO results (recording, scorecard_id, scorecard_version, call_id, status, error, truncated,
        agent_id, agent_name, team, queue, call_date, started_at, duration_s, score, passed, veto, review,
        batch_id, inspected_at, result_json)
    SELECT o.recording, o.scorecard_id, o.scorecard_version, o.call_id, o.status, o.error, o.truncated,
        o.agent_id, o.agent_name, o.team, o.queue, o.call_date, o.started_at, o.duration_s, o.score, o.passed,
        o.veto, o.review, o.batch_id, o.inspected_at, o.result_json
    FROM results_old o
    WHERE NOT EXISTS (SELECT 1 FROM results_old n
        WHERE n.recording = o.recording AND n.scorecard_id = o.scorecard_id AND n.scorecard_version = o.scorecard_version
            AND (n.inspected_at > o.inspected_at OR (n.inspected_at = o.inspected_at AND n.call_id > o.call_id)));

CREATE TABLE findings (
    recording         TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    seq               INTEGER NOT NULL,
    rule              TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    start_s           DOUBLE PRECISION NOT NULL DEFAULT 0,
    end_s             DOUBLE PRECISION NOT NULL DEFAULT 0,
    speaker           TEXT NOT NULL DEFAULT '',
    evidence          TEXT NOT NULL DEFAULT '',
    deduct            DOUBLE PRECISION NOT NULL DEFAULT 0,
    veto              INTEGER NOT NULL DEFAULT 0,
    review            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (recording, scorecard_id, scorecard_version, seq),
    FOREIGN KEY (recording, scorecard_id, scorecard_version)
        REFERENCES results (recording, scorecard_id, scorecard_version) ON DELETE CASCADE
);

INSERT INTO findings (recording, scorecard_id, scorecard_version, seq, rule, name, start_s, end_s,
        speaker, evidence, deduct, veto, review)
    SELECT r.recording, f.scorecard_id, f.scorecard_version, f.seq, f.rule, f.name, f.start_s, f.end_s,
        f.speaker, f.evidence, f.deduct, f.veto, f.review
    FROM findings_old f JOIN results r ON r.call_id = f.call_id
        AND r.scorecard_id = f.scorecard_id AND r.scorecard_version = f.scorecard_version;

DROP TABLE findings_old;
DROP TABLE results_old;

CREATE INDEX results_by_date ON results (scorecard_id, scorecard_version, call_date);
CREATE INDEX results_by_agent ON results (agent_id);
CREATE INDEX results_by_batch ON results (batch_id);
CREATE INDEX results_by_call ON results (call_id);
CREATE INDEX findings_by_rule ON findings (scorecard_id, scorecard_version, rule);

-- Reviews and verdicts follow the recording too. Each takes the recording
-- of its call's newest result; one whose call has no result (none is
-- expected) keeps its call id as the key, so that no row is lost.
ALTER TABLE reviews RENAME TO reviews_old;
CREATE TABLE reviews (
    recording         TEXT NOT NULL,
    rule              TEXT NOT NULL,
    start_ms          BIGINT NOT NULL,
    call_id           TEXT NOT NULL,
    decision          TEXT NOT NULL,
    comment           TEXT NOT NULL DEFAULT '',
    reviewer          TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL DEFAULT '',
    scorecard_version INTEGER NOT NULL DEFAULT 0,
    reviewed_at       TEXT NOT NULL,
    PRIMARY KEY (recording, rule, start_ms)
);
INSERT INTO reviews (recording, rule, start_ms, call_id, decision, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
    SELECT COALESCE((SELECT r.recording FROM results r WHERE r.call_id = o.call_id
            ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), o.call_id),
        o.rule, o.start_ms, o.call_id, o.decision, o.comment, o.reviewer, o.scorecard_id, o.scorecard_version, o.reviewed_at
    FROM reviews_old o;
DROP TABLE reviews_old;

ALTER TABLE verdicts RENAME TO verdicts_old;
CREATE TABLE verdicts (
    recording         TEXT PRIMARY KEY,
    call_id           TEXT NOT NULL,
    passed            INTEGER NOT NULL,
    comment           TEXT NOT NULL DEFAULT '',
    reviewer          TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL DEFAULT '',
    scorecard_version INTEGER NOT NULL DEFAULT 0,
    reviewed_at       TEXT NOT NULL
);
INSERT INTO verdicts (recording, call_id, passed, comment, reviewer, scorecard_id, scorecard_version, reviewed_at)
    SELECT COALESCE((SELECT r.recording FROM results r WHERE r.call_id = o.call_id
            ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), o.call_id),
        o.call_id, o.passed, o.comment, o.reviewer, o.scorecard_id, o.scorecard_version, o.reviewed_at
    FROM verdicts_old o;
DROP TABLE verdicts_old;

-- The audit trail names the recording beside the call id.
ALTER TABLE audit ADD COLUMN recording TEXT NOT NULL DEFAULT '';
UPDATE audit SET recording = COALESCE((SELECT r.recording FROM results r WHERE r.call_id = audit.call_id
    ORDER BY r.inspected_at DESC, r.scorecard_version DESC LIMIT 1), '') WHERE call_id <> '';
