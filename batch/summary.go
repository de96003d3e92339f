package batch

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/width"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/outcome"
	"github.com/callqa/callqa/store"
)

// Summary sums a run up.
type Summary struct {
	// Batch is the batch record, with its final counts and status.
	Batch store.Batch `json:"batch"`
	// Elapsed is the run's wall time.
	Elapsed time.Duration `json:"elapsed"`
	// AudioSeconds is the audio inspected by this run (skipped calls
	// excluded); Processed counts the calls it inspected or found
	// unprocessable.
	AudioSeconds float64 `json:"audio_seconds"`
	Processed    int     `json:"processed"`
	// TopRules are the rules that flagged the most calls.
	TopRules []RuleHits `json:"top_rules"`
	// WorstAgents are the agents with the lowest pass rate among those
	// with enough inspected calls and at least one failed call.
	WorstAgents []AgentStats `json:"worst_agents"`
	// Unprocessable are the calls this run stored as unprocessable, and
	// Failed those that kept failing with a transient fault (processing
	// errors, not stored; not calls that failed QA), each with its
	// recording key and reason, by key. Every one is here; the text lists
	// the first MaxListed of each, Failed as "errors". The JSON name
	// "failed" is kept for compatibility.
	Unprocessable []CallProblem `json:"unprocessable"`
	Failed        []CallProblem `json:"failed"`
	// Reanalysed counts the calls an earlier run had inspected with another
	// audio analysis, inspected again by this one (per analysis in
	// ReanalysedFrom).
	Reanalysed     int                   `json:"reanalysed"`
	ReanalysedFrom []store.AnalysisCalls `json:"reanalysed_from,omitempty"`
	// Clashes are the call ids of the run's recordings that another
	// recording also carries (this run's or any other): each recording is
	// stored and counted as its own call. The text lists the first
	// MaxListed.
	Clashes []store.Clash `json:"clashes"`
	// ListFlags are added to the `callqa report --list unprocessable`
	// command the text suggests for the calls it does not list (from
	// Config.ListFlags).
	ListFlags string `json:"-"`
}

// MaxListed is how many unprocessable (failed) calls the summary text
// lists; the others are counted, with the command that lists them.
const MaxListed = 10

// CallProblem is a call of the run that could not be inspected.
type CallProblem struct {
	// Key is the recording's key; CallID and Date (YYYY-MM-DD, as
	// stored) are set for unprocessable calls.
	Key    string `json:"recording"`
	CallID string `json:"call_id,omitempty"`
	Date   string `json:"date,omitempty"`
	// Reason is the stored error (unprocessable) or the last fault
	// (failed).
	Reason string `json:"reason"`
}

// RuleHits is how many inspected calls a rule flagged.
type RuleHits struct {
	Rule  string `json:"rule"`
	Name  string `json:"name"`
	Calls int    `json:"calls"`
}

// AgentStats are an agent's figures in the run.
type AgentStats struct {
	AgentID   string `json:"agent_id"`
	Name      string `json:"name"`
	Team      string `json:"team"`
	Inspected int    `json:"inspected"`
	Passed    int    `json:"passed"`
}

// PassRate returns passed/inspected, and false when no call was inspected.
func (a AgentStats) PassRate() (float64, bool) { return outcome.Rate(a.Passed, a.Inspected) }

// PassRate returns the run's pass rate (passed / inspected; unprocessable
// calls are not in the denominator), and false when no call was inspected.
func (s *Summary) PassRate() (float64, bool) { return outcome.Rate(s.Batch.Passed, s.Batch.Inspected) }

// CallsPerSecond is the rate at which this run processed calls.
func (s *Summary) CallsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Processed) / s.Elapsed.Seconds()
}

// FormatRate formats a rate as a percentage with one decimal, or "-" when
// there is none.
func FormatRate(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}

