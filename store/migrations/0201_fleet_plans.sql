-- A fleet batch is planned once its batch:plan task has listed every
-- recording of the day. The batch row's total is updated while the listing
-- runs (every 1000 keys, for progress), so on its own it cannot tell a
-- finished listing from one that failed half way; this row can. The plan
-- handler deletes it when a listing starts and writes it, with the total,
-- in the same transaction as the batch row's final total.
CREATE TABLE fleet_plans (
    batch_id   TEXT PRIMARY KEY,
    total      INTEGER NOT NULL,
    planned_at TEXT NOT NULL
);

-- Fleet batches already finished before this table existed were complete.
INSERT INTO fleet_plans (batch_id, total, planned_at)
    SELECT id, total, finished_at FROM batches WHERE id LIKE 'fleet-%' AND status = 'finished';
