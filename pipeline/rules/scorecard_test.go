package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

const defaultScorecard = "../../scorecards/hotline-12333.yaml"

func TestDefaultScorecard(t *testing.T) {
	t.Parallel()
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		t.Fatal(err)
	}
	if sc.ID != "hotline-12333" || sc.Version != 2 || sc.BaseScore != 100 || sc.PassScore != 85 {
		t.Errorf("header = %s v%d %v/%v", sc.ID, sc.Version, sc.BaseScore, sc.PassScore)
	}
	// Other packages build sample calls against these ids.
	want := []string{"greeting", "job_number", "closing", "taboo", "complaint_risk", "dead_air",
		"agent_interrupts", "fast_speech", "agent_level", "hold", "short_call"}
	var got []string
	for _, r := range sc.Rules {
		got = append(got, r.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rule ids = %v, want %v", got, want)
	}
	if _, err := NewChecker(sc); err != nil {
		t.Fatal(err)
	}
	// The complaint rule of 投诉率 is declared, not guessed from its id.
	var complaint []string
	for _, r := range sc.Rules {
		if r.Indicator == models.IndicatorComplaint {
			complaint = append(complaint, r.ID)
		}
	}
	if strings.Join(complaint, ",") != "complaint_risk" {
		t.Errorf("complaint rules = %v, want complaint_risk", complaint)
	}
}

// TestSeveralComplaintRules: a scorecard may split its complaint words
// over several rules; each one's findings carry the indicator.
func TestSeveralComplaintRules(t *testing.T) {
	t.Parallel()
	sc, err := ParseScorecard("x.yaml", []byte(header+
		"  - {id: words, name: 投诉, type: keyword, speaker: customer, any: [投诉], expect: absent, review: true, indicator: complaint}\n"+
		"  - {id: media, name: 媒体, type: keyword, speaker: customer, any: [记者], expect: absent, review: true, indicator: complaint}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	hits, _ := c.Check(Call{DurationS: 10, Transcript: &models.Transcript{Utterances: []models.Utterance{
		{Speaker: models.SpeakerCustomer, Start: 1, End: 3, Text: "我要投诉，还要找记者"}}}})
	if len(hits) != 2 {
		t.Fatalf("hits %+v", hits)
	}
	for _, h := range hits {
		if h.Indicator != models.IndicatorComplaint {
			t.Errorf("%s: indicator %q", h.Rule, h.Indicator)
		}
	}
}

// header is a valid scorecard head; rules are appended per test case.
const header = "id: t\nversion: 1\nname: test\nbase_score: 100\npass_score: 85\nrules:\n"

func TestParseScorecardErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "x.yaml: empty scorecard"},
		{"typo field", header + "  - {id: a, name: A, type: silence, min_secs: 8}",
			"x.yaml: yaml: unmarshal errors:\n  line 7: field min_secs not found in type models.Rule"},
		{"typo top level", "id: t\nversoin: 1\n", "x.yaml: yaml: unmarshal errors:\n  line 2: field versoin not found in type models.Scorecard"},
		{"two documents", header + "  - {id: a, name: A, type: silence, min_seconds: 8}\n---\nid: u\n", "x.yaml: more than one YAML document"},
		{"not yaml", "id: [", "x.yaml: yaml: line 1: did not find expected node content"},
		{"missing id", "version: 1\nbase_score: 100\nrules: []", "x.yaml: id is required"},
		{"version 0", "id: t\nversion: 0\nbase_score: 100\n", "x.yaml: version 0 must be >= 1"},
		{"base 0", "id: t\nversion: 1\n", "x.yaml: base_score 0 must be > 0"},
		{"base nan", "id: t\nversion: 1\nbase_score: .nan\n", "x.yaml: base_score NaN must be > 0"},
		{"pass negative", "id: t\nversion: 1\nbase_score: 100\npass_score: -1\n", "x.yaml: pass_score -1 must be >= 0"},
		{"pass over base", "id: t\nversion: 1\nbase_score: 100\npass_score: 101\n", "x.yaml: pass_score 101 must be <= base_score 100"},
		{"no rules", header, "x.yaml: rules: at least one rule is required"},
		{"rule missing id", header + "  - {name: A, type: silence, min_seconds: 8}", "x.yaml: rule 1: id is required"},
		{"duplicate id", header + "  - {id: a, name: A, type: silence, min_seconds: 8}\n  - {id: b, name: B, type: silence, min_seconds: 8}\n  - {id: a, name: C, type: silence, min_seconds: 9}",
			"x.yaml: rule 3 (a): duplicate id, already used by rule 1"},
		{"missing name", header + "  - {id: a, type: silence, min_seconds: 8}", "x.yaml: rule 1 (a): name is required"},
		{"missing type", header + "  - {id: a, name: A}", "x.yaml: rule 1 (a): type is required"},
		{"unknown type", header + "  - {id: a, name: A, type: sentiment}",
			`x.yaml: rule 1 (a): unknown type "sentiment" (want keyword, regex, silence, overtalk, speech_rate, duration, level or hold)`},
		{"field of other type", header + "  - {id: a, name: A, type: silence, min_seconds: 8, speaker: agent}",
			"x.yaml: rule 1 (a): speaker does not apply to a silence rule"},
		{"keyword with pattern", header + "  - {id: a, name: A, type: keyword, any: [x], pattern: y}",
			"x.yaml: rule 1 (a): pattern does not apply to a keyword rule"},
		{"negative deduct", header + "  - {id: a, name: A, type: silence, min_seconds: 8, deduct: -5}",
			"x.yaml: rule 1 (a): deduct -5 must be >= 0"},
		{"inf deduct", header + "  - {id: a, name: A, type: silence, min_seconds: 8, deduct: .inf}",
			"x.yaml: rule 1 (a): deduct +Inf must be a finite number"},
		{"negative max_deduct", header + "  - {id: a, name: A, type: silence, min_seconds: 8, max_deduct: -1}",
			"x.yaml: rule 1 (a): max_deduct -1 must be >= 0"},
		{"max_deduct below deduct", header + "  - {id: a, name: A, type: silence, min_seconds: 8, deduct: 5, max_deduct: 3}",
			"x.yaml: rule 1 (a): max_deduct 3 must be >= deduct 5"},
		{"keyword without phrases", header + "  - {id: a, name: A, type: keyword}", "x.yaml: rule 1 (a): keyword rule needs any or all"},
		{"keyword with both lists", header + "  - {id: a, name: A, type: keyword, any: [x], all: [y]}", "x.yaml: rule 1 (a): set any or all, not both"},
		{"phrase of punctuation", header + "  - {id: a, name: A, type: keyword, any: [您好, '，！']}",
			`x.yaml: rule 1 (a): any[1] "，！": no letters or digits to match`},
		{"bad expect", header + "  - {id: a, name: A, type: keyword, any: [x], expect: never}",
			`x.yaml: rule 1 (a): expect "never" must be present or absent`},
		{"bad fuzzy", header + "  - {id: a, name: A, type: keyword, any: [x], fuzzy: soundex}",
			`x.yaml: rule 1 (a): fuzzy "soundex" must be pinyin or empty`},
		{"bad speaker", header + "  - {id: a, name: A, type: keyword, any: [x], speaker: supervisor}",
			`x.yaml: rule 1 (a): speaker "supervisor" must be agent, customer or empty`},
		{"within both", header + "  - {id: a, name: A, type: keyword, any: [x], within: {first_seconds: 10, last_seconds: 10}}",
			"x.yaml: rule 1 (a): within: set first_seconds or last_seconds, not both"},
		{"within negative", header + "  - {id: a, name: A, type: keyword, any: [x], within: {first_seconds: -1}}",
			"x.yaml: rule 1 (a): within.first_seconds -1 must be >= 0"},
		{"within negative last", header + "  - {id: a, name: A, type: keyword, any: [x], within: {last_seconds: -2}}",
			"x.yaml: rule 1 (a): within.last_seconds -2 must be >= 0"},
		{"within empty", header + "  - {id: a, name: A, type: keyword, any: [x], within: {}}",
			"x.yaml: rule 1 (a): within: first_seconds or last_seconds must be > 0"},
		{"within nan", header + "  - {id: a, name: A, type: keyword, any: [x], within: {last_seconds: .nan}}",
			"x.yaml: rule 1 (a): within.last_seconds NaN must be >= 0"},
		{"number_match", header + "  - {id: a, name: A, type: silence, min_seconds: 8}\nnumber_match: digits",
			`x.yaml: number_match "digits" must be whole or substring`},
		{"except on a regex rule", header + "  - {id: a, name: A, type: regex, pattern: x, except: [y]}",
			"x.yaml: rule 1 (a): except does not apply to a regex rule"},
		{"near on a silence rule", header + "  - {id: a, name: A, type: silence, min_seconds: 8, near: {phrases: [x], within_chars: 2}}",
			"x.yaml: rule 1 (a): near does not apply to a silence rule"},
		{"except of punctuation", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], except: [如果您, '？']}",
			`x.yaml: rule 1 (taboo): except[1] "？": no letters or digits to match`},
		{"except pattern does not compile", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], except: ['/(如果/']}",
			"x.yaml: rule 1 (taboo): except[0] \"/(如果/\": pattern: error parsing regexp: missing closing ): `(如果`"},
		{"not_after pattern matches empty", header + "  - {id: taboo, name: A, type: keyword, any: [没办法], not_after: ['/不?/']}",
			`x.yaml: rule 1 (taboo): not_after[0] "/不?/": pattern matches empty text`},
		{"empty pattern", header + "  - {id: taboo, name: A, type: keyword, any: [没办法], not_after: ['//']}",
			`x.yaml: rule 1 (taboo): not_after[0] "//": pattern matches empty text`},
		{"except_within_chars without except", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], except_within_chars: 2}",
			"x.yaml: rule 1 (taboo): except_within_chars needs except"},
		{"negative except_within_chars", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], except: [如果], except_within_chars: -1}",
			"x.yaml: rule 1 (taboo): except_within_chars -1 must be >= 0"},
		{"not_after_within_chars without not_after", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], not_after_within_chars: 2}",
			"x.yaml: rule 1 (taboo): not_after_within_chars needs not_after"},
		{"negative not_after_within_chars", header + "  - {id: taboo, name: A, type: keyword, any: [不知道], not_after: [如果], not_after_within_chars: -3}",
			"x.yaml: rule 1 (taboo): not_after_within_chars -3 must be >= 0"},
		{"near without phrases", header + "  - {id: risk, name: A, type: keyword, any: [媒体], near: {within_chars: 2}}",
			"x.yaml: rule 1 (risk): near.phrases: at least one phrase is required"},
		{"near without within_chars", header + "  - {id: risk, name: A, type: keyword, any: [媒体], near: {phrases: [找]}}",
			"x.yaml: rule 1 (risk): near.within_chars is required (0: adjacent)"},
		{"near negative within_chars", header + "  - {id: risk, name: A, type: keyword, any: [媒体], near: {phrases: [找], within_chars: -1}}",
			"x.yaml: rule 1 (risk): near.within_chars -1 must be >= 0"},
		{"near phrase of punctuation", header + "  - {id: risk, name: A, type: keyword, any: [媒体], near: {phrases: [找, '！'], within_chars: 1}}",
			`x.yaml: rule 1 (risk): near.phrases[1] "！": no letters or digits to match`},
		{"near for an unknown phrase", header + "  - {id: risk, name: A, type: keyword, any: [媒体, 投诉], near: {phrases: [找], within_chars: 1, for: [媒体, 记者]}}",
			`x.yaml: rule 1 (risk): near.for[1] "记者" is not one of the rule's phrases`},
		{"near typo", header + "  - {id: risk, name: A, type: keyword, any: [媒体], near: {phrases: [找], within: 1}}",
			"x.yaml: yaml: unmarshal errors:\n  line 7: field within not found in type models.Near"},
		{"except typo", header + "  - {id: risk, name: A, type: keyword, any: [媒体], excepts: [找]}",
			"x.yaml: yaml: unmarshal errors:\n  line 7: field excepts not found in type models.Rule"},
		{"unknown indicator", header + "  - {id: risk, name: A, type: keyword, any: [投诉], review: true, indicator: complaints}",
			`x.yaml: rule 1 (risk): indicator "complaints" is not an indicator (want complaint)`},
		{"regex without pattern", header + "  - {id: a, name: A, type: regex}", "x.yaml: rule 1 (a): pattern is required"},
		{"regex does not compile", header + "  - {id: a, name: A, type: regex, pattern: '(工号'}",
			"x.yaml: rule 1 (a): pattern: error parsing regexp: missing closing ): `(工号`"},
		{"regex matches empty", header + "  - {id: a, name: A, type: regex, pattern: 'x*'}",
			`x.yaml: rule 1 (a): pattern "x*" matches empty text`},
		{"silence without min_seconds", header + "  - {id: dead_air, name: A, type: silence}",
			"x.yaml: rule 1 (dead_air): min_seconds must be > 0"},
		{"overtalk negative min_seconds", header + "  - {id: o, name: A, type: overtalk, min_seconds: -1}",
			"x.yaml: rule 1 (o): min_seconds must be > 0"},
		{"speech_rate without bounds", header + "  - {id: s, name: A, type: speech_rate, speaker: agent}",
			"x.yaml: rule 1 (s): min_cpm or max_cpm must be > 0"},
		{"speech_rate min over max", header + "  - {id: s, name: A, type: speech_rate, min_cpm: 300, max_cpm: 280}",
			"x.yaml: rule 1 (s): min_cpm 300 must be <= max_cpm 280"},
		{"speech_rate negative", header + "  - {id: s, name: A, type: speech_rate, max_cpm: -280}",
			"x.yaml: rule 1 (s): max_cpm -280 must be >= 0"},
		{"speech_rate inf", header + "  - {id: s, name: A, type: speech_rate, max_cpm: -.inf}",
			"x.yaml: rule 1 (s): max_cpm -Inf must be a finite number"},
		{"duration without bounds", header + "  - {id: d, name: A, type: duration}",
			"x.yaml: rule 1 (d): shorter_than or longer_than must be > 0"},
		{"duration negative", header + "  - {id: d, name: A, type: duration, longer_than: -5}",
			"x.yaml: rule 1 (d): longer_than -5 must be >= 0"},
		{"level without threshold", header + "  - {id: l, name: A, type: level, speaker: agent}",
			"x.yaml: rule 1 (l): set at least one of min_rms_dbfs, max_rms_dbfs, max_clipping"},
		{"level min over max", header + "  - {id: l, name: A, type: level, min_rms_dbfs: -10, max_rms_dbfs: -20}",
			"x.yaml: rule 1 (l): min_rms_dbfs -10 must be <= max_rms_dbfs -20"},
		{"level clipping over 1", header + "  - {id: l, name: A, type: level, max_clipping: 1.5}",
			"x.yaml: rule 1 (l): max_clipping 1.5 must be a ratio between 0 and 1"},
		{"analysis threshold", header + "  - {id: s, name: A, type: silence, min_seconds: 8}\nanalysis: {threshold: 1.5}",
			"x.yaml: analysis.threshold 1.5: must be in (0, 1)"},
		{"analysis vad", header + "  - {id: s, name: A, type: silence, min_seconds: 8}\nanalysis: {vad: webrtc}",
			`x.yaml: analysis.vad "webrtc": must be "silero-v5" or "energy"`},
		{"analysis unknown field", header + "  - {id: s, name: A, type: silence, min_seconds: 8}\nanalysis: {treshold: 0.4}",
			"x.yaml: yaml: unmarshal errors:\n  line 8: field treshold not found in type models.AnalysisSettings"},
		{"hold without limits", header + "  - {id: h, name: A, type: hold}",
			"x.yaml: rule 1 (h): set at least one of max_seconds, max_total_seconds, announce"},
		{"hold negative", header + "  - {id: h, name: A, type: hold, max_seconds: -1}",
			"x.yaml: rule 1 (h): max_seconds -1 must be >= 0"},
		{"hold announce window without phrases", header + "  - {id: h, name: A, type: hold, max_seconds: 60, announce_within_seconds: 10}",
			"x.yaml: rule 1 (h): announce_within_seconds needs announce"},
		{"hold with a speaker", header + "  - {id: h, name: A, type: hold, max_seconds: 60, speaker: agent}",
			"x.yaml: rule 1 (h): speaker does not apply to a hold rule"},
		{"max_seconds on a silence rule", header + "  - {id: s, name: A, type: silence, min_seconds: 8, max_seconds: 60}",
			"x.yaml: rule 1 (s): max_seconds does not apply to a silence rule"},
		{"level nan", header + "  - {id: l, name: A, type: level, min_rms_dbfs: .nan}",
			"x.yaml: rule 1 (l): min_rms_dbfs NaN must be a finite number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, err := ParseScorecard("x.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", sc)
			}
			if err.Error() != tc.want {
				t.Errorf("err = %q\nwant  %q", err, tc.want)
			}
		})
	}
}

