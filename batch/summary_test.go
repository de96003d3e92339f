package batch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
)

// problems returns n unprocessable calls X00.. on the given dates in turn.
func problems(n int, dates ...string) []CallProblem {
	var ps []CallProblem
	for i := range n {
		d := dates[i%len(dates)]
		ps = append(ps, CallProblem{Key: strings.ReplaceAll(d, "-", "/") + fmt.Sprintf("/X%02d.wav", i), CallID: fmt.Sprintf("X%02d", i),
			Date: d, Reason: "decode: not a RIFF file"})
	}
	return ps
}

// TestSummaryText checks the sections of the summary that name the calls
// not inspected: at most MaxListed lines each, then how many more and
// where to see them.
func TestSummaryText(t *testing.T) {
	t.Parallel()
	batch := func(total, inspected, unproc, passed, failed int) store.Batch {
		return store.Batch{ID: "b1", Status: store.BatchFinished, Scorecard: models.ScorecardRef{ID: "hotline-12333", Version: 1},
			Total: total, Inspected: inspected, Unprocessable: unproc, Passed: passed, Failed: failed}
	}
	failed := func(n int) []CallProblem {
		var ps []CallProblem
		for i := range n {
			ps = append(ps, CallProblem{Key: fmt.Sprintf("2026/11/25/F%02d.wav", i), Reason: "open: connection reset\nby peer"})
		}
		return ps
	}
	tests := []struct {
		name string
		sum  Summary
		want string
	}{
		{"all inspected", Summary{Batch: batch(4, 4, 0, 3, 0)}, `batch b1 finished (scorecard hotline-12333 v1) in 2s
calls:          4 listed, 4 inspected, 0 unprocessable, 0 errors
passed:         3, not passed (不合格) 1
pass rate:      75.0%
`},
		{"one call failed QA, one rule hit once", Summary{Batch: batch(2, 2, 0, 1, 0), TopRules: []RuleHits{{Rule: "taboo", Name: "服务禁语", Calls: 1}}},
			`batch b1 finished (scorecard hotline-12333 v1) in 2s
calls:          2 listed, 2 inspected, 0 unprocessable, 0 errors
passed:         1, not passed (不合格) 1
pass rate:      50.0%
top rules hit:
  taboo                服务禁语       1 call (50.0%)
`},
		{"one unprocessable, one failed", Summary{Batch: batch(5, 3, 1, 3, 1),
			Unprocessable: []CallProblem{{Key: "2026/11/25/C3.wav", CallID: "C3", Date: "2026-11-25", Reason: "unsupported codec 0x0011 (IMA ADPCM)"}},
			Failed:        failed(1)}, `batch b1 finished (scorecard hotline-12333 v1) in 2s
calls:          5 listed, 3 inspected, 1 unprocessable, 1 error
passed:         3, not passed (不合格) 0
pass rate:      100.0%
unprocessable:  1 call stored with the reason:
  2026/11/25/C3.wav  unsupported codec 0x0011 (IMA ADPCM)
errors:         1 call hit a transient fault, not stored (run again to retry):
  2026/11/25/F00.wav  open: connection reset by peer
`},
		{"ten: all listed", Summary{Batch: batch(10, 0, 10, 0, 0), Unprocessable: problems(10, "2026-11-25")}, `batch b1 finished (scorecard hotline-12333 v1) in 2s
calls:          10 listed, 0 inspected, 10 unprocessable, 0 errors
passed:         0, not passed (不合格) 0
pass rate:      -
unprocessable:  10 calls stored with the reason:
  2026/11/25/X00.wav  decode: not a RIFF file
  2026/11/25/X01.wav  decode: not a RIFF file
  2026/11/25/X02.wav  decode: not a RIFF file
  2026/11/25/X03.wav  decode: not a RIFF file
  2026/11/25/X04.wav  decode: not a RIFF file
  2026/11/25/X05.wav  decode: not a RIFF file
  2026/11/25/X06.wav  decode: not a RIFF file
  2026/11/25/X07.wav  decode: not a RIFF file
  2026/11/25/X08.wav  decode: not a RIFF file
  2026/11/25/X09.wav  decode: not a RIFF file
`},
		{"more than ten, over two days", Summary{Batch: batch(25, 0, 13, 0, 12), Unprocessable: sortedProblems(problems(13, "2026-11-25", "2026-11-24")),
			Failed: failed(12), ListFlags: "--db results.db"}, `batch b1 finished (scorecard hotline-12333 v1) in 2s
calls:          25 listed, 0 inspected, 13 unprocessable, 12 errors
passed:         0, not passed (不合格) 0
pass rate:      -
unprocessable:  13 calls stored with the reason:
  2026/11/24/X01.wav  decode: not a RIFF file
  2026/11/24/X03.wav  decode: not a RIFF file
  2026/11/24/X05.wav  decode: not a RIFF file
  2026/11/24/X07.wav  decode: not a RIFF file
  2026/11/24/X09.wav  decode: not a RIFF file
  2026/11/24/X11.wav  decode: not a RIFF file
  2026/11/25/X00.wav  decode: not a RIFF file
  2026/11/25/X02.wav  decode: not a RIFF file
  2026/11/25/X04.wav  decode: not a RIFF file
  2026/11/25/X06.wav  decode: not a RIFF file
  ... and 3 more: callqa report --list unprocessable --from 2026-11-24 --to 2026-11-25 --db results.db
errors:         12 calls hit a transient fault, not stored (run again to retry):
  2026/11/25/F00.wav  open: connection reset by peer
  2026/11/25/F01.wav  open: connection reset by peer
  2026/11/25/F02.wav  open: connection reset by peer
  2026/11/25/F03.wav  open: connection reset by peer
  2026/11/25/F04.wav  open: connection reset by peer
  2026/11/25/F05.wav  open: connection reset by peer
  2026/11/25/F06.wav  open: connection reset by peer
  2026/11/25/F07.wav  open: connection reset by peer
  2026/11/25/F08.wav  open: connection reset by peer
  2026/11/25/F09.wav  open: connection reset by peer
  ... and 2 more: see the log ("call not stored")
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sum.Elapsed = 2 * time.Second
			var b strings.Builder
			if err := tt.sum.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("summary:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}
