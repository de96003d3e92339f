package models

import "errors"

// ErrBadInput classifies an error caused by what callqa was given rather
// than by a fault on its way: an unreadable or unsupported recording, an
// invalid sidecar, a task naming an unknown source, wrong command-line
// usage. Bad input is reported with its reason and never retried;
// errors.Is(err, ErrBadInput) tells it from a transient fault. Every
// package marks its own bad-input errors this way (decode's FormatError and
// UnsupportedError, transcript's InvalidError, BadInput's wrapper).
var ErrBadInput = errors.New("bad input")

// BadInput marks err as bad input (ErrBadInput), keeping its message and
// its chain for errors.As. It returns nil for nil.
func BadInput(err error) error {
	if err == nil {
		return nil
	}
	return badInput{err}
}

type badInput struct{ err error }

func (b badInput) Error() string        { return b.err.Error() }
func (b badInput) Unwrap() error        { return b.err }
func (b badInput) Is(target error) bool { return target == ErrBadInput }
