// Package rules loads scorecards and checks calls against them.
//
// A scorecard (models.Scorecard, YAML) is a list of rules. LoadScorecard and
// ParseScorecard validate it strictly: unknown fields, unknown rule types and
// out-of-range values are rejected with the file, the rule (1-based position
// and id) and the field named. NewChecker compiles a scorecard once (regular
// expressions, phrase pinyin); Checker.Check then returns the rule hits of one
// call as findings, and the rules it could not evaluate with the reason.
// Findings carry the rule's raw deduction per hit; capping by max_deduct and
// the verdict are the job of package score.
//
// # Text matching
//
// Phrases and utterances are compared after Normalize: full-width ASCII is
// folded to half-width, Latin letters are lower-cased, punctuation, symbols
// and spaces are removed, and the Chinese digit characters 零〇一二三四五六七八九
// and 幺 (1, as read in phone numbers) become ASCII digits, so a phrase
// 12333 matches the ASR output 一二三三三 and vice versa. Evidence quotes the
// original text of the utterance, not the normalised one.
//
// Numbers are numbers: a phrase that begins or ends with a digit matches
// only where the number in the text begins or ends, so 12345 matches
// "打12345" and "一二三四五" but not the phone number 13912345670, an ID
// card or an amount (12345.67) that contains it. Digits separated by a
// space, a hyphen, a decimal point or an ASCII comma are one number
// (139 1234 5670, 12,345); other punctuation separates numbers
// ("12345、12333"), and so does a change between Chinese digit characters
// and Arabic digits (统一12345). The scorecard option number_match:
// substring restores matching anywhere. Regex rules are not affected.
//
// With fuzzy: pinyin a keyword also matches homophones, which ASR often
// writes instead of the intended word (公号 for 工号, 身份正 for 身份证): the
// phrase and the utterance are turned into toneless pinyin syllables (one
// per character; digits are spelled as read, 4 as si; other characters are
// their own token) and the phrase must occur as a contiguous run of
// syllables. The scorecard option accent: true also merges the confusions of
// southern accents: zh/z, ch/c, sh/s and n/l initials, ing/in and eng/en
// finals, so 四 (si) matches 十 (shi). Polyphonic characters take their most
// common reading. Evidence of such a match names the phrase, e.g.
// "公号 (拼音匹配: 工号)".
//
// # Context of a keyword hit
//
// A keyword rule may say what must, or must not, surround a hit. Context
// phrases are matched like the rule's phrases (normalised, by pinyin when
// the rule is fuzzy); an entry written /like this/ is instead a regular
// expression on the normalised text. Distances count characters of the
// normalised text (punctuation and spaces do not count); a clause is a
// stretch of an utterance between clause punctuation (，。！？；：、… and
// their ASCII forms; not spaces), and every utterance is at least one
// clause, so for unpunctuated ASR text the utterance (which ends at a long
// pause) is the clause.
//
//   - except: a hit is cancelled by an except phrase in the same clause, or,
//     with except_within_chars N, within N characters of it (0: touching or
//     overlapping it).
//   - not_after: a hit is cancelled by a not_after phrase that comes before
//     it in the same clause (negation: 不是 没办法; condition: 如果您 不知道);
//     with not_after_within_chars N, at most N characters may lie between.
//   - near: {phrases, within_chars: N, for}: a hit counts only when one of
//     the phrases occurs within N characters of it (either side, same
//     utterance); for limits this to some of the rule's phrases.
//
// # Structured evidence
//
// A keyword or regex hit names its utterance (Finding.Utterance) and its
// matches (Finding.Matches: phrase, how it matched, character offsets in
// the displayed and in the normalised text); a missing phrase is listed in
// Finding.Missing; an audio or timing finding carries the measured value,
// its unit and the threshold it crossed. Finding.Evidence stays the readable
// summary (Evidence builds it from the matches).
//
// # Transcript coverage
//
// A speaker is covered by the transcript when it has at least one
// utterance, or when the stereo audio shows it did not speak (its channel
// has no detected speech: then it really said nothing, and a phrase expected
// from it is missing). Call.Speakers overrides this. A rule about a speaker
// the transcript does not cover (any speaker, for a rule about anyone) is
// not evaluated, with ReasonAgentNotTranscribed and the like, instead of
// reporting a missing phrase. So is a rule with a within window the
// transcript does not cover: with audio metrics, when at least 1 s and more
// than half of the speech detected in the window (the rule's speaker's
// channel; every channel for a rule about anyone or a mono recording) has no
// utterance over it (utterances widened by 0.3 s each side, the usual
// disagreement between voice activity and ASR timestamps); without metrics,
// when the window does not meet the span from the first utterance's start
// to the last one's end. A rule that finds what it looks for is evaluated
// whatever the coverage. TranscriptCoverage gives, per speaker, the share
// of detected speech the transcript covers.
//
// # Rule semantics
//
// Rules of the transcript (keyword, regex, speech_rate) are not evaluated
// when the call has no transcript (reason "no transcript"). Rules of the
// audio (silence, overtalk, level) are not evaluated without metrics ("no
// audio metrics").
//
//   - keyword: looks at the utterances of speaker (empty: anyone) allowed by
//     within: first_seconds N keeps utterances that START before N s,
//     last_seconds N those that END after duration-N s (both strict). With
//     any, one phrase must occur; with all, every phrase must occur somewhere
//     in those utterances (not necessarily the same one). expect: present
//     (the default) gives one finding when the phrases are not found,
//     spanning the window (0..N, duration-N..duration, or the whole call) and
//     listing the missing phrases ("未找到: 您好 / 你好"). expect: absent
//     gives one finding per utterance that contains a phrase, spanning the
//     utterance and quoting the matched text; with all, only when every
//     phrase occurs.
//   - regex: a Go regular expression (RE2 syntax) matched against the
//     NORMALISED text of each eligible utterance (same speaker and within
//     filters): write digits as ASCII, Latin in lower case, and no
//     punctuation or spaces. The default expectation is absent: one finding
//     per matching utterance; expect: present gives one finding when no
//     utterance matches. A pattern that matches empty text is rejected.
//   - silence: each Metrics.Silences span of at least min_seconds is a
//     finding ("11.0 s").
//   - overtalk: each Metrics.Overtalks interval of at least min_seconds is a
//     finding; with speaker set, only those started by that speaker (By).
//     Mono recordings have no overtalk: not evaluated ("mono recording").
//   - speech_rate: Han characters of the speaker's utterances per minute of
//     those utterances (SpeechRateCPM); a finding when below min_cpm or above
//     max_cpm, spanning the speaker's first to last utterance ("312 字/分").
//     Not evaluated when the speaker says nothing.
//   - duration: a finding when the recording is shorter than shorter_than or
//     longer than longer_than seconds. Not evaluated when the duration is
//     unknown (0).
//   - level: a finding per threshold crossed by the speaker's channel (empty
//     speaker: each channel): RMS below min_rms_dbfs or above max_rms_dbfs
//     ("-42.3 dBFS"), clipping ratio above max_clipping ("削波 1.20%"). A mono
//     recording is judged on its mixed channel, and the evidence says so. A
//     channel without speech is not evaluated.
//
// Durations of spans are compared with a tolerance of 1 µs, so an 8.0 s
// silence measured as 7.9999999 s still counts as 8 s. Finding times are
// rounded to 0.01 s.
//
// It is one package of about 2,200 lines, above the house's 1,500, on
// purpose: the scorecard language (validation, the rule types), the text
// normalisation and the pinyin matching the keyword rules read it with
// change together; a rule type's semantics and its matcher are one idea.
package rules

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/callqa/callqa/models"
)

