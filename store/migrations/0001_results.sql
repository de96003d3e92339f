-- Results of inspections, their findings and the batch runs that made them.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are TEXT in
-- RFC 3339 (UTC for inspected_at and batch times, the call's own zone for
-- started_at); dates are TEXT YYYY-MM-DD; booleans are INTEGER 0/1.

CREATE TABLE batches (
    id                TEXT PRIMARY KEY,
    source            TEXT NOT NULL,
    prefix            TEXT NOT NULL DEFAULT '',
    date              TEXT NOT NULL DEFAULT '',
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL DEFAULT '',
    total             INTEGER NOT NULL DEFAULT 0,
    inspected         INTEGER NOT NULL DEFAULT 0,
    unprocessable     INTEGER NOT NULL DEFAULT 0,
    passed            INTEGER NOT NULL DEFAULT 0,
    failed            INTEGER NOT NULL DEFAULT 0,
    skipped           INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL
);

CREATE TABLE results (
    call_id           TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    recording         TEXT NOT NULL,
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
    PRIMARY KEY (call_id, scorecard_id, scorecard_version)
);

CREATE INDEX results_by_date ON results (scorecard_id, scorecard_version, call_date);
CREATE INDEX results_by_agent ON results (agent_id);
CREATE INDEX results_by_batch ON results (batch_id);

CREATE TABLE findings (
    call_id           TEXT NOT NULL,
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
    PRIMARY KEY (call_id, scorecard_id, scorecard_version, seq),
    FOREIGN KEY (call_id, scorecard_id, scorecard_version)
        REFERENCES results (call_id, scorecard_id, scorecard_version) ON DELETE CASCADE
);

CREATE INDEX findings_by_rule ON findings (scorecard_id, scorecard_version, rule);
