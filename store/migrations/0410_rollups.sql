-- Per-day aggregates of the results, so that reports, the evaluation
-- indicators and the dashboard read a few hundred rows per day instead of
-- every result (a year of a large hotline is about 11 million results).
-- They are maintained in the transaction of every change that moves a
-- figure (a result saved or re-inspected, a review, a verdict) and rebuilt
-- from the rows by this migration and by `callqa rollup rebuild`; see
-- store/rollup.go for the one definition of each measure.
--
-- rollups: one row per day, scorecard version, audio analysis and group,
-- where the group is one dimension at a time: dim 'all' (grp ''), 'team',
-- 'agent' (grp the agent id, name its name: an agent renamed mid-year has
-- a row per name) or 'queue'. One dimension per row rather than the cross
-- product team x agent x queue: reports and the dashboard group by one of
-- them, and the cross product would be ~2,400 rows a day instead of ~420.
CREATE TABLE rollups (
    scorecard_id        TEXT NOT NULL,
    scorecard_version   INTEGER NOT NULL,
    dim                 TEXT NOT NULL,
    call_date           TEXT NOT NULL,
    grp                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    analysis_vad        TEXT NOT NULL,
    analysis_version    INTEGER NOT NULL,
    results             BIGINT NOT NULL,
    inspected           BIGINT NOT NULL,
    passed              BIGINT NOT NULL,
    unprocessable       BIGINT NOT NULL,
    score_sum           DOUBLE PRECISION NOT NULL,
    verdicts            BIGINT NOT NULL,
    reviewed_base       BIGINT NOT NULL,
    answered            BIGINT NOT NULL,
    answered_s          DOUBLE PRECISION NOT NULL,
    agent_talk_s        DOUBLE PRECISION NOT NULL,
    surveyed            BIGINT NOT NULL,
    satisfied           BIGINT NOT NULL,
    basic               BIGINT NOT NULL,
    dissatisfied        BIGINT NOT NULL,
    complaint_flagged   BIGINT NOT NULL,
    complaint_confirmed BIGINT NOT NULL,
    complaint_pending   BIGINT NOT NULL,
    PRIMARY KEY (scorecard_id, scorecard_version, dim, call_date, grp, name, analysis_vad, analysis_version)
);

-- rule_rollups: per day, scorecard version, analysis and rule, the
-- inspected calls the rule flagged, its hits, their deductions, the calls
-- it vetoed, and the reviews of its findings and how many overturned them
-- (which rules produce false positives).
CREATE TABLE rule_rollups (
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    call_date         TEXT NOT NULL,
    rule              TEXT NOT NULL,
    analysis_vad      TEXT NOT NULL,
    analysis_version  INTEGER NOT NULL,
    name              TEXT NOT NULL,
    calls             BIGINT NOT NULL,
    hits              BIGINT NOT NULL,
    deduct            DOUBLE PRECISION NOT NULL,
    vetoes            BIGINT NOT NULL,
    reviewed          BIGINT NOT NULL,
    overturned        BIGINT NOT NULL,
    PRIMARY KEY (scorecard_id, scorecard_version, call_date, rule, analysis_vad, analysis_version)
);

-- version_rollups: per day, how many recordings have results under
-- exactly the scorecard versions listed (versions: '|id:version|...|',
-- sorted), a recording dated by its latest result. Reports read it to say
-- how many calls of their range have results only under other versions.
CREATE TABLE version_rollups (
    call_date  TEXT NOT NULL,
    versions   TEXT NOT NULL,
    recordings BIGINT NOT NULL,
    PRIMARY KEY (call_date, versions)
);

-- The listings and the review queue stay on the rows: the queue of a day
-- reads a day's results of one scorecard version.
CREATE INDEX reviews_overturned ON reviews (decision, recording);

-- scorecard_usage: when each scorecard version was last used (the
-- workbench and reports default to the most recent), per call day so that
-- saves of different days never wait for one another's row lock; its
-- result counts come from rollups.
CREATE TABLE scorecard_usage (
    scorecard_id      TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    call_date         TEXT NOT NULL,
    last_inspected    TEXT NOT NULL,
    PRIMARY KEY (scorecard_id, scorecard_version, call_date)
);