// Call is what a scorecard is checked against.
type Call struct {
	// DurationS is the recording's duration in seconds (0: unknown, then the
	// end of the last utterance stands in for keyword windows).
	DurationS float64
	// Transcript is nil when the call has no transcript.
	Transcript *models.Transcript
	// Metrics is nil when the audio could not be analysed. Mono recordings
	// have Metrics.Mixed set and Agent and Customer nil.
	Metrics *models.Metrics
	// Speakers, when not nil, lists the speakers the transcript covers
	// (a transcriber that knows it transcribed both channels says so,
	// even if one of them said nothing). Nil: derived from the
	// utterances and the metrics, see "Transcript coverage" above.
	Speakers []string
}

// Not-evaluated reasons.
const (
	ReasonNoTranscript    = "no transcript"
	ReasonNoMetrics       = "no audio metrics"
	ReasonMono            = "mono recording"
	ReasonUnknownDuration = "unknown duration"
	// The transcript does not cover the rule's speaker, or its window.
	ReasonAgentNotTranscribed    = "the agent's speech is not in the transcript"
	ReasonCustomerNotTranscribed = "the customer's speech is not in the transcript"
	ReasonNotTranscribed         = "nobody's speech is in the transcript"
	ReasonWindowNotTranscribed   = "the transcript does not cover the rule's time window"
)

