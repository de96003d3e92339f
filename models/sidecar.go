package models

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// Sidecar suffixes, appended to the recording's key without its extension:
// recordings/2026/11/25/C1.wav has C1.transcript.json and C1.meta.json.
const (
	SuffixMeta       = ".meta.json"
	SuffixTranscript = ".transcript.json"
	// Per-channel OpenAI verbose_json transcripts.
	SuffixAgentVerbose    = ".agent.verbose.json"
	SuffixCustomerVerbose = ".customer.verbose.json"
)

// SidecarKey returns the key of a recording's sidecar: the recording's key
// without its extension, plus suffix.
func SidecarKey(key, suffix string) string {
	return strings.TrimSuffix(key, path.Ext(key)) + suffix
}

// MaxMetaBytes bounds a metadata sidecar; real ones are a few hundred
// bytes.
const MaxMetaBytes = 1 << 20

// ReadMeta decodes the metadata sidecar of the recording key from r
// (DecodeCallMeta). A sidecar that is too large or not a CallMeta is bad
// input (ErrBadInput) naming the sidecar; a survey value that is not one
// comes back as a warning naming it; a failing reader is returned wrapped
// as it is.
func ReadMeta(r io.Reader, key string) (CallMeta, []string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMetaBytes+1))
	if err != nil {
		return CallMeta{}, nil, fmt.Errorf("read meta sidecar: %w", err)
	}
	name := SidecarKey(key, SuffixMeta)
	if len(data) > MaxMetaBytes {
		return CallMeta{}, nil, BadInput(fmt.Errorf("meta sidecar %s: larger than %d bytes", name, MaxMetaBytes))
	}
	meta, warnings, err := DecodeCallMeta(data)
	if err != nil {
		return CallMeta{}, nil, BadInput(fmt.Errorf("meta sidecar %s: %v", name, err))
	}
	for i, w := range warnings {
		warnings[i] = "meta sidecar " + name + ": " + w
	}
	return meta, warnings, nil
}
