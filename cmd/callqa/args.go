package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseFlags parses args with fs, allowing flags after positional arguments
// (callqa inspect call.wav --json), and returns the positional arguments.
// It adds the log flags every command takes (registerLogFlags).
// The defaults that --help and usage errors show are masked first (see
// maskFlagDefaults).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	registerLogFlags(fs)
	maskFlagDefaults(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, badInput(fmt.Errorf("%s: %w", fs.Name(), err))
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports wrong usage of a command with its flags.
func usageError(fs *flag.FlagSet, synopsis, problem string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nusage: callqa %s\n", problem, synopsis)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return badInput(fmt.Errorf("%s", strings.TrimRight(b.String(), "\n")))
}

// printHelp prints a command's usage to stdout for -h.
func printHelp(e *env, fs *flag.FlagSet, synopsis string) error {
	fmt.Fprintf(e.stdout, "usage: callqa %s\n", synopsis)
	fs.SetOutput(e.stdout)
	fs.PrintDefaults()
	return nil
}

// plural picks the singular or plural form of a count's noun ("1 call",
// "2 calls").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