// tolerance absorbs floating-point noise when comparing measured lengths.
const tolerance = 1e-6

// EffectiveExpect returns what a keyword or regex rule expects once its
// default is applied: ExpectPresent for keyword rules and ExpectAbsent for
// regex rules unless the rule says otherwise; "" for other rule types.
func EffectiveExpect(r models.Rule) string {
	switch {
	case r.Type != models.RuleKeyword && r.Type != models.RuleRegex:
		return ""
	case r.Expect != "":
		return r.Expect
	case r.Type == models.RuleKeyword:
		return ExpectPresent
	}
	return ExpectAbsent
}

// Checker checks calls against one compiled scorecard. It is safe for
// concurrent use.
type Checker struct {
	accent    bool
	substring bool // number_match: substring
	rules     []compiledRule
	fuzzy     bool // some rule matches by pinyin
}

type compiledRule struct {
	models.Rule
	expect  string // resolved default
	all     bool
	phrases []phrase
	re      *regexp.Regexp

	// Context (keyword rules); within distances are -1 when not set.
	except         []phrase
	exceptWithin   int
	notAfter       []phrase
	notAfterWithin int
	near           []phrase
	nearWithin     int
	nearFor        map[string]bool // nil: every phrase
}

// NewChecker validates sc and compiles it: regular expressions, normalised
// phrases and their pinyin.
func NewChecker(sc *models.Scorecard) (*Checker, error) {
	if err := ValidateScorecard(sc); err != nil {
		return nil, fmt.Errorf("scorecard %s: %w", sc.ID, err)
	}
	c := &Checker{accent: sc.Accent, substring: sc.NumberMatch == models.NumberSubstring, rules: make([]compiledRule, len(sc.Rules))}
	sp := newSpeller(sc.Accent)
	var plainSp *speller
	if sc.Accent {
		plainSp = newSpeller(false)
	}
	for i, r := range sc.Rules {
		cr := compiledRule{Rule: r, expect: EffectiveExpect(r), exceptWithin: -1, notAfterWithin: -1}
		switch r.Type {
		case models.RuleKeyword:
			var psp, pplain *speller
			if r.Fuzzy == FuzzyPinyin {
				psp, pplain = sp, plainSp
				c.fuzzy = true
			}
			list := r.Any
			if len(r.All) > 0 {
				list, cr.all = r.All, true
			}
			compile := func(texts []string) []phrase {
				var out []phrase
				for _, t := range texts {
					out = append(out, c.compilePhrase(t, psp, pplain))
				}
				return out
			}
			cr.phrases = compile(list)
			cr.except = compile(r.Except)
			cr.notAfter = compile(r.NotAfter)
			if r.ExceptWithinChars != nil {
				cr.exceptWithin = *r.ExceptWithinChars
			}
			if r.NotAfterWithinChars != nil {
				cr.notAfterWithin = *r.NotAfterWithinChars
			}
			if n := r.Near; n != nil {
				cr.near = compile(n.Phrases)
				cr.nearWithin = *n.WithinChars
				if len(n.For) > 0 {
					cr.nearFor = make(map[string]bool, len(n.For))
					for _, f := range n.For {
						cr.nearFor[f] = true
					}
				}
			}
		case models.RuleHold:
			var psp, pplain *speller
			if r.Fuzzy == FuzzyPinyin {
				psp, pplain = sp, plainSp
				c.fuzzy = true
			}
			for _, t := range r.Announce {
				cr.phrases = append(cr.phrases, c.compilePhrase(t, psp, pplain))
			}
		case models.RuleRegex:
			re, err := regexp.Compile(r.Pattern)
			if err != nil { // already validated
				return nil, fmt.Errorf("scorecard %s: rule %d (%s): pattern: %w", sc.ID, i+1, r.ID, err)
			}
			cr.re = re
		}
		c.rules[i] = cr
	}
	return c, nil
}

