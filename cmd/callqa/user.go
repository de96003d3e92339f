package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/callqa/callqa/storage"
)

const userSynopsis = "user add NAME --role admin|reviewer|viewer [--password-stdin] [--db URL]"

// cmdUser manages workbench users: "user add NAME --role R" creates one,
// with the password read from the first line of stdin (--password-stdin)
// or generated and printed once.
func cmdUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(e.stdout, "usage: callqa %s\n", userSynopsis)
			return nil
		}
		return badInput(fmt.Errorf("usage: callqa %s", userSynopsis))
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "admin (users, everything), reviewer (review calls) or viewer (dashboard and reports only)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	pos, err := parseFlags(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, userSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, userSynopsis, "user add takes one NAME")
	}
	name := pos[0]
	if err := storage.ValidateUserName(name); err != nil {
		return badInput(err)
	}
	if !storage.ValidRole(*role) {
		return usageError(fs, userSynopsis, fmt.Sprintf("--role %q: want admin, reviewer or viewer", *role))
	}
	var pw string
	generated := !*fromStdin
	if *fromStdin {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if len([]rune(pw)) < storage.MinPasswordLen || len(pw) > 72 {
			return badInput(fmt.Errorf("password: want %d to 72 characters", storage.MinPasswordLen))
		}
	} else {
		pw = generatePassword()
	}
	st, err := storage.OpenStore(ctx, *db, e.logger)
	if err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	defer st.Close()
	wb, err := storage.NewWorkbench(st, storage.WorkbenchConfig{})
	if err != nil {
		return err
	}
	u, err := wb.AddUser(ctx, name, *role, pw)
	if errors.Is(err, storage.ErrUserExists) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	if err := wb.Audit(ctx, storage.AuditEntry{User: "callqa user add", Action: storage.AuditUserAdd, Detail: u.Name + " " + u.Role}); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(e.stdout, "created user %s (role %s) with password %s\n(shown once)\n", u.Name, u.Role, pw)
	} else {
		fmt.Fprintf(e.stdout, "created user %s (role %s)\n", u.Name, u.Role)
	}
	return nil
}
