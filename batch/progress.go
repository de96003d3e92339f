package batch

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// barInterval is how often the terminal bar is redrawn.
const barInterval = 200 * time.Millisecond

// startProgress shows progress and keeps the batch record up to date until
// the returned stop function is called.
func (r *runner) startProgress(ctx context.Context, log *slog.Logger, start time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := r.cfg.ProgressEvery
		if r.cfg.Progress != nil && r.cfg.ProgressBar {
			tick = barInterval
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		lastSaved, lastLine := time.Now(), time.Now()
		for {
			select {
			case <-done:
				if r.cfg.Progress != nil {
					if r.cfg.ProgressBar {
						fmt.Fprintf(r.cfg.Progress, "\r%s\x1b[K\n", progressLine(r.tally.progress(), time.Since(start), 30))
					} else {
						fmt.Fprintf(r.cfg.Progress, "%s progress %s\n", time.Now().Format(time.TimeOnly), progressLine(r.tally.progress(), time.Since(start), 0))
					}
				}
				return
			case now := <-t.C:
				p := r.tally.progress()
				if r.cfg.Progress != nil {
					if r.cfg.ProgressBar {
						fmt.Fprintf(r.cfg.Progress, "\r%s\x1b[K", progressLine(p, time.Since(start), 30))
					} else if now.Sub(lastLine) >= r.cfg.ProgressEvery {
						fmt.Fprintf(r.cfg.Progress, "%s progress %s\n", now.Format(time.TimeOnly), progressLine(p, time.Since(start), 0))
						lastLine = now
					}
				}
				if now.Sub(lastSaved) >= r.cfg.ProgressEvery && ctx.Err() == nil {
					b := r.batch
					r.tally.fill(&b)
					if err := r.store.UpdateBatch(ctx, &b); err != nil && ctx.Err() == nil {
						log.WarnContext(ctx, "updating the batch record failed", "err", err)
					}
					lastSaved = now
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressLine renders "[#####.....] 120/400 3.2 calls/s ETA 1m27s"; width
// 0 leaves the bar out.
func progressLine(p progress, elapsed time.Duration, width int) string {
	var sb strings.Builder
	if width > 0 {
		filled := 0
		if p.total > 0 {
			filled = width * p.done / p.total
		}
		sb.WriteString("[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] ")
	}
	total := fmt.Sprint(p.total)
	if !p.listingOver {
		total += "+"
	}
	noun := "calls"
	if p.total == 1 && p.listingOver {
		noun = "call"
	}
	fmt.Fprintf(&sb, "%d/%s %s", p.done, total, noun)
	speed := 0.0
	if s := elapsed.Seconds(); s > 0 {
		speed = float64(p.processed) / s
	}
	fmt.Fprintf(&sb, " %.1f calls/s", speed)
	switch left := p.total - p.done; {
	case !p.listingOver:
		sb.WriteString(" ETA ?")
	case left <= 0:
		sb.WriteString(" ETA 0s")
	case speed > 0:
		sb.WriteString(" ETA " + time.Duration(float64(left)/speed*float64(time.Second)).Round(time.Second).String())
	default:
		sb.WriteString(" ETA ?")
	}
	return sb.String()
}
