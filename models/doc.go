// Package models is callqa's shared vocabulary: a call's metadata, its
// transcript, the scorecard it is checked against, the findings and the
// inspection result. The JSON shapes here are the contract that sidecar
// files, the CLI, the results stores and the web workbench rely on: extend
// them, never rename a field.
package models