// Check evaluates every rule on call. It returns the hits in rule order (each
// rule's in time order) and the rules that could not be evaluated.
func (c *Checker) Check(call Call) ([]models.Finding, []models.NotEvaluated) {
	st := newCallState(c, call)
	var out []models.Finding
	var ne []models.NotEvaluated
	for i := range c.rules {
		r := &c.rules[i]
		var fs []models.Finding
		var reason string
		switch r.Type {
		case models.RuleKeyword:
			fs, reason = st.keyword(r)
		case models.RuleRegex:
			fs, reason = st.regex(r)
		case models.RuleSilence:
			fs, reason = st.silence(r)
		case models.RuleOvertalk:
			fs, reason = st.overtalk(r)
		case models.RuleSpeechRate:
			fs, reason = st.speechRate(r)
		case models.RuleDuration:
			fs, reason = st.duration(r)
		case models.RuleHold:
			fs, reason = st.hold(r)
		case models.RuleLevel:
			var reasons []string
			fs, reasons = st.level(r)
			for _, why := range reasons {
				ne = append(ne, models.NotEvaluated{Rule: r.ID, Reason: why})
			}
		}
		if reason != "" {
			ne = append(ne, models.NotEvaluated{Rule: r.ID, Reason: reason})
		}
		out = append(out, fs...)
	}
	return out, ne
}

// callState is the per-call working set: the normalised utterances and,
// when a rule needs them, their pinyin, each computed once.
type callState struct {
	c       *Checker
	call    Call
	dur     float64
	norm    []normText
	syl     []*syllables
	sp      *speller
	plainSp *speller // without the accent folding, made when needed
	found   map[findKey][]match
	cover   *coverage
}

func newCallState(c *Checker, call Call) *callState {
	st := &callState{c: c, call: call, dur: call.DurationS, found: make(map[findKey][]match)}
	if t := call.Transcript; t != nil {
		st.norm = make([]normText, len(t.Utterances))
		for i, u := range t.Utterances {
			st.norm[i] = normalize(u.Text)
			if call.DurationS <= 0 {
				// No audio duration: the transcript's end stands in.
				st.dur = math.Max(st.dur, u.End)
			}
		}
		if c.fuzzy {
			st.syl = make([]*syllables, len(t.Utterances))
			st.sp = newSpeller(c.accent)
		}
	}
	return st
}

func (st *callState) syllablesOf(i int) *syllables {
	if st.syl[i] == nil {
		s := st.sp.spell(st.norm[i].norm)
		st.syl[i] = &s
	}
	return st.syl[i]
}

func (r *compiledRule) finding(start, end float64, speaker, evidence string) models.Finding {
	return models.Finding{
		Rule: r.ID, Name: r.Name,
		Start: round2(start), End: round2(end),
		Speaker: speaker, Evidence: evidence,
		Deduct: r.Deduct, Veto: r.Veto, Review: r.Review, Indicator: r.Indicator,
	}
}

// measured is a finding of an audio or timing rule: value crossed limit.
func (r *compiledRule) measured(start, end float64, speaker, evidence string, value float64, unit string, limit float64) models.Finding {
	f := r.finding(start, end, speaker, evidence)
	f.Value, f.Unit, f.Limit = &value, unit, &limit
	return f
}

