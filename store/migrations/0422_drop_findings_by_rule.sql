-- findings_by_rule (scorecard, rule) served the rule reports, which read
-- rule_rollups since 0410. Left in place it misled SQLite, which keeps no
-- statistics unless told to: to recount one call's rules it searched the
-- findings of the whole scorecard by this index instead of the call's by
-- primary key, a save costing more as the table grew. Every remaining
-- query on findings reaches them by recording.
DROP INDEX IF EXISTS findings_by_rule;
