-- What the evaluation indicators beside the pass rate need of each result
-- (report.Indicators), as columns so that reports count them in SQL:
--
--   answered      0 when the meta says "answered": false (an abandoned or
--                 unanswered call): not among the calls answered
--   satisfaction  the post-call survey answer: satisfied, basic,
--                 dissatisfied, or '' (not surveyed)
--   agent_talk_s  the agent's talk time (metrics.agent.talk_s; 0 on a mono
--                 recording, which has no agent channel)
--   complaint     1 when a finding of a complaint rule (indicator:
--                 complaint in the scorecard) flagged the call
--
-- and, per finding, the indicator its rule feeds.
--
-- Backfill: the agent's talk time is read from result_json. Survey answers
-- and answered flags cannot be: the meta reader before this version dropped
-- fields it did not know, so no stored result carries them; re-inspect the
-- calls (callqa run --force) to read them from their sidecars. The
-- complaint findings of results stored before scorecards declared them are
-- those of the built-in card's complaint_risk rule (hotline-12333, every
-- version: the rule it declares indicator: complaint); results of other
-- scorecards get theirs when re-inspected.
--
-- SQLite: json_extract; 0310_indicators.postgres.sql does the same with
-- PostgreSQL's JSON operators.

ALTER TABLE results ADD COLUMN answered INTEGER NOT NULL DEFAULT 1;
ALTER TABLE results ADD COLUMN satisfaction TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN agent_talk_s DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN complaint INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN indicator TEXT NOT NULL DEFAULT '';

UPDATE results SET agent_talk_s = json_extract(result_json, '$.metrics.agent.talk_s')
    WHERE json_valid(result_json)
        AND json_type(result_json, '$.metrics.agent.talk_s') IN ('integer', 'real');

UPDATE findings SET indicator = 'complaint' WHERE scorecard_id = 'hotline-12333' AND rule = 'complaint_risk';
UPDATE results SET complaint = 1 WHERE EXISTS (SELECT 1 FROM findings f WHERE f.recording = results.recording
    AND f.scorecard_id = results.scorecard_id AND f.scorecard_version = results.scorecard_version AND f.indicator = 'complaint');
