package pii

import (
	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/rules"
)

// MaskResult replaces the personal data in res's transcript (utterances
// and dropped segments: ID card, phone and bank card numbers, e-mail
// addresses) by labels such as [手机号], and re-bases the findings that quote the
// transcript: their match offsets move to the masked text and their
// evidence is quoted from it again. The evidence of findings without
// structured matches (results stored before findings had them) is masked
// as text, together with the transcript, so a number detected in the
// transcript is masked in the evidence too. It is idempotent, so stored
// results can be passed through it again; the engine calls it on every
// result it produces.
func MaskResult(res *models.Result) {
	if res == nil || res.Transcript == nil {
		return
	}
	n := len(res.Transcript.Utterances)
	texts := make([]string, n, n+len(res.Findings))
	for i, u := range res.Transcript.Utterances {
		texts[i] = u.Text
	}
	var quoting []int // findings whose evidence is masked as text
	for i, f := range res.Findings {
		if !structured(f, n) && f.Evidence != "" {
			quoting = append(quoting, i)
			texts = append(texts, f.Evidence)
		}
	}
	for _, d := range res.Transcript.Dropped {
		texts = append(texts, d.Text)
	}
	masked, maps := MaskAll(texts)
	tr := &models.Transcript{Utterances: make([]models.Utterance, n), Sidecar: res.Transcript.Sidecar}
	for i, u := range res.Transcript.Utterances {
		u.Text = masked[i]
		tr.Utterances[i] = u
	}
	tr.Dropped = maskedDropped(res.Transcript.Dropped, masked[n+len(quoting):])
	res.Transcript = tr
	for k, i := range quoting {
		res.Findings[i].Evidence = masked[n+k]
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if !structured(*f, n) {
			continue
		}
		m, text := maps[*f.Utterance], masked[*f.Utterance]
		for j := range f.Matches {
			mt := &f.Matches[j]
			mt.Start, mt.End = m.Range(mt.Start, mt.End)
			mt.NormStart, mt.NormEnd = rules.NormSpan(text, mt.Start, mt.End)
		}
		f.Evidence = rules.Evidence(text, f.Matches)
	}
}

// structured reports whether f quotes one of n utterances by offsets.
func structured(f models.Finding, n int) bool {
	return f.Utterance != nil && *f.Utterance >= 0 && *f.Utterance < n && len(f.Matches) > 0
}
