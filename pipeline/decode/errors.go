package decode

import (
	"fmt"

	"github.com/callqa/callqa/models"
)

// FormatError reports that the input is not a valid WAV stream: not RIFF,
// a truncated header, a missing fmt or data chunk, impossible field values.
type FormatError struct {
	// Reason is a one-line description of the problem.
	Reason string
}

// Error implements error.
func (e *FormatError) Error() string { return "invalid WAV: " + e.Reason }

// Is makes an invalid stream bad input: errors.Is(err, models.ErrBadInput).
func (e *FormatError) Is(target error) bool { return target == models.ErrBadInput }

// UnsupportedError reports a valid WAV stream using a variant this package
// does not decode, such as an ADPCM codec.
type UnsupportedError struct {
	// Feature names what is unsupported, e.g. "codec 0x0011 (IMA ADPCM)".
	Feature string
}

// Error implements error.
func (e *UnsupportedError) Error() string { return "unsupported " + e.Feature }

// Is makes an unsupported variant bad input: errors.Is(err,
// models.ErrBadInput).
func (e *UnsupportedError) Is(target error) bool { return target == models.ErrBadInput }

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

func formatErrorf(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}
