// Package workbench is the data of the review workbench (callqa serve):
// users, sessions and the audit log (users.go), reviewers' decisions on
// findings and final verdicts (review.go), the review queue (queue.go),
// each call's machine and reviewed outcome (outcomes.go) and the reviewed
// pass rates of groups of calls (passrates.go). It reads and writes the
// workbench's tables in the results database that package store opens and
// migrates; what a reviewed verdict is belongs to package outcome, and the
// re-scoring of a call with overturned findings to pipeline/score.
package workbench
