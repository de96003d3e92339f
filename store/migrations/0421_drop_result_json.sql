-- The whole-result JSON of each row, replaced by doc in 0420.
ALTER TABLE results DROP COLUMN result_json;
