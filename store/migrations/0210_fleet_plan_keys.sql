-- The recordings of each fleet batch: every key its plans listed, and the
-- keys `callqa enqueue --key` added to it (a recording uploaded after the
-- plan). A batch's total is their number and its progress the number of
-- them with a result, so that a late recording counts in its day's batch
-- and a result outside the batch never hides a missing one. Batches
-- planned before this table have no rows here; their total stays the
-- batches row's.
CREATE TABLE fleet_plan_keys (
    batch_id  TEXT NOT NULL,
    recording TEXT NOT NULL,
    PRIMARY KEY (batch_id, recording)
);
