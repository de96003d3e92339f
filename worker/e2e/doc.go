// Package e2e tests the worker fleet end to end: real callqa worker
// processes on Redis, recordings in an S3 server (versitygw), results in
// PostgreSQL, compared with the embedded batch run on the same files. It
// has no code of its own.
package e2e
