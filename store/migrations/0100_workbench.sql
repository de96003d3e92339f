-- The review workbench: users, their sessions, reviews of findings, final
-- verdicts per call and the audit trail. Portable SQL like 0001: times are
-- TEXT in RFC 3339 UTC, booleans INTEGER 0/1, no autoincrement.

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

-- Sessions are keyed by the SHA-256 of the cookie token: a copy of the
-- database does not hand out live sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX sessions_by_user ON sessions (user_name);

-- A review of one finding, keyed by the call, the rule and the finding's
-- start in milliseconds, not by scorecard version: a re-inspection with a
-- new scorecard version still shows it.
CREATE TABLE reviews (
    call_id           TEXT NOT NULL,
    rule              TEXT NOT NULL,
    start_ms          BIGINT NOT NULL,
    decision          TEXT NOT NULL,
    comment           TEXT NOT NULL DEFAULT '',
    reviewer          TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL DEFAULT '',
    scorecard_version INTEGER NOT NULL DEFAULT 0,
    reviewed_at       TEXT NOT NULL,
    PRIMARY KEY (call_id, rule, start_ms)
);

-- The reviewer's final verdict on a call.
CREATE TABLE verdicts (
    call_id           TEXT PRIMARY KEY,
    passed            INTEGER NOT NULL,
    comment           TEXT NOT NULL DEFAULT '',
    reviewer          TEXT NOT NULL,
    scorecard_id      TEXT NOT NULL DEFAULT '',
    scorecard_version INTEGER NOT NULL DEFAULT 0,
    reviewed_at       TEXT NOT NULL
);

-- Who did what and when: logins, reviews, verdicts, audio playback, user
-- creation. Rows are only ever inserted.
CREATE TABLE audit (
    id        TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action    TEXT NOT NULL,
    call_id   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    remote    TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_call ON audit (call_id);