// WriteText writes the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	b := s.Batch
	var sb strings.Builder
	fmt.Fprintf(&sb, "batch %s %s (scorecard %s v%d) in %s\n", b.ID, b.Status, b.Scorecard.ID, b.Scorecard.Version, s.Elapsed.Round(time.Millisecond))
	// Processing faults are "errors", never "failed": a call that failed
	// QA (不合格) is one that was inspected and did not pass.
	fmt.Fprintf(&sb, "calls:          %d listed, %d inspected, %d unprocessable, %d %s", b.Total, b.Inspected, b.Unprocessable,
		b.Failed, plural(b.Failed, "error", "errors"))
	if b.Skipped > 0 {
		fmt.Fprintf(&sb, " (%d from earlier runs)", b.Skipped)
	}
	sb.WriteString("\n")
	fmt.Fprintf(&sb, "passed:         %d, not passed (不合格) %d\n", b.Passed, b.Inspected-b.Passed)
	fmt.Fprintf(&sb, "pass rate:      %s\n", FormatRate(s.PassRate()))
	if s.Processed > 0 {
		fmt.Fprintf(&sb, "speed:          %.1f calls/s, %.1f h of audio\n", s.CallsPerSecond(), s.AudioSeconds/3600)
	}
	if n := s.Reanalysed; n > 0 {
		var from []string
		for _, a := range s.ReanalysedFrom {
			from = append(from, fmt.Sprintf("%d by %s", a.Calls, a.Analysis))
		}
		fmt.Fprintf(&sb, "re-inspected:   %d %s stored with an older audio analysis (%s)\n", n, plural(n, "call", "calls"), strings.Join(from, ", "))
	}
	if n := len(s.Unprocessable); n > 0 {
		fmt.Fprintf(&sb, "unprocessable:  %d %s stored with the reason:\n", n, plural(n, "call", "calls"))
		writeProblems(&sb, s.Unprocessable)
		if n > MaxListed {
			from, to := s.Unprocessable[0].Date, s.Unprocessable[0].Date
			for _, p := range s.Unprocessable {
				from, to = min(from, p.Date), max(to, p.Date)
			}
			cmd := "callqa report --list unprocessable --from " + from + " --to " + to
			if s.ListFlags != "" {
				cmd += " " + s.ListFlags
			}
			fmt.Fprintf(&sb, "  ... and %d more: %s\n", n-MaxListed, cmd)
		}
	}
	if n := len(s.Failed); n > 0 {
		fmt.Fprintf(&sb, "errors:         %d %s hit a transient fault, not stored (run again to retry):\n", n, plural(n, "call", "calls"))
		writeProblems(&sb, s.Failed)
		if n > MaxListed {
			fmt.Fprintf(&sb, "  ... and %d more: see the log (\"call not stored\")\n", n-MaxListed)
		}
	}
	if n := len(s.Clashes); n > 0 {
		fmt.Fprintf(&sb, "call_id clash:  %d call %s carried by more than one recording (each stored and counted as its own call; fix the numbering at the recorder):\n",
			n, plural(n, "id", "ids"))
		for _, c := range s.Clashes[:min(n, MaxListed)] {
			keys := make([]string, len(c.Recordings))
			for i, r := range c.Recordings {
				keys[i] = r.Recording
			}
			fmt.Fprintf(&sb, "  %s  %s\n", c.CallID, strings.Join(keys, ", "))
		}
		if n > MaxListed {
			cmd := "callqa report --list clashes"
			if s.ListFlags != "" {
				cmd += " " + s.ListFlags
			}
			fmt.Fprintf(&sb, "  ... and %d more: %s\n", n-MaxListed, cmd)
		}
	}
	if len(s.TopRules) > 0 {
		sb.WriteString("top rules hit:\n")
		for _, r := range s.TopRules {
			fmt.Fprintf(&sb, "  %s %s %d %s (%s)\n", pad(r.Rule, 20), pad(r.Name, 14), r.Calls, plural(r.Calls, "call", "calls"), FormatRate(outcome.Rate(r.Calls, b.Inspected)))
		}
	}
	if len(s.WorstAgents) > 0 {
		sb.WriteString("worst agents:\n")
		for _, a := range s.WorstAgents {
			fmt.Fprintf(&sb, "  %s %s %s %d/%d passed (%s)\n", pad(a.AgentID, 8), pad(a.Name, 8), pad(a.Team, 12), a.Passed, a.Inspected, FormatRate(a.PassRate()))
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeProblems writes the first MaxListed calls, one line each: the
// recording key and the reason on one line.
func writeProblems(sb *strings.Builder, ps []CallProblem) {
	for _, p := range ps[:min(len(ps), MaxListed)] {
		fmt.Fprintf(sb, "  %s  %s\n", p.Key, strings.Join(strings.Fields(p.Reason), " "))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// tally counts a run's outcomes; safe for concurrent use.
type tally struct {
	mu          sync.Mutex
	total       int
	listingOver bool
	counts      outcome.Counts
	failedN     int
	skipped     int
	processed   int
	audioS      float64
	rules       map[string]*RuleHits
	agents      map[string]*AgentStats
	// unproc and failures are the calls not inspected; date and loc give
	// an unprocessable call's date as the store does (store.CallDate).
	unproc   []CallProblem
	failures []CallProblem
	// reanalysed counts the calls inspected again because another
	// analysis measured them.
	reanalysed map[models.AnalysisRef]int
	date       string
	loc        *time.Location
}

func newTally(date string, loc *time.Location) *tally {
	return &tally{rules: map[string]*RuleHits{}, agents: map[string]*AgentStats{}, date: date, loc: loc}
}

func (t *tally) listed() {
	t.mu.Lock()
	t.total++
	t.mu.Unlock()
}

func (t *tally) listingDone() {
	t.mu.Lock()
	t.listingOver = true
	t.mu.Unlock()
}

// failed counts a call that was not stored: key kept failing with reason.
func (t *tally) failed(key, reason string) {
	t.mu.Lock()
	t.failedN++
	t.failures = append(t.failures, CallProblem{Key: key, Reason: reason})
	t.mu.Unlock()
}

// add counts a result this run stored.
func (t *tally) add(r *models.Result) {
	c := store.StoredCall{CallID: r.CallID, Status: r.Status, Passed: r.Passed,
		AgentID: r.Meta.AgentID, AgentName: r.Meta.AgentName, Team: r.Meta.Team}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			c.Rules = append(c.Rules, store.StoredRule{Rule: f.Rule, Name: f.Name})
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.processed++
	if r.Audio != nil {
		t.audioS += r.Audio.DurationS
	}
	if r.Status != models.StatusInspected {
		date := store.CallDate(r, t.date, t.loc)
		if date == "" { // as SaveResult: the day it was stored
			date = time.Now().In(t.loc).Format(time.DateOnly)
		}
		t.unproc = append(t.unproc, CallProblem{Key: r.Recording, CallID: r.CallID, Date: date, Reason: r.Error})
	}
	t.count(&c)
}

// reanalyse counts a call stored with analysis an, inspected again.
func (t *tally) reanalyse(an models.AnalysisRef) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reanalysed == nil {
		t.reanalysed = map[models.AnalysisRef]int{}
	}
	t.reanalysed[an]++
}

// addStored counts a call an earlier run inspected, skipped by this one.
func (t *tally) addStored(c *store.StoredCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.skipped++
	t.count(c)
}

// count adds a call's outcome to the figures; t.mu is held. Rules are
// those its findings flagged, once each.
func (t *tally) count(c *store.StoredCall) {
	t.counts.Add(c.Status, c.Passed, 1)
	if c.Status != models.StatusInspected {
		return
	}
	for _, rl := range c.Rules {
		h := t.rules[rl.Rule]
		if h == nil {
			h = &RuleHits{Rule: rl.Rule, Name: rl.Name}
			t.rules[rl.Rule] = h
		}
		h.Calls++
	}
	if id := c.AgentID; id != "" {
		a := t.agents[id]
		if a == nil {
			a = &AgentStats{AgentID: id}
			t.agents[id] = a
		}
		if c.AgentName != "" {
			a.Name = c.AgentName
		}
		if c.Team != "" {
			a.Team = c.Team
		}
		a.Inspected++
		if c.Passed {
			a.Passed++
		}
	}
}

// progress is a snapshot for the progress display.
type progress struct {
	total, done, processed int
	listingOver            bool
}

func (t *tally) progress() progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return progress{
		total:       t.total,
		done:        t.counts.Results() + t.failedN,
		processed:   t.processed + t.failedN,
		listingOver: t.listingOver,
	}
}

// fill copies the counts into b.
func (t *tally) fill(b *store.Batch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b.Total, b.Inspected, b.Unprocessable, b.Passed, b.Failed, b.Skipped = t.total, t.counts.Inspected, t.counts.Unprocessable, t.counts.Passed, t.failedN, t.skipped
}

func (t *tally) summary(cfg Config, b store.Batch, elapsed time.Duration) *Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &Summary{Batch: b, Elapsed: elapsed, AudioSeconds: t.audioS, Processed: t.processed,
		TopRules: []RuleHits{}, WorstAgents: []AgentStats{}, ListFlags: cfg.ListFlags,
		Unprocessable: sortedProblems(t.unproc), Failed: sortedProblems(t.failures)}
	for an, n := range t.reanalysed {
		s.Reanalysed += n
		s.ReanalysedFrom = append(s.ReanalysedFrom, store.AnalysisCalls{Analysis: an, Calls: n})
	}
	sort.Slice(s.ReanalysedFrom, func(i, j int) bool {
		a, b := s.ReanalysedFrom[i], s.ReanalysedFrom[j]
		if a.Calls != b.Calls {
			return a.Calls > b.Calls
		}
		return a.Analysis.String() < b.Analysis.String()
	})
	for _, k := range sortedKeys(t.rules) {
		s.TopRules = append(s.TopRules, *t.rules[k])
	}
	sort.SliceStable(s.TopRules, func(i, j int) bool { return s.TopRules[i].Calls > s.TopRules[j].Calls })
	if len(s.TopRules) > cfg.TopRules {
		s.TopRules = s.TopRules[:cfg.TopRules]
	}
	for _, k := range sortedKeys(t.agents) {
		if a := t.agents[k]; a.Inspected >= cfg.MinAgentCalls && a.Passed < a.Inspected {
			s.WorstAgents = append(s.WorstAgents, *a)
		}
	}
	// Lowest pass rate first (compared exactly as passed_i*n_j < passed_j*n_i);
	// among equals, the agent with more calls first.
	sort.SliceStable(s.WorstAgents, func(i, j int) bool {
		a, b := s.WorstAgents[i], s.WorstAgents[j]
		l, r := a.Passed*b.Inspected, b.Passed*a.Inspected
		if l != r {
			return l < r
		}
		return a.Inspected > b.Inspected
	})
	if len(s.WorstAgents) > cfg.WorstAgents {
		s.WorstAgents = s.WorstAgents[:cfg.WorstAgents]
	}
	return s
}

// sortedProblems returns a sorted copy of ps (by key, then call id).
func sortedProblems(ps []CallProblem) []CallProblem {
	out := append([]CallProblem{}, ps...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].CallID < out[j].CallID
	})
	return out
}

// pad left-aligns s in n terminal columns, Chinese characters counting two.
func pad(s string, n int) string {
	w := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	if w >= n {
		return s
	}
	return s + strings.Repeat(" ", n-w)
}
