package testsvc

import (
	"bytes"
	"sync"
	"time"

	"github.com/callqa/callqa/models"
)

// Scorecard is the scorecard of Result and Unprocessable.
var Scorecard = models.ScorecardRef{ID: "hotline-12333", Version: 1}

// At parses an RFC 3339 time; it panics on a bad one.
func At(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// Result builds an inspected result of recording 2026/11/25/<callID>.wav
// started on date, with a finding (5 points) per rule.
func Result(callID, date, team, agent string, passed bool, score float64, rules ...string) *models.Result {
	r := &models.Result{
		CallID:    callID,
		Recording: "2026/11/25/" + callID + ".wav",
		Status:    models.StatusInspected,
		Scorecard: Scorecard,
		Analysis:  &models.AnalysisRef{VAD: "silero-v5", Version: 2},
		Meta:      models.CallMeta{CallID: callID, AgentID: agent, AgentName: "名" + agent, Team: team, Queue: "社保", StartedAt: At(date + "T09:30:00+08:00")},
		Audio:     &models.AudioInfo{Format: "pcm_s16le", SampleRate: 8000, Channels: 2, DurationS: 60},
		Score:     score,
		Passed:    passed,
		Findings:  []models.Finding{},
	}
	for i, rule := range rules {
		r.Findings = append(r.Findings, models.Finding{Rule: rule, Name: "规则" + rule, Start: float64(i), End: float64(i) + 1, Speaker: models.SpeakerAgent, Evidence: "证据", Deduct: 5})
	}
	return r
}

// Unprocessable builds an unprocessable result of recording
// x/<callID>.wav started on date.
func Unprocessable(callID, date string) *models.Result {
	return &models.Result{CallID: callID, Recording: "x/" + callID + ".wav", Status: models.StatusUnprocessable,
		Error: "decode: not a RIFF file", Scorecard: Scorecard, Meta: models.CallMeta{StartedAt: At(date + "T10:00:00+08:00"), Team: "一组"}, Findings: []models.Finding{}}
}

// SyncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
