package decode

import (
	"errors"
	"fmt"
)

// FormatError reports that the input is not a valid WAV stream: not RIFF,
// a truncated header, a missing fmt or data chunk, impossible field values.
type FormatError struct {
	// Reason is a one-line description of the problem.
	Reason string
}

// Error implements error.
func (e *FormatError) Error() string { return "invalid WAV: " + e.Reason }

// UnsupportedError reports a valid WAV stream using a variant this package
// does not decode, such as an ADPCM codec.
type UnsupportedError struct {
	// Feature names what is unsupported, e.g. "codec 0x0011 (IMA ADPCM)".
	Feature string
}

// Error implements error.
func (e *UnsupportedError) Error() string { return "unsupported " + e.Feature }

// TruncatedError reports a data chunk that ended before its declared size.
// It is not fatal: every whole frame present has been decoded.
type TruncatedError struct {
	// Got is the number of data bytes present, Want the declared size.
	Got, Want int64
}

// Error implements error.
func (e *TruncatedError) Error() string {
	return fmt.Sprintf("truncated data chunk: %d of %d bytes", e.Got, e.Want)
}

// IsBadInput reports whether err (or an error it wraps) says the input
// itself is unusable: a *FormatError or an *UnsupportedError. Such input
// should be recorded with its reason, never retried.
func IsBadInput(err error) bool {
	var fe *FormatError
	var ue *UnsupportedError
	return errors.As(err, &fe) || errors.As(err, &ue)
}

func formatErrorf(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}