func TestParseScorecardValid(t *testing.T) {
	t.Parallel()
	// Every rule type in its minimal valid form.
	y := header + `  - {id: k, name: K, type: keyword, all: [a, b], expect: absent, within: {last_seconds: 5}}
  - {id: r, name: R, type: regex, pattern: '\d{5}', expect: present}
  - {id: s, name: S, type: silence, min_seconds: 0.5}
  - {id: o, name: O, type: overtalk, min_seconds: 1}
  - {id: sr, name: SR, type: speech_rate, min_cpm: 100}
  - {id: d, name: D, type: duration, longer_than: 1800}
  - {id: l, name: L, type: level, max_rms_dbfs: -3}
  - {id: z, name: Z, type: silence, min_seconds: 8, deduct: 5, max_deduct: 5}
  - id: c
    name: C
    type: keyword
    any: [不知道, 没办法]
    expect: absent
    except: [如果您不知道, '/不知道您(现在|方便)/']
    except_within_chars: 0
    not_after: [不是]
    not_after_within_chars: 2
    near: {phrases: [我], within_chars: 3, for: [不知道]}
number_match: substring
`
	sc, err := ParseScorecard("ok.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Rules[8]
	if len(sc.Rules) != 9 || *sc.Rules[6].MaxRMSDBFS != -3 || sc.Rules[0].Within.LastSeconds != 5 ||
		sc.NumberMatch != "substring" || len(c.Except) != 2 || *c.ExceptWithinChars != 0 || *c.NotAfterWithinChars != 2 ||
		*c.Near.WithinChars != 3 || c.Near.For[0] != "不知道" {
		t.Errorf("decoded %+v", sc)
	}
}

func TestLoadScorecardErrors(t *testing.T) {
	t.Parallel()
	_, err := LoadScorecard("testdata/does-not-exist.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(header+strings.Repeat("#", MaxScorecardBytes)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadScorecard(big)
	if want := big + ": larger than 1048576 bytes"; err == nil || err.Error() != want {
		t.Errorf("big file: err = %v, want %q", err, want)
	}
}

func TestNewCheckerValidates(t *testing.T) {
	t.Parallel()
	_, err := NewChecker(&models.Scorecard{ID: "t", Version: 1, BaseScore: 100,
		Rules: []models.Rule{{ID: "a", Name: "A", Type: models.RuleRegex, Pattern: "("}}})
	if want := "scorecard t: rule 1 (a): pattern: error parsing regexp: missing closing ): `(`"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