// hit is a finding quoting the matches of utterance i.
func (st *callState) hit(r *compiledRule, i int, ms []match) models.Finding {
	u := &st.call.Transcript.Utterances[i]
	sm := st.structured(i, ms)
	f := r.finding(u.Start, u.End, u.Speaker, Evidence(u.Text, sm))
	idx := i
	f.Utterance, f.Matches = &idx, sm
	return f
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// eligible reports whether utterance u is looked at by a keyword or regex
// rule: its speaker and the within window.
func (st *callState) eligible(r *compiledRule, u *models.Utterance) bool {
	if r.Speaker != "" && u.Speaker != r.Speaker {
		return false
	}
	if w := r.Within; w != nil {
		if w.FirstSeconds > 0 && !(u.Start < w.FirstSeconds) {
			return false
		}
		if w.LastSeconds > 0 && !(u.End > st.dur-w.LastSeconds) {
			return false
		}
	}
	return true
}

// window is the span a "not found" finding points at.
func (st *callState) window(r *compiledRule) (float64, float64) {
	if w := r.Within; w != nil {
		switch {
		case w.FirstSeconds > 0:
			return 0, math.Min(w.FirstSeconds, math.Max(st.dur, 0))
		case w.LastSeconds > 0:
			return math.Max(0, st.dur-w.LastSeconds), st.dur
		}
	}
	return 0, st.dur
}

func (st *callState) keyword(r *compiledRule) ([]models.Finding, string) {
	t := st.call.Transcript
	if t == nil {
		return nil, ReasonNoTranscript
	}
	found := make([]bool, len(r.phrases))
	var perUtt [][]match // absent: the counted matches of each utterance
	if r.expect == ExpectAbsent {
		perUtt = make([][]match, len(t.Utterances))
	}
	for i := range t.Utterances {
		u := &t.Utterances[i]
		if !st.eligible(r, u) {
			continue
		}
		for j := range r.phrases {
			if r.expect == ExpectPresent && found[j] {
				continue
			}
			for _, m := range st.findAll(i, &r.phrases[j]) {
				if !st.counts(i, r, m) {
					continue
				}
				found[j] = true
				if perUtt == nil {
					break
				}
				perUtt[i] = append(perUtt[i], m)
			}
		}
		if r.expect == ExpectPresent && satisfied(found, r.all) {
			return nil, ""
		}
	}

	if r.expect == ExpectPresent {
		if reason := st.uncovered(r); reason != "" {
			return nil, reason
		}
		var missing []string
		for j, p := range r.phrases {
			if !found[j] {
				missing = append(missing, p.text)
			}
		}
		start, end := st.window(r)
		f := r.finding(start, end, r.Speaker, "未找到: "+strings.Join(missing, " / "))
		f.Missing = missing
		return []models.Finding{f}, ""
	}
	var out []models.Finding
	if satisfied(found, r.all) {
		for i, ms := range perUtt {
			if len(ms) > 0 {
				out = append(out, st.hit(r, i, ms))
			}
		}
	}
	if len(out) == 0 {
		return nil, st.uncovered(r)
	}
	return out, ""
}

// satisfied: any phrase found (any), or every phrase found (all).
func satisfied(found []bool, all bool) bool {
	for _, f := range found {
		if f && !all {
			return true
		}
		if !f && all {
			return false
		}
	}
	return all && len(found) > 0
}

func (st *callState) regex(r *compiledRule) ([]models.Finding, string) {
	t := st.call.Transcript
	if t == nil {
		return nil, ReasonNoTranscript
	}
	p := &phrase{text: r.Pattern, re: r.re}
	var out []models.Finding
	for i := range t.Utterances {
		if !st.eligible(r, &t.Utterances[i]) {
			continue
		}
		ms := st.findAll(i, p)
		if len(ms) == 0 {
			continue
		}
		if r.expect == ExpectPresent {
			return nil, ""
		}
		out = append(out, st.hit(r, i, ms))
	}
	if len(out) > 0 {
		return out, ""
	}
	if reason := st.uncovered(r); reason != "" {
		return nil, reason
	}
	if r.expect == ExpectPresent {
		start, end := st.window(r)
		f := r.finding(start, end, r.Speaker, "未匹配: "+r.Pattern)
		f.Missing = []string{r.Pattern}
		return []models.Finding{f}, ""
	}
	return nil, ""
}

// phraseTexts are the phrases as written.
func phraseTexts(ps []phrase) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.text
	}
	return out
}
