-- The worker fleet looks results up by recording key: a call:inspect task
-- knows the key, not the call id (which the meta sidecar may override).
CREATE INDEX results_by_recording ON results (recording, scorecard_id, scorecard_version);
