// Package worker runs callqa as a fleet: inspection tasks on a Redis-backed
// asynq queue, processed by any number of worker processes that stream
// recordings from a source (an S3 bucket or a shared folder) and write
// results into one results store (PostgreSQL).
//
// Task types (payloads are versioned JSON):
//
//   - call:inspect inspects one recording: exactly pipeline.Engine.InspectKey
//     then store.Store.SaveResult, the code path of the embedded batch. Its
//     TaskID is derived from the recording key and the scorecard version, so
//     an enqueue repeated by a retry, a second scheduler or an operator never
//     inspects a call twice.
//   - batch:plan lists one day's recordings and fans out call:inspect tasks,
//     recording the batch total. Its TaskID is derived from the date and the
//     scorecard version.
//   - batch:nightly is what the cron scheduler enqueues: it works out the
//     date to inspect (yesterday, in the configured time zone) and enqueues
//     that date's batch:plan, deduplicated by its TaskID, so that two
//     schedulers never double the work.
//
// Queues: critical (re-inspections, reviews) before default before bulk
// (the nightly fan-out), by weight.
//
// Errors drive retries: bad input (an unprocessable recording, a malformed
// payload) is stored when it is a call and returned wrapped in
// asynq.SkipRetry; transient faults (storage, database, network) are
// returned as is and retried with exponential backoff.
//
// It is one package of about 2,000 lines, above the house's 1,500, on
// purpose: the task types, their handlers, the planner, the status and
// the metrics share the queue's names, payloads and retry rules, which
// must agree between the processes of a fleet.
package worker
