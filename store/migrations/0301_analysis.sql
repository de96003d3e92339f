-- Which audio analysis measured each result (models.Result.Analysis): a
-- rerun inspects again a call measured by another analysis, and reports
-- note a range whose calls were measured by different ones. Every result
-- stored before this version was measured by the energy gate, version 1.
ALTER TABLE results ADD COLUMN analysis_vad TEXT NOT NULL DEFAULT 'energy';
ALTER TABLE results ADD COLUMN analysis_version INTEGER NOT NULL DEFAULT 1;
