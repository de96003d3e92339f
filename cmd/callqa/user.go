package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

const userSynopsis = `user add NAME --role admin|reviewer|viewer [--password-stdin] [--db URL]
       callqa user list [--db URL]
       callqa user disable NAME [--db URL]
       callqa user enable NAME [--db URL]
       callqa user passwd NAME [--password-stdin] [--db URL]`

// cliActor is the audit trail's user for changes made on the command line.
const cliActor = "cli"

// cmdUser manages workbench users:
//
//   - "user add NAME --role R" creates one;
//   - "user list" lists them with their role and status;
//   - "user disable NAME" refuses the user's logins and ends their sessions
//     at once, "user enable NAME" lets them in again;
//   - "user passwd NAME" sets a new password and ends the user's sessions.
//
// add and passwd read the password from the first line of stdin
// (--password-stdin) or generate one and print it once. Every change is
// written to the audit trail.
func cmdUser(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(e.stdout, "usage: callqa %s\n", userSynopsis)
		return nil
	}
	if len(args) == 0 {
		return badInput(fmt.Errorf("usage: callqa %s", userSynopsis))
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "list", "disable", "enable", "passwd":
	default:
		return badInput(fmt.Errorf("user %q: unknown subcommand\nusage: callqa %s", sub, userSynopsis))
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	var role *string
	if sub == "add" {
		role = fs.String("role", "", "admin (users, everything), reviewer (review calls) or viewer (dashboard and reports only)")
	}
	var fromStdin *bool
	if sub == "add" || sub == "passwd" {
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	}
	db := fs.String("db", envOr(e, "CALLQA_DATABASE_URL", "callqa.db"), "results database: a SQLite file or postgres://... (env CALLQA_DATABASE_URL)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, userSynopsis)
	}
	if err != nil {
		return err
	}
	var name string
	if sub == "list" {
		if len(pos) != 0 {
			return usageError(fs, userSynopsis, "user list takes no arguments")
		}
	} else {
		if len(pos) != 1 {
			return usageError(fs, userSynopsis, "user "+sub+" takes one NAME")
		}
		name = pos[0]
		if err := workbench.ValidateUserName(name); err != nil {
			return badInput(err)
		}
	}
	if role != nil && !workbench.ValidRole(*role) {
		return usageError(fs, userSynopsis, fmt.Sprintf("--role %q: want admin, reviewer or viewer", *role))
	}
	var pw string
	generated := false
	if fromStdin != nil {
		if pw, err = readPassword(e, *fromStdin); err != nil {
			return err
		}
		generated = !*fromStdin
	}

	st, err := store.Open(ctx, *db, store.Options{Logger: e.logger})
	if err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	defer st.Close()
	wb, err := workbench.New(st, workbench.Config{})
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		return userAdd(ctx, e, wb, name, *role, pw, generated)
	case "list":
		return userList(ctx, e, wb)
	case "disable", "enable":
		err := wb.SetUserDisabled(ctx, name, sub == "disable", cliActor, "")
		if errors.Is(err, workbench.ErrNoUser) {
			return badInput(err)
		}
		if err != nil {
			return err
		}
		if sub == "disable" {
			fmt.Fprintf(e.stdout, "disabled user %s (logged out everywhere)\n", name)
		} else {
			fmt.Fprintf(e.stdout, "enabled user %s\n", name)
		}
		return nil
	default: // passwd
		err := wb.SetPassword(ctx, name, pw, cliActor, "")
		if errors.Is(err, workbench.ErrNoUser) {
			return badInput(err)
		}
		if err != nil {
			return err
		}
		if generated {
			fmt.Fprintf(e.stdout, "new password of %s: %s\n(shown once; the user is logged out everywhere)\n", name, pw)
		} else {
			fmt.Fprintf(e.stdout, "changed the password of %s (logged out everywhere)\n", name)
		}
		return nil
	}
}

// readPassword reads the password from the first line of stdin, checked
// against the password rules, or generates one.
func readPassword(e *env, fromStdin bool) (string, error) {
	if !fromStdin {
		return generatePassword(), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len([]rune(pw)) < workbench.MinPasswordLen || len(pw) > 72 {
		return "", badInput(fmt.Errorf("password: want %d to 72 characters", workbench.MinPasswordLen))
	}
	return pw, nil
}

func userAdd(ctx context.Context, e *env, wb *workbench.Workbench, name, role, pw string, generated bool) error {
	u, err := wb.AddUser(ctx, name, role, pw)
	if errors.Is(err, workbench.ErrUserExists) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	if err := wb.Audit(ctx, workbench.AuditEntry{User: "callqa user add", Action: workbench.AuditUserAdd, Detail: u.Name + " " + u.Role}); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(e.stdout, "created user %s (role %s) with password %s\n(shown once)\n", u.Name, u.Role, pw)
	} else {
		fmt.Fprintf(e.stdout, "created user %s (role %s)\n", u.Name, u.Role)
	}
	return nil
}

// userList prints the users, one a line: name, role, status, creation
// time (UTC).
func userList(ctx context.Context, e *env, wb *workbench.Workbench) error {
	users, err := wb.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return tw.Flush()
}
