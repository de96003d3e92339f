package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/rules"
	"github.com/callqa/callqa/scorecards"
)

const scorecardSynopsis = "scorecard check [FILE]   (no FILE: the built-in scorecard)"

func cmdScorecard(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("scorecard", flag.ContinueOnError)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(e, fs, scorecardSynopsis)
	}
	if err != nil {
		return err
	}
	if len(pos) < 1 || pos[0] != "check" || len(pos) > 2 {
		return usageError(fs, scorecardSynopsis, "scorecard: expected 'check FILE'")
	}
	path := ""
	if len(pos) == 2 {
		path = pos[1]
	}
	sc, err := scorecards.Load(path)
	if err != nil {
		return badInput(err)
	}
	if path == "" {
		path = scorecards.DefaultName + " (built in)"
	}
	fmt.Fprintf(e.stdout, "%s: ok\n%s  %s v%d  base %g  pass %g  %d rules\n\n", path, sc.Name, sc.ID, sc.Version, sc.BaseScore, sc.PassScore, len(sc.Rules))
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tSPEAKER\tCHECK\tDEDUCT")
	for _, r := range sc.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Type, dash(r.Speaker), describeRule(r), describeDeduct(r))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func describeDeduct(r models.Rule) string {
	s := fmt.Sprintf("%g", r.Deduct)
	if r.MaxDeduct > r.Deduct {
		s += fmt.Sprintf(" (max %g)", r.MaxDeduct)
	}
	if r.Veto {
		s += " veto"
	}
	if r.Review {
		s += " review"
	}
	if r.Indicator != "" {
		s += " indicator:" + r.Indicator
	}
	return s
}

// describeRule says in a few words what a rule checks.
func describeRule(r models.Rule) string {
	var parts []string
	switch r.Type {
	case models.RuleKeyword, models.RuleRegex:
		expect := rules.EffectiveExpect(r)
		switch {
		case r.Pattern != "":
			parts = append(parts, "/"+r.Pattern+"/")
		case len(r.All) > 0:
			parts = append(parts, "all of "+strings.Join(r.All, "|"))
		default:
			parts = append(parts, "any of "+strings.Join(r.Any, "|"))
		}
		parts = append(parts, expect)
		if r.Within != nil && r.Within.FirstSeconds > 0 {
			parts = append(parts, fmt.Sprintf("in first %gs", r.Within.FirstSeconds))
		}
		if r.Within != nil && r.Within.LastSeconds > 0 {
			parts = append(parts, fmt.Sprintf("in last %gs", r.Within.LastSeconds))
		}
		if r.Fuzzy != "" {
			parts = append(parts, "fuzzy "+r.Fuzzy)
		}
		if len(r.NotAfter) > 0 {
			s := "not after " + strings.Join(r.NotAfter, "|")
			if r.NotAfterWithinChars != nil {
				s += fmt.Sprintf(" (within %d chars)", *r.NotAfterWithinChars)
			}
			parts = append(parts, s)
		}
		if len(r.Except) > 0 {
			s := "except " + strings.Join(r.Except, "|")
			if r.ExceptWithinChars != nil {
				s += fmt.Sprintf(" (within %d chars)", *r.ExceptWithinChars)
			} else {
				s += " (same clause)"
			}
			parts = append(parts, s)
		}
		if n := r.Near; n != nil {
			within := 0
			if n.WithinChars != nil {
				within = *n.WithinChars
			}
			parts = append(parts, fmt.Sprintf("near %s within %d chars", strings.Join(n.Phrases, "|"), within))
		}
	case models.RuleSilence, models.RuleOvertalk:
		parts = append(parts, fmt.Sprintf(">= %gs", r.MinSeconds))
	case models.RuleSpeechRate:
		if r.MinCPM > 0 {
			parts = append(parts, fmt.Sprintf("< %g cpm", r.MinCPM))
		}
		if r.MaxCPM > 0 {
			parts = append(parts, fmt.Sprintf("> %g cpm", r.MaxCPM))
		}
	case models.RuleDuration:
		if r.ShorterThan > 0 {
			parts = append(parts, fmt.Sprintf("< %gs", r.ShorterThan))
		}
		if r.LongerThan > 0 {
			parts = append(parts, fmt.Sprintf("> %gs", r.LongerThan))
		}
	case models.RuleHold:
		if r.MaxSeconds > 0 {
			parts = append(parts, fmt.Sprintf("one > %gs", r.MaxSeconds))
		}
		if r.MaxTotalSeconds > 0 {
			parts = append(parts, fmt.Sprintf("all > %gs", r.MaxTotalSeconds))
		}
		if len(r.Announce) > 0 {
			within := r.AnnounceWithinSeconds
			if within == 0 {
				within = 30
			}
			parts = append(parts, fmt.Sprintf("announced (%s) in the %gs before", strings.Join(r.Announce, "|"), within))
		}
	case models.RuleLevel:
		if r.MinRMSDBFS != nil {
			parts = append(parts, fmt.Sprintf("RMS < %g dBFS", *r.MinRMSDBFS))
		}
		if r.MaxRMSDBFS != nil {
			parts = append(parts, fmt.Sprintf("RMS > %g dBFS", *r.MaxRMSDBFS))
		}
		if r.MaxClipping != nil {
			parts = append(parts, fmt.Sprintf("clipping > %g", *r.MaxClipping))
		}
	}
	return strings.Join(parts, ", ")
}
